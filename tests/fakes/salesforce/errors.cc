#include "fakes/salesforce/errors.h"

namespace weft::fakes::salesforce {

net::HttpResponse api_error(int status, std::string_view code, std::string_view message) {
  net::HttpResponse response;
  response.status = status;
  nlohmann::json error = nlohmann::json::object();
  error["message"] = std::string(message);
  error["errorCode"] = std::string(code);
  error["fields"] = nlohmann::json::array();
  response.body = nlohmann::json::array({error}).dump();
  return response;
}

std::string bulk_error_text(const RecordError& error) {
  std::string text = error.status_code + ":" + error.message + ":";
  for (std::size_t i = 0; i < error.fields.size(); ++i) {
    if (i > 0) text += ',';
    text += error.fields[i];
  }
  return text + " --";
}

nlohmann::json to_json(const RecordError& error) {
  return {{"statusCode", error.status_code}, {"message", error.message}, {"fields", error.fields}};
}

Result<InjectedError> injected_error_from_json(const nlohmann::json& json) {
  if (!json.is_object()) return Error::invalid_config("injected error: expected a JSON object");
  InjectedError error;
  for (const auto& [key, value] : json.items()) {
    const auto wrong = [&](const char* expected) {
      return Error::invalid_config("injected error: " + key + " must be " + expected);
    };
    if (key == "external_id") {
      const auto text = external_id_text(value);
      if (!text) return wrong("a non-empty string or a number");
      error.external_id = *text;
    } else if (key == "code") {
      if (!value.is_string() || value.get<std::string>().empty()) return wrong("a string");
      error.code = value.get<std::string>();
    } else if (key == "message") {
      if (!value.is_string()) return wrong("a string");
      error.message = value.get<std::string>();
    } else if (key == "fields") {
      if (!value.is_array()) return wrong("an array of strings");
      for (const auto& field : value) {
        if (!field.is_string()) return wrong("an array of strings");
        error.fields.push_back(field.get<std::string>());
      }
    } else if (key == "failures") {
      if (!value.is_number_integer() || value.get<long long>() < 0 ||
          value.get<long long>() > 1000000) {
        return wrong("an integer 0..1000000");
      }
      error.failures = value.get<int>();
    } else {
      return Error::invalid_config("injected error: unknown key " + key);
    }
  }
  if (error.external_id.empty()) return Error::invalid_config("injected error: external_id needed");
  if (error.code.empty()) return Error::invalid_config("injected error: code needed");
  return error;
}

std::optional<std::string> external_id_text(const nlohmann::json& value) {
  if (value.is_string()) {
    auto text = value.get<std::string>();
    if (text.empty()) return std::nullopt;
    return text;
  }
  if (value.is_number_integer()) return value.dump();
  if (value.is_number_float()) return value.dump();
  return std::nullopt;
}

}  // namespace weft::fakes::salesforce
