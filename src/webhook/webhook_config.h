#pragma once

// The settings of one `webhook` source (docs/connectors/webhook.md), checked and ready to use.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "delivery/json_path.h"
#include "delivery/record_template.h"
#include "webhook/signature.h"
#include "weft/settings.h"
#include "weft/status.h"

namespace weft::webhook {

enum class BodyFormat {
  kJson,  // the body must be JSON; it becomes the record's value as sent
  kForm,  // application/x-www-form-urlencoded; the record's value is an object of the fields
  kRaw,   // any bytes; the record's value is the body as a JSON string
};

// A handshake request answered with a value from its own body and never enqueued (Slack's
// url_verification: {"type":"url_verification","challenge":"..."} -> the challenge).
struct UrlVerification {
  JsonPath field;        // $.type
  std::string equals;    // url_verification
  RecordTemplate respond;  // {$.challenge}
  std::string content_type;
};

// A GET handshake (Meta, Strava, ...): GET ?hub.mode=subscribe&hub.verify_token=T&hub.challenge=C
// is answered with C when T is the configured token, 403 otherwise.
struct GetChallenge {
  std::string param;        // hub.challenge
  std::string token_param;  // hub.verify_token; empty: no token check
  std::string token;        // secret
};

struct WebhookConfig {
  std::string path;                  // "/webhooks/stripe"
  std::vector<std::string> methods;  // upper case; POST by default
  BodyFormat format = BodyFormat::kJson;
  SignatureConfig signature;
  // Renders the provider's event id from the request (headers under lower-case names);
  // nullopt: requests are not deduplicated.
  std::optional<RecordTemplate> event_id;
  std::chrono::milliseconds remember_ids{std::chrono::hours(24 * 7)};
  std::vector<std::string> keep_headers;  // lower case; kept with each record
  std::size_t max_body = 1024 * 1024;
  std::uint64_t max_buffered = 100000;
  bool reject_when_paused = true;
  int response_status = 200;
  std::string response_content_type = "application/json";
  std::optional<RecordTemplate> response_body;  // nullopt: {"status":"accepted",...}
  std::optional<UrlVerification> url_verification;
  std::optional<GetChallenge> get_challenge;

  // Fails with invalid_config naming the field: a secret the scheme cannot use, a template
  // that does not parse, a path that does not start with '/', ...
  static Result<WebhookConfig> from(const Settings& settings);
};

}  // namespace weft::webhook
