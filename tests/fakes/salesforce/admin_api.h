#pragma once

// The fake Salesforce's control endpoints, for tests in another process and for benchmarks. Open
// (no session needed), not counted, no latency, answered in JSON:
//   GET    /_admin/health           {"status":"ok"}
//   GET    /_admin/config           the settings (FakeSalesforce::config)
//   POST   /_admin/config           changes them (FakeSalesforce::configure)
//   POST   /_admin/errors           an injected error or an array of them -> {"injected":n}
//   DELETE /_admin/errors           drops them
//   POST   /_admin/expire-sessions  every issued access token stops working
//   GET    /_admin/records/{Object} the stored records of Object, in creation order
//   DELETE /_admin/records          empties the store
//   GET    /_admin/stats            counters (to_json(FakeSalesforceStats))
// A bad body gets 400 {"error":"..."}; an unknown path 404, a wrong method 405.

#include "net/http_server.h"

namespace weft::fakes::salesforce {

class SalesforceState;

net::HttpResponse answer_admin(SalesforceState& state, const net::HttpRequest& request);

}  // namespace weft::fakes::salesforce
