#pragma once

// How a Salesforce data response that is not 2xx becomes an Error, the same for every API
// weft calls (Collections, Bulk): REQUEST_LIMIT_EXCEEDED is retryable after a minute (the org's
// daily limit frees up slowly), 429 and 5xx are retryable, every other status is permanent. The
// message starts with `what` and carries Salesforce's first error code and message.

#include <optional>
#include <string>

#include "net/http_client.h"
#include "weft/status.h"

namespace weft::salesforce {

std::optional<Error> response_error(const std::string& what, const net::ClientResponse& response);

// True for the Error response_error() returns when the org's API request limit is used up.
bool limit_exceeded(const Error& error);

}  // namespace weft::salesforce
