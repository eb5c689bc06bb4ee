#include "fakes/salesforce/collections.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace weft::fakes::salesforce {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

json failure(const RecordError& error) {
  return {{"success", false}, {"errors", json::array({to_json(error)})}};
}

// The record's error before any write, or nullopt when it may be written.
std::optional<RecordError> check_record(const json& record, const std::string& external_field,
                                        const std::map<std::string, int>& external_ids) {
  if (record.contains("Id")) {
    return RecordError{"INVALID_FIELD", "Id is not allowed when upserting by external id", {"Id"}};
  }
  const auto value = record.find(external_field);
  const auto text = value == record.end() ? std::nullopt : external_id_text(*value);
  if (!text) {
    return RecordError{
        "INVALID_FIELD", "no value for the external id field " + external_field, {external_field}};
  }
  if (external_ids.at(*text) > 1) {
    return RecordError{
        "DUPLICATE_EXTERNAL_ID", "Duplicate external id specified: " + *text, {external_field}};
  }
  return std::nullopt;
}

HttpResponse upsert(SObjectStore& store, const HttpRequest& request, const std::string& object,
                    const std::string& external_field) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("records") || !body["records"].is_array()) {
    return api_error(400, "JSON_PARSER_ERROR", "expected {\"allOrNone\":...,\"records\":[...]}");
  }
  const json& records = body["records"];
  if (records.size() > kMaxCollectionRecords) {
    return api_error(400, "EXCEEDED_ID_LIMIT",
                     "record limit reached. cannot submit more than 200 records into this call");
  }
  const auto all_or_none = body.find("allOrNone");
  if (all_or_none != body.end() && !all_or_none->is_boolean()) {
    return api_error(400, "JSON_PARSER_ERROR", "allOrNone must be a boolean");
  }
  std::map<std::string, int> external_ids;  // value -> records carrying it
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& record = records[i];
    const json* type = record.is_object() && record.contains("attributes") &&
                               record["attributes"].is_object() &&
                               record["attributes"].contains("type")
                           ? &record["attributes"]["type"]
                           : nullptr;
    if (type == nullptr || *type != object) {
      return api_error(400, "INVALID_INPUT",
                       "record " + std::to_string(i) + ": attributes.type must be " + object);
    }
    if (const auto it = record.find(external_field); it != record.end()) {
      if (const auto text = external_id_text(*it)) ++external_ids[*text];
    }
  }

  std::vector<std::optional<RecordError>> errors;
  bool any_failed = false;
  for (const json& record : records) {
    auto error = check_record(record, external_field, external_ids);
    if (!error) error = store.take_injected(*external_id_text(record[external_field]));
    any_failed = any_failed || error.has_value();
    errors.push_back(std::move(error));
  }
  json results = json::array();
  const bool roll_back = any_failed && all_or_none != body.end() && all_or_none->get<bool>();
  for (std::size_t i = 0; i < records.size(); ++i) {
    if (errors[i]) {
      results.push_back(failure(*errors[i]));
    } else if (roll_back) {
      results.push_back(failure({"ALL_OR_NONE_OPERATION_ROLLED_BACK",
                                 "Record rolled back because not all records were valid and the "
                                 "request was using AllOrNone header",
                                 {}}));
    } else {
      json fields = records[i];
      fields.erase("attributes");
      const WriteResult written = store.upsert(object, external_field, fields);
      if (written.error) {
        results.push_back(failure(*written.error));
      } else {
        results.push_back({{"id", written.id},
                           {"success", true},
                           {"errors", json::array()},
                           {"created", written.created}});
      }
    }
  }
  return json_response(200, results);
}

HttpResponse remove(SObjectStore& store, const HttpRequest& request) {
  const auto ids = request.query_param("ids");
  if (!ids || ids->empty()) return api_error(400, "MISSING_ARGUMENT", "ids is required");
  std::vector<std::string> list;
  for (std::size_t start = 0; start <= ids->size();) {
    const auto comma = std::min(ids->find(',', start), ids->size());
    list.push_back(ids->substr(start, comma - start));
    start = comma + 1;
  }
  if (list.size() > kMaxCollectionRecords) {
    return api_error(400, "EXCEEDED_ID_LIMIT",
                     "record limit reached. cannot submit more than 200 records into this call");
  }
  json results = json::array();
  for (const auto& id : list) {
    if (store.remove(id)) {
      results.push_back({{"id", id}, {"success", true}, {"errors", json::array()}});
    } else {
      json result = failure({"ENTITY_IS_DELETED", "entity is deleted", {}});
      result["id"] = id;
      results.push_back(std::move(result));
    }
  }
  return json_response(200, results);
}

