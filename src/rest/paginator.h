#pragma once

// Finding the next page of a REST API from the current one. Pure logic over a response that
// has already arrived, so every pagination style is tested without a server.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "net/http_client.h"
#include "rest/rest_config.h"
#include "weft/status.h"

namespace weft::rest {

// One page to fetch: its URL (without credentials: auth is added when it is sent) and, for
// offset and page paginators, the offset or page number it asks for.
struct PageRequest {
  std::string url;
  std::int64_t number = 0;
};

// A page that arrived: the response, its body without the records (the array emptied), how
// many records it had and the last of them (null when none).
struct PageView {
  const net::ClientResponse& response;
  const nlohmann::json& body;
  std::size_t record_count = 0;
  const nlohmann::json& last_record;
};

class Paginator {
 public:
  explicit Paginator(PaginatorConfig config) : config_(std::move(config)) {}

  // The first page of a run: `url` (cursor already filled in) with the page size and the
  // first offset or page number added.
  PageRequest first(const std::string& url) const;

  // The page after `current`, or nullopt when `page` was the last. A permanent Error when the
  // page does not say what the paginator needs (a cursor that is not a string, a total that is
  // not a number).
  Result<std::optional<PageRequest>> next(const PageRequest& current, const PageView& page) const;

  // With a known total (offset or page paginators with total_path/total_header): every page
  // after `current` up to the end (none after the last), so they can be fetched in parallel.
  // nullopt when the page does not tell the total.
  std::optional<std::vector<PageRequest>> remaining(const PageRequest& current,
                                                    const PageView& page) const;

  const PaginatorConfig& config() const { return config_; }

 private:
  std::optional<std::int64_t> total(const PageView& page) const;
  PageRequest at(const PageRequest& current, std::int64_t number) const;

  PaginatorConfig config_;
};

// The target of the first `rel="next"` link in an RFC 8288 Link header, or nullopt.
std::optional<std::string> link_next(std::string_view header);

}  // namespace weft::rest
