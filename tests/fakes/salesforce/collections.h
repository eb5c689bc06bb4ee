#pragma once

// The sObject endpoints a sink writes with (protocols.md §4), on the fake's store:
//   PATCH  .../composite/sobjects/{Object}/{ExternalIdField}  upsert up to 200 records
//   DELETE .../composite/sobjects?ids=ID,ID                   delete up to 200 records by Id
//   PATCH  .../sobjects/{Object}/{Id}                         update one record by Id (204)
// Callers have checked the session and counted the request.

#include <string_view>

#include "fakes/salesforce/sobject_store.h"
#include "net/http_server.h"

namespace weft::fakes::salesforce {

// At most this many records per Collections request.
constexpr std::size_t kMaxCollectionRecords = 200;

// `rest` is the path after ".../composite/sobjects" ("" or "/Account/Ext_Id__c").
// Upsert: 200 with one result per record in request order, {"id","success":true,"errors":[],
// "created":bool} or {"success":false,"errors":[{"statusCode","message","fields"}]}. A record with
// "Id", or without a value for the external id field, fails with INVALID_FIELD; records sharing
// an external id value fail with DUPLICATE_EXTERNAL_ID [unverified]; injected errors apply. With
// "allOrNone":true and any failure nothing is written and the other records fail with
// ALL_OR_NONE_OPERATION_ROLLED_BACK. 400 with an error array for a malformed body, more than 200
// records, or a record whose attributes.type is not {Object}.
net::HttpResponse answer_collections(SObjectStore& store, const net::HttpRequest& request,
                                     std::string_view rest);

// `rest` is the path after ".../sobjects/" ("Account/001000000000000001"): PATCH writes the
// body's fields into that record and answers 204; 404 NOT_FOUND when there is no such record.
net::HttpResponse answer_sobject(SObjectStore& store, const net::HttpRequest& request,
                                 std::string_view rest);

}  // namespace weft::fakes::salesforce
