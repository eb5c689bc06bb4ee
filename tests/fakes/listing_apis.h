#pragma once

// The fake REST API's data endpoints: seven common ways of paging through one set of records.
//   GET /v1/customers             Stripe: limit, starting_after, ending_before, created[gte|gt]
//   GET /api/now/table/incident   ServiceNow: sysparm_offset, sysparm_limit, sysparm_query
//   GET /link/items               GitHub: page, per_page, since; Link header
//   GET /pages/items              page, page_size, updated_since; total_pages in the body
//   GET /cursor/items             cursor, limit, updated_since; next_cursor and X-Next-Cursor
//   GET /next/items               after, limit, updated_since; an absolute "next" URL
//   GET /offset/items             offset, limit, updated_since; "total" in the body
// Pages are 100 records unless asked otherwise, at most 1000 (more is clamped). Bodies are built
// as text, record by record, without a JSON document in between: this is a benchmark's hot path.

#include <memory>
#include <string_view>

#include "fakes/auth.h"
#include "fakes/record_store.h"
#include "net/http_server.h"

namespace weft::fakes {

constexpr std::int64_t kDefaultPageSize = 100;
constexpr std::int64_t kMaxPageSize = 1000;

struct ListingRequest {
  std::string_view path;
  const QueryParams& params;
  std::string_view base_url;  // "http://127.0.0.1:8080", for the absolute links some APIs give
};

// Whether `path` is one of the data endpoints above.
bool is_listing(std::string_view path);

// A page of `path` (one of the endpoints above) read from `snapshot`, or 400 with that API's error
// shape for a bad parameter. Pure; thread-safe.
net::HttpResponse answer_listing(const ListingRequest& request,
                                 const std::shared_ptr<const Snapshot>& snapshot);

}  // namespace weft::fakes
