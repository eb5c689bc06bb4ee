#pragma once

// Where a `rest` source is, as stored in the pipeline's checkpoint (JSON text): the run's start
// cursor and the largest cursor delivered so far, the page a record came from and its place
// in that page, and whether the run had ended. Only URLs without credentials are stored.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "rest/paginator.h"
#include "weft/status.h"

namespace weft::rest {

struct RestPosition {
  std::int64_t run_started = 0;  // unix seconds when the run began
  nlohmann::json from;           // the run's start cursor (null: none, full refresh or first run)
  nlohmann::json high;           // the largest cursor value delivered in this run (or null)
  bool run_complete = false;     // this was the run's last record
  PageRequest page;              // the page the record came from
  std::int64_t index = 0;        // its place in that page
  std::string key;               // its primary key, if the source has one

  std::string encode() const;  // PagePositions, for a single record
  // permanent Error naming the text when it is not a rest position.
  static Result<RestPosition> decode(std::string_view text);
};

// Encodes the positions of one page's records without building a JSON document per record
// (a page of 100 records would otherwise cost more than its HTTP request): what the records
// share is written once, each record appends its own fields.
class PagePositions {
 public:
  PagePositions(std::int64_t run_started, const PageRequest& page, const nlohmann::json& from);
  // `high` is the JSON text of the largest cursor value so far ("" for none).
  std::string record(std::int64_t index, const std::string& key, const std::string& high,
                     bool run_complete) const;

 private:
  std::string prefix_;  // {"run":...,"url":"...","n":...,"from":...
};

}  // namespace weft::rest
