#include "salesforce/collections.h"

#include <nlohmann/json.hpp>

#include "salesforce/response_error.h"

namespace weft::salesforce {

namespace {

RecordOutcome outcome_of(const nlohmann::json& result) {
  RecordOutcome out;
  out.success = result.value("success", false);
  if (result.contains("id") && result["id"].is_string()) out.id = result["id"].get<std::string>();
  out.created = result.value("created", false);
  if (result.contains("errors") && result["errors"].is_array() && !result["errors"].empty()) {
    const auto& e = result["errors"][0];
    out.code = e.value("statusCode", std::string());
    out.message = e.value("message", std::string());
    if (e.contains("fields") && e["fields"].is_array()) {
      for (const auto& f : e["fields"]) {
        if (f.is_string()) out.fields.push_back(f.get<std::string>());
      }
    }
  }
  return out;
}

}  // namespace

const char* to_string(Operation op) {
  switch (op) {
    case Operation::kUpsert:
      return "upsert";
    case Operation::kInsert:
      return "insert";
    case Operation::kUpdate:
      return "update";
    case Operation::kDelete:
      return "delete";
  }
  return "upsert";
}

boost::asio::awaitable<Result<std::vector<RecordOutcome>>> send_collection(
    Session& session, const CollectionsTarget& target, const std::vector<nlohmann::json>& records) {
  std::string method;
  std::string path = "/composite/sobjects";
  std::string body;
  if (target.operation == Operation::kDelete) {
    method = "DELETE";
    path += "?allOrNone=false&ids=";
    for (std::size_t i = 0; i < records.size(); ++i) {
      path += (i ? "," : "") + records[i].value("Id", std::string());
    }
  } else {
    nlohmann::json request = {{"allOrNone", false}, {"records", nlohmann::json::array()}};
    for (const auto& record : records) {
      nlohmann::json r = record;
      r["attributes"] = {{"type", target.object}};
      request["records"].push_back(std::move(r));
    }
    body = request.dump();
    if (target.operation == Operation::kUpsert) {
      method = "PATCH";
      path += "/" + target.object + "/" + target.external_id_field;
    } else {
      method = target.operation == Operation::kInsert ? "POST" : "PATCH";
    }
  }
  const std::string what = std::string("salesforce ") + to_string(target.operation) + " of " +
                           std::to_string(records.size()) + " " + target.object + " record(s)";
  auto response = co_await session.send(method, path, body);
  if (!response.ok()) {
    co_return Error(response.error().kind(), what + ": " + response.error().message());
  }
  if (auto error = response_error(what, *response)) co_return *error;
  if (response->status != 200) {
    co_return Error::permanent(what + ": HTTP " + std::to_string(response->status));
  }
  auto results = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
  if (!results.is_array() || results.size() != records.size()) {
    co_return Error::retryable(what + ": the response does not hold one result per record");
  }
  std::vector<RecordOutcome> out;
  out.reserve(results.size());
  for (const auto& r : results) out.push_back(outcome_of(r));
  co_return std::move(out);
}

}  // namespace weft::salesforce
