#pragma once

// The fake org's REST query endpoint (GET /services/data/vXX.X/query?q=SOQL), for the one query
// the salesforce sink sends: the Ids of records by an external id field,
//   SELECT Id, Field FROM Object WHERE Field IN ('a', 'b')
// with string literals escaped as SOQL does (\' and \\). Anything else: 400 MALFORMED_QUERY.

#include "fakes/salesforce/sobject_store.h"
#include "net/http_server.h"

namespace weft::fakes::salesforce {

net::HttpResponse answer_query(const SObjectStore& store, const net::HttpRequest& request);

}  // namespace weft::fakes::salesforce
