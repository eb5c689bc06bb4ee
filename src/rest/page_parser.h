#pragma once

// Splits a page's body into its records, each kept as its own JSON text, and the rest of the
// body, with simdjson's on-demand parser. Records are never built into a DOM: for a typical
// page that would cost more than fetching it (nlohmann parses at under 100 MB/s here, simdjson
// at GB/s). The rest of the body is small and is given to the paginator as a nlohmann DOM.

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/json_path.h"
#include "weft/status.h"

namespace weft::rest {

class PageParser {
 public:
  // `records`: where the array of records is. The paths a caller will look up in records are
  // given to field() later; none may have wildcards (the config loader does not allow them).
  explicit PageParser(const JsonPath& records);
  ~PageParser();
  PageParser(const PageParser&) = delete;
  PageParser& operator=(const PageParser&) = delete;

  // Parses `body`. Afterwards records() are views into this parser's copy of it, valid until
  // the next parse(). A permanent Error saying what is wrong when the body is not JSON or the
  // records path does not lead to an array ("records path '$.data' found nothing, not an array
  // (the response has: object, url)").
  Status parse(std::string_view body);

  const std::vector<std::string_view>& records() const { return records_; }
  // The body with the records array replaced by an empty one.
  const nlohmann::json& rest() const { return rest_; }

  // The value at `path` in one of records(), as a DOM (null when absent); meant for scalars
  // (ids, cursor fields, times), which are cheap to build.
  nlohmann::json field(std::string_view record, const JsonPath& path);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string records_pointer_;
  std::string records_display_;
  std::vector<std::string_view> records_;
  nlohmann::json rest_;
};

}  // namespace weft::rest
