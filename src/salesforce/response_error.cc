#include "salesforce/response_error.h"

#include <chrono>

#include <nlohmann/json.hpp>

namespace weft::salesforce {

namespace {

constexpr const char* kLimitExceeded = "REQUEST_LIMIT_EXCEEDED";
constexpr std::chrono::minutes kLimitRetry{1};

// The first error of a Salesforce error array ([{"message","errorCode","fields"}]).
std::string first_error(const std::string& body) {
  auto parsed = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_array() && !parsed.empty() && parsed[0].is_object()) {
    const auto& e = parsed[0];
    return e.value("errorCode", std::string("ERROR")) + ": " + e.value("message", std::string());
  }
  return body.substr(0, 200);
}

}  // namespace

std::optional<Error> response_error(const std::string& what, const net::ClientResponse& response) {
  const int status = response.status;
  if (status >= 200 && status < 300) return std::nullopt;
  if (status == 403 && response.body.find(kLimitExceeded) != std::string::npos) {
    return Error::retryable(what + ": " + first_error(response.body))
        .with_retry_after(std::chrono::duration_cast<std::chrono::milliseconds>(kLimitRetry));
  }
  const std::string text =
      what + ": HTTP " + std::to_string(status) + ": " + first_error(response.body);
  if (status == 429 || status >= 500) return Error::retryable(text);
  return Error::permanent(text);
}

bool limit_exceeded(const Error& error) {
  return error.message().find(kLimitExceeded) != std::string::npos;
}

}  // namespace weft::salesforce
