#pragma once

// How the fake reports errors the way Salesforce does: request-level error arrays
// [{"message","errorCode","fields"}] and per-record errors {"statusCode","message","fields"}, and
// the per-record errors tests inject.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "net/http_server.h"
#include "weft/status.h"

namespace weft::fakes::salesforce {

// `status` with the body [{"message":message,"errorCode":code,"fields":[]}].
net::HttpResponse api_error(int status, std::string_view code, std::string_view message);

// A per-record error as Salesforce reports it.
struct RecordError {
  std::string status_code;  // "UNABLE_TO_LOCK_ROW"
  std::string message;
  std::vector<std::string> fields;
};

// {"statusCode","message","fields"}
nlohmann::json to_json(const RecordError& error);
// A Bulk API result file's sf__Error: "CODE:message:Field1,Field2 --".
std::string bulk_error_text(const RecordError& error);

// Makes writes of the record whose external id has `external_id` as value fail with `code`.
// `failures` > 0: only the next `failures` attempts fail, later ones succeed (a transient error
// such as UNABLE_TO_LOCK_ROW); 0: every attempt fails (a permanent one).
struct InjectedError {
  std::string external_id;
  std::string code;
  std::string message;  // "" -> a default message naming the code
  std::vector<std::string> fields;
  int failures = 0;
};

// {"external_id":"A1","code":"UNABLE_TO_LOCK_ROW","message":"...","fields":["Name"],"failures":2}:
// external_id and code required (external_id a string or a number), no other keys;
// invalid_config naming the problem otherwise.
Result<InjectedError> injected_error_from_json(const nlohmann::json& json);

// An external id value as text ("A1", 42 -> "42"); nullopt for null, "", objects and arrays.
std::optional<std::string> external_id_text(const nlohmann::json& value);

}  // namespace weft::fakes::salesforce
