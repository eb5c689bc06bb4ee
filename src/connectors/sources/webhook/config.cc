#include "connectors/sources/webhook/config.h"

#include "webhook/webhook_config.h"
#include "webhook/webhook_source.h"

namespace weft::webhook {
namespace {

ConfigSpec signature_spec() {
  ConfigSpec s;
  s.enumeration("scheme",
                {"stripe", "github", "shopify", "slack", "standard_webhooks", "hmac", "none"})
      .required()
      .description(
          "How requests are signed. `none` accepts unsigned requests: use it only behind a "
          "proxy that authenticates the sender.");
  s.string("secret").secret()
      .description("The signing secret (Stripe's and Standard Webhooks' `whsec_...` as shown)")
      .example("${STRIPE_WEBHOOK_SECRET}");
  s.string_list("secrets").secret()
      .description(
          "Several secrets, any of which may sign (rotation: add the new one, switch the "
          "provider, then remove the old one)")
      .example("[\"${SECRET_NEW}\", \"${SECRET_OLD}\"]");
  s.duration("tolerance").default_value("5m").min(1000)
      .description("How far a signed timestamp may be from now (stripe, slack, "
                   "standard_webhooks, hmac with timestamp_header); older or newer is refused");
  s.string("header").description("hmac: the header carrying the signature")
      .example("X-Signature");
  s.enumeration("algorithm", {"sha256", "sha1", "sha512"}).default_value("sha256")
      .description("hmac: the HMAC digest");
  s.enumeration("encoding", {"hex", "base64"}).default_value("hex")
      .description("hmac: how the signature is written");
  s.string("prefix").description("hmac: text before the signature in the header")
      .example("sha256=");
  s.string("timestamp_header")
      .description("hmac: a header with the signed unix timestamp, checked against tolerance")
      .example("X-Timestamp");
  s.string("payload").default_value("{body}")
      .description("hmac: what is signed, from the placeholders {timestamp} and {body}")
      .example("{timestamp}.{body}");
  return s;
}

ConfigSpec response_spec() {
  ConfigSpec s;
  s.integer("status").default_value("200").min(200).max(299)
      .description("Status of the answer to an accepted event");
  s.string("content_type").default_value("application/json")
      .description("Content-Type of `body`");
  s.string("body")
      .description(
          "Template of the answer's body, e.g. `{{\"received\":\"{id}\"}}` ({id} is the "
          "event id, {$.path} reads the request body, {headers.name} a request header; `{{` "
          "and `}}` are literal braces); unset: {\"status\":\"accepted\"}")
      .example("'{{\"received\": \"{id}\"}}'");
  return s;
}

ConfigSpec url_verification_spec() {
  ConfigSpec s;
  s.enumeration("enabled", {"auto", "on", "off"}).default_value("auto")
      .description("Answer handshake requests instead of enqueueing them; `auto`: on for the "
                   "slack scheme");
  s.string("field").default_value("$.type").description("The body field naming a handshake");
  s.string("equals").default_value("url_verification")
      .description("Its value for a handshake");
  s.string("respond").default_value("{$.challenge}")
      .description("Template of the answer");
  s.string("content_type").default_value("text/plain").description("Content-Type of the answer");
  return s;
}

ConfigSpec get_challenge_spec() {
  ConfigSpec s;
  s.string("param").description("Query parameter whose value a GET is answered with; unset: "
                                "GET is not allowed")
      .example("hub.challenge");
  s.string("token_param").description("Query parameter carrying the verify token")
      .example("hub.verify_token");
  s.string("token").secret().description("The verify token you gave the provider")
      .example("${META_VERIFY_TOKEN}");
  return s;
}

}  // namespace

ConnectorInfo info() {
  ConnectorInfo info;
  info.type = "webhook";
  info.kind = ConnectorKind::kSource;
  info.summary =
      "Receives webhooks on the daemon's webhook listener: verifies each request's signature, "
      "stores it durably (fsynced) before answering 2xx, answers a provider's retry of an event "
      "it already has without enqueueing it again, and hands the events to the pipeline.";
  info.example =
      "type: webhook\npath: /webhooks/stripe\nsignature:\n  scheme: stripe\n"
      "  secret: ${STRIPE_WEBHOOK_SECRET}\n";
  auto& spec = info.spec;
  spec.string("path").required()
      .description("The URL path this pipeline receives at; unique across pipelines")
      .example("/webhooks/stripe");
  spec.object("signature", signature_spec()).required()
      .description("How requests are authenticated");
  spec.string("event_id")
      .description(
          "Template of the provider's event id, used to recognise retries of one event. Default "
          "per scheme: stripe `$.id`, github `{headers.x-github-delivery}`, shopify "
          "`{headers.x-shopify-webhook-id}`, slack `$.event_id`, standard_webhooks "
          "`{headers.webhook-id}`; none for hmac and none. An empty string turns it off.")
      .example("'{headers.x-request-id}'");
  spec.duration("remember_ids").default_value("7d").min(60000)
      .description("How long an accepted event id is remembered (past its delivery); cover the "
                   "provider's retry window (Stripe: 3 days)");
  spec.enumeration("format", {"json", "form", "raw"}).default_value("json")
      .description("`json`: the body must be JSON (400 otherwise) and becomes the record's value; "
                   "`form`: a urlencoded form, as an object of strings; `raw`: any bytes, as a "
                   "JSON string");
  spec.string_list("methods").default_value("[POST]").description("Methods accepted");
  spec.string_list("headers")
      .description("Request headers kept on each record (`@headers.name` in mappings), besides "
                   "the scheme's own (e.g. x-github-event)")
      .example("[X-Request-Id]");
  spec.size("max_body").default_value("1MiB").min(1).max(64.0 * 1024 * 1024)
      .description("Larger requests are refused with 413");
  spec.integer("max_buffered").default_value("100000").min(1)
      .description("Events waiting for delivery beyond which new ones get 503 and Retry-After");
  spec.boolean("reject_when_paused").default_value("true")
      .description("Answer 503 while the pipeline is paused (the sink's circuit breaker is "
                   "open, or an operator ran weft pause), so the provider keeps the events "
                   "until weft takes them again");
  spec.object("response", response_spec()).description("The answer to an accepted event");
  spec.object("url_verification", url_verification_spec())
      .description("POST handshakes such as Slack's url_verification");
  spec.object("get_challenge", get_challenge_spec())
      .description("GET handshakes such as Meta's hub.challenge");
  const auto build = [](WebhookConfig config, const ConnectorContext& ctx) {
    return make_webhook_source(std::move(config), ctx, ctx.webhooks);
  };
  parse_then_build(info, WebhookConfig::from, build);
  return info;
}

}  // namespace weft::webhook
