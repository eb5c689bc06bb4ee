#pragma once

// The sObject Collections API (protocols.md §4): up to 200 records of one object per request,
// `allOrNone: false`, one result per record in request order.

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <nlohmann/json_fwd.hpp>

#include "salesforce/record_outcome.h"
#include "salesforce/session.h"
#include "weft/status.h"

namespace weft::salesforce {

enum class Operation { kUpsert, kInsert, kUpdate, kDelete };
const char* to_string(Operation op);

inline constexpr std::size_t kCollectionsLimit = 200;

struct CollectionsTarget {
  std::string object;             // "Account"
  std::string external_id_field;  // upsert: "My_Ext_Id__c"
  Operation operation = Operation::kUpsert;
};

// Sends `records` (at most kCollectionsLimit; each a JSON object of Salesforce fields, `Id` for
// update and delete) and returns one outcome per record, in order. An Error when the request
// as a whole failed: transport errors, and statuses as response_error() classifies them. The
// message names the object and the Salesforce error code.
boost::asio::awaitable<Result<std::vector<RecordOutcome>>> send_collection(
    Session& session, const CollectionsTarget& target, const std::vector<nlohmann::json>& records);

}  // namespace weft::salesforce
