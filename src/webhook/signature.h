#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace weft::webhook {

// Webhook signature schemes, as the providers publish them. Every scheme signs the raw body
// bytes with HMAC and every comparison is constant-time; the schemes differ in headers, in what
// is signed and in how the MAC is written:
//   stripe      Stripe-Signature: t=<unix>,v1=<hex>[,v1=...]; signs t + "." + body
//   github      X-Hub-Signature-256: sha256=<hex>; signs body
//   shopify     X-Shopify-Hmac-Sha256: <base64>; signs body
//   slack       X-Slack-Signature: v0=<hex>, X-Slack-Request-Timestamp;
//               signs "v0:" + ts + ":" + body
//   standard_webhooks
//               webhook-id, webhook-timestamp, webhook-signature: v1,<b64> [v1,<b64> ...];
//               signs id + "." + ts + "." + body; the secret is "whsec_" + base64 of the key
//   hmac        a header, digest, encoding, prefix and payload template of the user's own
// All use HMAC-SHA256 except hmac, whose digest is configured.
enum class Scheme { kNone, kStripe, kGithub, kShopify, kSlack, kStandardWebhooks, kHmac };
enum class Digest { kSha1, kSha256, kSha512 };
enum class Encoding { kHex, kBase64 };

// Parses the names users write in YAML: "none","stripe","github","shopify","slack",
// "standard_webhooks","hmac"; "sha1","sha256","sha512"; "hex","base64". Exact, lowercase names
// only (like every enum in weft's config); nullopt otherwise.
std::optional<Scheme> parse_scheme(std::string_view name);
std::optional<Digest> parse_digest(std::string_view name);
std::optional<Encoding> parse_encoding(std::string_view name);
// The YAML name of the scheme ("standard_webhooks"); a static string.
const char* to_string(Scheme scheme);

struct SignatureConfig {
  Scheme scheme = Scheme::kNone;
  // Any one may match (rotation): each is tried. Order matters only to sign(), which uses the
  // first.
  std::vector<std::string> secrets;
  // How far the signed timestamp may be from now, either way: stripe, slack, standard_webhooks,
  // and hmac with a timestamp header.
  std::chrono::seconds tolerance{300};

  // Generic hmac only.
  // The header carrying the signature, e.g. "X-Signature".
  std::string header;
  Digest digest = Digest::kSha256;
  Encoding encoding = Encoding::kHex;
  // Stripped from the header value, e.g. "sha256=" (compared ignoring ASCII case).
  std::string prefix;
  // The header carrying a unix timestamp in seconds; empty: no timestamp check.
  std::string timestamp_header;
  // What is signed: "{body}" and "{timestamp}" placeholders, e.g. "{timestamp}.{body}"; any
  // other text is literal. {timestamp} is the timestamp header's text exactly as sent.
  std::string payload_template = "{body}";
};

// Case-insensitive header lookup supplied by the HTTP layer; nullopt when absent.
using HeaderLookup = std::function<std::optional<std::string_view>(std::string_view name)>;

struct Verdict {
  bool ok = false;
  // Why it failed, for the daemon's debug log and a metric label; never contains a secret or an
  // expected MAC. One of a small fixed set of short reasons: "missing_header",
  // "malformed_header", "stale_timestamp", "future_timestamp", "mismatch" (plus "ok" when ok).
  // Put a human sentence in `detail` (names the header).
  std::string reason;
  std::string detail;
  std::optional<std::int64_t> timestamp;  // the signed unix timestamp, when the scheme has one
};

// Verifies `body` (raw bytes) against the request's headers at time `now`. kNone always passes.
//
// Header values are trimmed of surrounding whitespace; the timestamp text is signed exactly as
// sent. A timestamp that is not a non-negative decimal integer of seconds, a missing prefix
// ("sha256=", "v0="), or a signature that is not valid hex/base64 is "malformed_header"; a
// signature of the wrong length is "mismatch". Timestamps are checked before any MAC is
// computed, so a replay is reported as "stale_timestamp" (older than `now - tolerance`) or
// "future_timestamp" (newer than `now + tolerance`); both bounds are inclusive-accepting.
// `timestamp` is filled whenever the timestamp parsed, pass or fail.
//
// Fails closed: no usable secret (empty, or a standard_webhooks secret that does not decode) or
// an hmac config that check_config() rejects gives "mismatch" with the cause in `detail`.
// Never throws (beyond std::bad_alloc); an empty `headers` function counts as no headers.
// Thread-safe: no shared mutable state (OpenSSL contexts are cached per thread).
Verdict verify(const SignatureConfig& config, const HeaderLookup& headers, std::string_view body,
               std::chrono::system_clock::time_point now);

// Config-time check of one secret for the scheme: an error sentence (e.g. "a standard_webhooks
// secret must be 'whsec_' followed by base64") or nullopt when usable. Never echoes the secret.
// Rejects empty secrets and secrets with leading or trailing whitespace (a stray newline from a
// file or an environment variable would otherwise make every request a "mismatch").
std::optional<std::string> check_secret(Scheme scheme, const std::string& secret);

// Config-time check of the settings other than the secrets' contents: an error sentence naming
// the field, or nullopt when fine. For every scheme: at least one secret unless the scheme is
// none (and none with secrets, which would silently verify nothing), and a tolerance that is not
// negative. For hmac: header set, payload_template contains {body} and no unknown {placeholder},
// timestamp_header set when the template uses {timestamp}.
std::optional<std::string> check_config(const SignatureConfig& config);

// The headers a sender would attach (for tests, benchmarks and `weft` tooling), signing with
// secrets[0]. `id` is used by standard_webhooks (webhook-id); `timestamp` by the schemes that
// carry one (and by hmac when the template or timestamp_header uses it). Hex is lowercase.
// Empty for kNone, when there is no secret, or when secrets[0] is unusable (see verify()).
std::vector<std::pair<std::string, std::string>> sign(const SignatureConfig& config,
                                                      std::string_view body, std::int64_t timestamp,
                                                      std::string_view id = {});

}  // namespace weft::webhook
