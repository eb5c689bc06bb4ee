#pragma once

// The fake REST API's control endpoints, for tests in another process and for benchmarks. Open
// (no auth), never faulted, not logged, answered in JSON:
//   GET    /_admin/health         {"status":"ok"}
//   POST   /_admin/records        a record or an array of them (RecordStore::upsert)
//                                  -> {"upserted":n,"records":total}
//   POST   /_admin/faults         a fault or an array of them (fault_from_json) -> {"queued":n}
//   DELETE /_admin/faults         drops the queued faults
//   POST   /_admin/expire-tokens  every issued OAuth access token stops working
//   GET    /_admin/requests       the request log: [{"t_ms","method","target","authorization",
//                                  "status"}, ...]
//   DELETE /_admin/requests       clears it
//   GET    /_admin/stats          counters (to_json(FakeRestStats))
//   GET    /_admin/config         the settings that can change while serving
//   POST   /_admin/config         changes them (FakeRestApi::configure)
// A bad body gets 400 {"error":"..."}; an unknown path 404, a wrong method 405.

#include <cstddef>

#include "net/http_server.h"

namespace weft::fakes {

class FakeRestState;

// Uploads of many records are larger than the server's default body limit.
constexpr std::size_t kAdminBodyLimit = 256 * 1024 * 1024;

net::HttpResponse answer_admin(FakeRestState& state, const net::HttpRequest& request);

}  // namespace weft::fakes
