#pragma once

// The dead-letter queue's admin API without any I/O. AdminRouter hands it authorised /api/dlq
// requests; `weft dlq` runs the same requests against the state file when no daemon answers, so
// both ways behave (and answer) alike.
//
//   GET  /api/dlq?pipeline=P&since=T&limit=N&after_id=N
//        200 {"entries": [dead_letter_to_json(e, false), ...], "next_after_id": N or null}
//        Ordered by id; `limit` 1..1000 (default 100); `next_after_id` is the after_id that
//        fetches the next page, null on the last one. T: see parse_time_or_ago.
//   GET  /api/dlq/{id}
//        200 dead_letter_to_json(e, true), 404 {"error":"dead letter 42 not found"}
//   POST /api/dlq/replay  {"id": N?, "pipeline": "P"?, "all": true?, "dry_run": bool?}
//        200 {"matched": N, "marked": N} (marked is 0 on a dry run). Marked entries are
//        re-delivered by their pipeline (at once while it runs, otherwise at its next start).
//   POST /api/dlq/purge   {"id": N?, "pipeline": "P"?, "all": true?, "before": T?}
//        200 {"purged": N}; with "before", only entries whose last failure is older than T.
// A body must select: "id" and/or "pipeline", or "all": true alone; anything else is a 400, so
// nobody replays or purges everything by accident. An "id" that does not exist is a 404. Bad
// JSON, unknown fields or query parameters and malformed values are 400 naming the field; a
// state store error is 503 with the store's message (which never holds secrets).

#include <cstddef>
#include <optional>
#include <string_view>

#include "admin/admin_routes.h"

namespace weft {
class StateStore;
}

namespace weft::admin {

inline constexpr std::size_t kDlqDefaultPageSize = 100;
inline constexpr std::size_t kDlqMaxPageSize = 1000;

// The one method `path` (no query) answers when it is a DLQ route ("GET" or "POST"), or nullopt
// when it is not one.
std::optional<std::string_view> dlq_allowed_method(std::string_view path);

class DlqRoutes {
 public:
  // `store` must outlive this object.
  explicit DlqRoutes(StateStore& store) : store_(store) {}

  // Any request: a non-DLQ path is 404, a wrong method 405 (with Allow). Does not check the
  // bearer token. Thread-safe as the store is; blocks for the store's I/O.
  AdminResponse handle(const AdminRequest& request) const;

 private:
  AdminResponse list(std::string_view query) const;
  AdminResponse show(std::string_view raw_id) const;
  AdminResponse replay(std::string_view body) const;
  AdminResponse purge(std::string_view body) const;

  StateStore& store_;
};

}  // namespace weft::admin