// POST (insert) and PATCH (update by Id) of records that each name their type: per-record
// results in request order. An update of an Id the org does not have fails with
// ENTITY_IS_DELETED; an insert carrying an Id fails with INVALID_FIELD.
HttpResponse insert_or_update(SObjectStore& store, const HttpRequest& request) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object() || !body.contains("records") || !body["records"].is_array()) {
    return api_error(400, "JSON_PARSER_ERROR", "expected {\"allOrNone\":...,\"records\":[...]}");
  }
  const json& records = body["records"];
  if (records.size() > kMaxCollectionRecords) {
    return api_error(400, "EXCEEDED_ID_LIMIT",
                     "record limit reached. cannot submit more than 200 records into this call");
  }
  const bool insert = request.method == "POST";
  json results = json::array();
  for (std::size_t i = 0; i < records.size(); ++i) {
    const json& record = records[i];
    if (!record.is_object() || !record.contains("attributes") ||
        !record["attributes"].is_object() || !record["attributes"].contains("type") ||
        !record["attributes"]["type"].is_string()) {
      return api_error(400, "INVALID_INPUT",
                       "record " + std::to_string(i) + ": no attributes.type");
    }
    const std::string object = record["attributes"]["type"].get<std::string>();
    json fields = record;
    fields.erase("attributes");
    if (insert) {
      if (fields.contains("Id")) {
        results.push_back(
            failure({"INVALID_FIELD", "cannot specify Id in an insert call", {"Id"}}));
        continue;
      }
      results.push_back({{"id", store.insert(object, fields)},
                         {"success", true},
                         {"errors", json::array()},
                         {"created", true}});
      continue;
    }
    if (!fields.contains("Id") || !fields["Id"].is_string()) {
      results.push_back(failure({"MISSING_ARGUMENT", "Id not specified in an update call", {}}));
      continue;
    }
    const std::string id = fields["Id"].get<std::string>();
    fields.erase("Id");
    if (store.update(object, id, fields)) {
      results.push_back({{"id", id}, {"success", true}, {"errors", json::array()}});
    } else {
      json result = failure({"ENTITY_IS_DELETED", "entity is deleted", {}});
      result["id"] = id;
      results.push_back(std::move(result));
    }
  }
  return json_response(200, results);
}

}  // namespace

HttpResponse answer_collections(SObjectStore& store, const HttpRequest& request,
                                std::string_view rest) {
  if (rest.empty() || rest == "/") {
    if (request.method == "DELETE") return remove(store, request);
    if (request.method == "POST" || request.method == "PATCH") {
      return insert_or_update(store, request);
    }
    return api_error(405, "METHOD_NOT_ALLOWED",
                     "HTTP Method '" + request.method +
                         "' not allowed. Allowed are DELETE, PATCH, "
                         "POST");
  }
  rest.remove_prefix(1);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string_view::npos) {
    return api_error(404, "NOT_FOUND", "The requested resource does not exist");
  }
  if (request.method != "PATCH") {
    return api_error(405, "METHOD_NOT_ALLOWED",
                     "HTTP Method '" + request.method + "' not allowed. Allowed are PATCH");
  }
  return upsert(store, request, std::string(rest.substr(0, slash)),
                std::string(rest.substr(slash + 1)));
}

HttpResponse answer_sobject(SObjectStore& store, const HttpRequest& request,
                            std::string_view rest) {
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos || slash == 0 || slash + 1 == rest.size() ||
      rest.find('/', slash + 1) != std::string_view::npos) {
    return api_error(404, "NOT_FOUND", "The requested resource does not exist");
  }
  if (request.method != "PATCH") {
    return api_error(405, "METHOD_NOT_ALLOWED",
                     "HTTP Method '" + request.method + "' not allowed. Allowed are PATCH");
  }
  json fields = json::parse(request.body, nullptr, false);
  if (!fields.is_object()) return api_error(400, "JSON_PARSER_ERROR", "expected a JSON object");
  fields.erase("attributes");
  fields.erase("Id");
  if (!store.update(std::string(rest.substr(0, slash)), std::string(rest.substr(slash + 1)),
                    fields)) {
    return api_error(404, "NOT_FOUND", "The requested resource does not exist");
  }
  HttpResponse response;
  response.status = 204;
  return response;
}

}  // namespace weft::fakes::salesforce
