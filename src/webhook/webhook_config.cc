#include "webhook/webhook_config.h"

#include <algorithm>
#include <cctype>
#include <nlohmann/json.hpp>
#include <utility>

#include "common/text.h"

namespace weft::webhook {
namespace {

// Headers reach templates under lower-case names (HTTP header names are case-insensitive), so
// `{headers.X-GitHub-Delivery}` is read as `{headers.x-github-delivery}`.
std::string lower_header_placeholders(std::string text) {
  for (std::size_t at = text.find("{headers."); at != std::string::npos;
       at = text.find("{headers.", at + 1)) {
    const std::size_t end = text.find('}', at);
    if (end == std::string::npos) break;
    for (std::size_t i = at; i < end; ++i) text[i] = to_lower(text[i]);
  }
  return text;
}

Result<RecordTemplate> parse_template(const std::string& field, const std::string& text) {
  auto parsed = RecordTemplate::parse(lower_header_placeholders(text));
  if (!parsed) return Error::invalid_config("field '" + field + "': " + parsed.error().message());
  return parsed;
}

// Where each provider puts its event id and which of its headers say what happened.
struct SchemeDefaults {
  const char* event_id;  // a template; "" for none
  std::vector<std::string> headers;
};

SchemeDefaults defaults_for(Scheme scheme) {
  switch (scheme) {
    case Scheme::kStripe:
      return {"$.id", {}};
    case Scheme::kGithub:
      return {"{headers.x-github-delivery}",
              {"x-github-event", "x-github-delivery", "x-github-hook-id"}};
    case Scheme::kShopify:
      return {"{headers.x-shopify-webhook-id}",
              {"x-shopify-topic", "x-shopify-shop-domain", "x-shopify-webhook-id",
               "x-shopify-api-version"}};
    case Scheme::kSlack:
      return {"$.event_id", {}};
    case Scheme::kStandardWebhooks:
      return {"{headers.webhook-id}", {"webhook-id", "webhook-timestamp"}};
    case Scheme::kNone:
    case Scheme::kHmac:
      break;
  }
  return {"", {}};
}

Result<SignatureConfig> signature_from(const Settings& s) {
  SignatureConfig config;
  const std::string scheme_name = s.string("scheme");
  config.scheme = *parse_scheme(scheme_name);  // the spec allows only known names
  if (s.has("secrets")) config.secrets = s.string_list("secrets");
  if (s.has("secret")) config.secrets.insert(config.secrets.begin(), s.string("secret"));
  if (config.scheme != Scheme::kNone && config.secrets.empty()) {
    return Error::invalid_config("field 'signature': scheme " + scheme_name +
                                 " needs 'secret' or 'secrets'");
  }
  if (config.scheme == Scheme::kNone && !config.secrets.empty()) {
    return Error::invalid_config(
        "field 'signature': secrets are set but scheme is none, so nothing would check them");
  }
  for (std::size_t i = 0; i < config.secrets.size(); ++i) {
    if (auto problem = check_secret(config.scheme, config.secrets[i])) {
      return Error::invalid_config("field 'signature.secrets' (secret " + std::to_string(i + 1) +
                                   "): " + *problem);
    }
  }
  config.tolerance = std::chrono::duration_cast<std::chrono::seconds>(s.duration("tolerance"));
  if (config.scheme == Scheme::kHmac) {
    config.header = s.has("header") ? s.string("header") : "";
    config.digest = *parse_digest(s.string("algorithm"));
    config.encoding = *parse_encoding(s.string("encoding"));
    config.prefix = s.has("prefix") ? s.string("prefix") : "";
    config.timestamp_header = s.has("timestamp_header") ? s.string("timestamp_header") : "";
    config.payload_template = s.string("payload");
    if (auto problem = check_config(config)) {
      return Error::invalid_config("field 'signature': " + *problem);
    }
  }
  return config;
}

}  // namespace

Result<WebhookConfig> WebhookConfig::from(const Settings& s) {
  WebhookConfig c;
  c.path = s.string("path");
  if (c.path.empty() || c.path.front() != '/' || c.path.find_first_of("?# ") != std::string::npos) {
    return Error::invalid_config("field 'path': '" + c.path +
                                 "' must start with '/' and hold no query, fragment or space");
  }
  for (auto& method : s.string_list("methods")) c.methods.push_back(to_upper(method));
  const std::string format = s.string("format");
  c.format = format == "form" ? BodyFormat::kForm
             : format == "raw" ? BodyFormat::kRaw
                               : BodyFormat::kJson;

  auto signature = signature_from(s.object("signature"));
  if (!signature) return signature.error();
  c.signature = std::move(*signature);
  const SchemeDefaults defaults = defaults_for(c.signature.scheme);

  const std::string event_id = s.has("event_id") ? s.string("event_id") : defaults.event_id;
  if (!event_id.empty()) {
    auto parsed = parse_template("event_id", event_id);
    if (!parsed) return parsed.error();
    c.event_id = std::move(*parsed);
  }
  c.remember_ids = s.duration("remember_ids");
  c.keep_headers = defaults.headers;
  const auto extra_headers = s.has("headers") ? s.string_list("headers") : std::vector<std::string>{};
  for (const auto& name : extra_headers) {
    std::string lowered = to_lower(name);
    if (std::find(c.keep_headers.begin(), c.keep_headers.end(), lowered) == c.keep_headers.end()) {
      c.keep_headers.push_back(std::move(lowered));
    }
  }
  c.max_body = static_cast<std::size_t>(s.size("max_body"));
  c.max_buffered = static_cast<std::uint64_t>(s.integer("max_buffered"));
  c.reject_when_paused = s.boolean("reject_when_paused");

  const Settings response = s.object("response");
  c.response_status = static_cast<int>(response.integer("status"));
  c.response_content_type = response.string("content_type");
  if (response.has("body")) {
    auto body = parse_template("response.body", response.string("body"));
    if (!body) return body.error();
    c.response_body = std::move(*body);
  }

  const Settings handshake = s.object("url_verification");
  const std::string enabled = handshake.string("enabled");
  if (enabled == "on" || (enabled == "auto" && c.signature.scheme == Scheme::kSlack)) {
    if (c.format != BodyFormat::kJson) {
      return Error::invalid_config("field 'url_verification': needs format json");
    }
    auto field = JsonPath::parse(handshake.string("field"));
    if (!field) {
      return Error::invalid_config("field 'url_verification.field': " + field.error().message());
    }
    auto respond = parse_template("url_verification.respond", handshake.string("respond"));
    if (!respond) return respond.error();
    c.url_verification = UrlVerification{std::move(*field), handshake.string("equals"),
                                         std::move(*respond), handshake.string("content_type")};
  }

  const Settings challenge = s.object("get_challenge");
  if (challenge.has("param")) {
    GetChallenge get;
    get.param = challenge.string("param");
    if (challenge.has("token_param")) get.token_param = challenge.string("token_param");
    if (challenge.has("token")) get.token = challenge.string("token");
    if (get.token_param.empty() != get.token.empty()) {
      return Error::invalid_config(
          "field 'get_challenge': set both token_param and token, or neither");
    }
    c.get_challenge = std::move(get);
  }
  return c;
}

}  // namespace weft::webhook
