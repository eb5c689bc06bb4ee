#include "webhook/signature.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <array>
#include <cctype>
#include <charconv>
#include <climits>
#include <cstddef>
#include <memory>

#include "common/text.h"

namespace weft::webhook {
namespace {

constexpr std::string_view kStripeHeader = "Stripe-Signature";
constexpr std::string_view kGithubHeader = "X-Hub-Signature-256";
constexpr std::string_view kShopifyHeader = "X-Shopify-Hmac-Sha256";
constexpr std::string_view kSlackHeader = "X-Slack-Signature";
constexpr std::string_view kSlackTimestampHeader = "X-Slack-Request-Timestamp";
constexpr std::string_view kWebhookIdHeader = "webhook-id";
constexpr std::string_view kWebhookTimestampHeader = "webhook-timestamp";
constexpr std::string_view kWebhookSignatureHeader = "webhook-signature";
constexpr std::string_view kWhsecPrefix = "whsec_";
constexpr std::string_view kBodyPlaceholder = "{body}";
constexpr std::string_view kTimestampPlaceholder = "{timestamp}";
// Seconds past the year 5000: a timestamp this large was surely written in milliseconds.
constexpr std::int64_t kMillisecondsFrom = 100'000'000'000;

// Indexed by Scheme: keep the order of the enum.
constexpr std::array<std::string_view, 7> kSchemeNames = {
    "none", "stripe", "github", "shopify", "slack", "standard_webhooks", "hmac"};

bool starts_with_icase(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Either case; nullopt for empty text, an odd length or a character that is not hex.
std::optional<std::string> hex_decode(std::string_view text) {
  if (text.empty() || text.size() % 2 != 0) return std::nullopt;
  std::string out(text.size() / 2, '\0');
  for (std::size_t i = 0; i < out.size(); ++i) {
    const int hi = hex_value(text[2 * i]);
    const int lo = hex_value(text[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string hex_encode(std::string_view bytes) {
  constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (const char c : bytes) {
    const auto b = static_cast<unsigned char>(c);
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0xF]);
  }
  return out;
}

// Standard alphabet; padding may be omitted but, when present, must be right. Strict where
// EVP_DecodeBlock is not: it maps '=' anywhere to zero bits and always returns whole 3-byte
// groups, padding included, so the text is validated here and the padding bytes cut off.
std::optional<std::string> base64_decode(std::string_view text) {
  if (text.empty() || text.size() > INT_MAX / 2) return std::nullopt;
  std::size_t pad = 0;
  while (pad < text.size() && text[text.size() - 1 - pad] == '=') ++pad;
  const std::string_view data = text.substr(0, text.size() - pad);
  if (pad > 2 || data.empty() || data.size() % 4 == 1) return std::nullopt;
  for (const char c : data) {
    if (std::isalnum(static_cast<unsigned char>(c)) == 0 && c != '+' && c != '/') return {};
  }
  const std::size_t missing = (4 - data.size() % 4) % 4;
  if (pad != 0 && pad != missing) return std::nullopt;
  std::string padded(data);
  padded.append(missing, '=');
  std::string out(padded.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(padded.data()),
                                static_cast<int>(padded.size()));
  if (n < 0 || static_cast<std::size_t>(n) < missing) return std::nullopt;
  out.resize(static_cast<std::size_t>(n) - missing);
  return out;
}

std::string base64_encode(std::string_view bytes) {
  std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(n < 0 ? 0 : static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> decode(Encoding encoding, std::string_view text) {
  return encoding == Encoding::kHex ? hex_decode(text) : base64_decode(text);
}

std::string encode(Encoding encoding, std::string_view bytes) {
  return encoding == Encoding::kHex ? hex_encode(bytes) : base64_encode(bytes);
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtx = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

// An HMAC context with its digest set, or null when OpenSSL cannot provide one.
MacCtx new_mac_ctx(Digest digest) {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr);
  if (mac == nullptr) return nullptr;
  MacCtx ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);  // the context holds its own reference
  if (!ctx) return nullptr;
  std::string name = digest == Digest::kSha1     ? "SHA1"
                     : digest == Digest::kSha256 ? "SHA256"
                                                 : "SHA512";
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name.data(), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) return nullptr;
  return ctx;
}

// HMAC of the concatenated `parts` under `key`, as raw bytes; nullopt for an empty key (OpenSSL
// would reuse the previous key) or an OpenSSL failure. The contexts are per thread and re-keyed
// on each call, so a request costs no fetch and no allocation inside OpenSSL.
std::optional<std::string> hmac(Digest digest, std::string_view key,
                                const std::vector<std::string_view>& parts) {
  thread_local std::array<MacCtx, 3> contexts;
  if (key.empty()) return std::nullopt;
  MacCtx& ctx = contexts[static_cast<std::size_t>(digest)];
  if (!ctx) ctx = new_mac_ctx(digest);
  if (!ctx) return std::nullopt;
  if (EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   nullptr) != 1) {
    return std::nullopt;
  }
  for (const std::string_view part : parts) {
    const auto* data = reinterpret_cast<const unsigned char*>(part.data());
    if (!part.empty() && EVP_MAC_update(ctx.get(), data, part.size()) != 1) return std::nullopt;
  }
  std::string out(EVP_MAX_MD_SIZE, '\0');
  std::size_t length = 0;
  if (EVP_MAC_final(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &length, out.size()) !=
      1) {
    return std::nullopt;
  }
  out.resize(length);
  return out;
}

// Constant time in the contents; lengths are not secret.
bool same_mac(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// The HMAC key a secret stands for: its bytes, except standard_webhooks, whose secret is base64
// (optionally after "whsec_"). nullopt when unusable.
std::optional<std::string> key_of(Scheme scheme, std::string_view secret) {
  if (secret.empty()) return std::nullopt;
  if (scheme != Scheme::kStandardWebhooks) return std::string(secret);
  if (secret.substr(0, kWhsecPrefix.size()) == kWhsecPrefix) {
    secret.remove_prefix(kWhsecPrefix.size());
  }
  return base64_decode(secret);
}

// The generic scheme's template with {body} and {timestamp} replaced, as pieces that point into
// the template, `body` and `timestamp` (which must outlive the result). Other text is literal.
std::vector<std::string_view> fill_template(std::string_view tmpl, std::string_view body,
                                            std::string_view timestamp) {
  std::vector<std::string_view> parts;
  std::size_t literal = 0;
  std::size_t at = 0;
  while ((at = tmpl.find('{', at)) != std::string_view::npos) {
    const std::string_view rest = tmpl.substr(at);
    std::string_view value;
    std::size_t length = 0;
    if (rest.substr(0, kBodyPlaceholder.size()) == kBodyPlaceholder) {
      value = body;
      length = kBodyPlaceholder.size();
    } else if (rest.substr(0, kTimestampPlaceholder.size()) == kTimestampPlaceholder) {
      value = timestamp;
      length = kTimestampPlaceholder.size();
    } else {
      ++at;
      continue;
    }
    parts.push_back(tmpl.substr(literal, at - literal));
    parts.push_back(value);
    at += length;
    literal = at;
  }
  parts.push_back(tmpl.substr(literal));
  return parts;
}

// The first "{name}" in the template whose name (lowercase letters and '_') is not a known
// placeholder: almost certainly a typo that would make every request a mismatch.
std::optional<std::string_view> unknown_placeholder(std::string_view tmpl) {
  for (std::size_t at = tmpl.find('{'); at != std::string_view::npos; at = tmpl.find('{', at + 1)) {
    std::size_t end = at + 1;
    while (end < tmpl.size() &&
           (std::islower(static_cast<unsigned char>(tmpl[end])) != 0 || tmpl[end] == '_')) {
      ++end;
    }
    if (end == at + 1 || end >= tmpl.size() || tmpl[end] != '}') continue;
    const std::string_view word = tmpl.substr(at, end + 1 - at);
    if (word != kBodyPlaceholder && word != kTimestampPlaceholder) return word;
  }
  return std::nullopt;
}

Verdict fail(const char* reason, std::string detail,
             std::optional<std::int64_t> timestamp = std::nullopt) {
  return Verdict{false, reason, std::move(detail), timestamp};
}

Verdict missing(std::string_view header) {
  return fail("missing_header", "the " + std::string(header) + " header is missing");
}

Verdict malformed(std::string_view header, std::string_view what,
                  std::optional<std::int64_t> timestamp = std::nullopt) {
  return fail("malformed_header", "the " + std::string(header) + " header " + std::string(what),
              timestamp);
}

// The header's value trimmed; nullopt when absent (or when there is no lookup at all).
std::optional<std::string_view> header_value(const HeaderLookup& headers, std::string_view name) {
  if (!headers || name.empty()) return std::nullopt;
  auto value = headers(name);
  if (!value) return std::nullopt;
  return trim(*value);
}

// Whole seconds since the epoch, digits only: no sign, no fraction, no exponent.
std::optional<std::int64_t> parse_unix_seconds(std::string_view text) {
  if (text.empty()) return std::nullopt;
  for (const char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// nullopt when `timestamp` is within `tolerance` of `now` either way; the failing verdict
// otherwise. Unsigned differences: exact for any pair of int64 values, so no overflow.
std::optional<Verdict> check_age(std::int64_t timestamp, std::string_view header,
                                 std::chrono::seconds tolerance,
                                 std::chrono::system_clock::time_point now) {
  const std::int64_t now_s =
      std::chrono::floor<std::chrono::seconds>(now.time_since_epoch()).count();
  const auto limit = static_cast<std::uint64_t>(tolerance.count() < 0 ? 0 : tolerance.count());
  const std::string bound = " s tolerance";
  if (timestamp < now_s) {
    const std::uint64_t age =
        static_cast<std::uint64_t>(now_s) - static_cast<std::uint64_t>(timestamp);
    if (age <= limit) return std::nullopt;
    return fail("stale_timestamp",
                "the " + std::string(header) + " timestamp is " + std::to_string(age) +
                    " s old, beyond the " + std::to_string(limit) + bound +
                    " (a replayed request, or a clock out of sync?)",
                timestamp);
  }
  const std::uint64_t ahead =
      static_cast<std::uint64_t>(timestamp) - static_cast<std::uint64_t>(now_s);
  if (ahead <= limit) return std::nullopt;
  return fail("future_timestamp",
              "the " + std::string(header) + " timestamp is " + std::to_string(ahead) +
                  " s in the future, beyond the " + std::to_string(limit) + bound +
                  (timestamp >= kMillisecondsFrom ? " (milliseconds instead of seconds?)"
                                                  : " (the sender's clock is ahead?)"),
              timestamp);
}

// Tries every configured secret against every provided MAC. Each secret's MAC is computed once,
// so the cost is one HMAC per secret whatever the number of signatures in the header.
Verdict match_any(const SignatureConfig& config, Digest digest, std::string_view header,
                  const std::vector<std::string>& provided,
                  const std::vector<std::string_view>& parts,
                  std::optional<std::int64_t> timestamp) {
  std::size_t usable = 0;
  for (const std::string& secret : config.secrets) {
    const auto key = key_of(config.scheme, secret);
    if (!key) continue;
    const auto expected = hmac(digest, *key, parts);
    if (!expected) continue;
    ++usable;
    for (const std::string& mac : provided) {
      if (same_mac(*expected, mac)) return Verdict{true, "ok", {}, timestamp};
    }
  }
  if (usable == 0) {
    return fail("mismatch",
                "no usable " + std::string(to_string(config.scheme)) +
                    " secret is configured, so the " + std::string(header) +
                    " signature cannot be checked",
                timestamp);
  }
  return fail("mismatch",
              "the " + std::string(header) + " signature does not match " +
                  (usable == 1 ? std::string("the configured secret")
                               : "any of the " + std::to_string(usable) + " configured secrets") +
                  " (wrong secret, or a body changed on the way?)",
              timestamp);
}

// A required timestamp header: its trimmed text and value, or the failing verdict.
struct Timestamp {
  std::string_view text;
  std::int64_t value = 0;
};

std::optional<Verdict> read_timestamp(const SignatureConfig& config, const HeaderLookup& headers,
                                      std::string_view name,
                                      std::chrono::system_clock::time_point now, Timestamp& out) {
  const auto text = header_value(headers, name);
  if (!text) return missing(name);
  const auto value = parse_unix_seconds(*text);
  if (!value) return malformed(name, "is not a unix timestamp in whole seconds");
  out = Timestamp{*text, *value};
  return check_age(*value, name, config.tolerance, now);
}

Verdict verify_stripe(const SignatureConfig& config, const HeaderLookup& headers,
                      std::string_view body, std::chrono::system_clock::time_point now) {
  const auto value = header_value(headers, kStripeHeader);
  if (!value) return missing(kStripeHeader);
  std::optional<std::string_view> t;
  std::vector<std::string> provided;
  bool saw_v1 = false;
  std::string_view rest = *value;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view item = trim(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    const std::size_t eq = item.find('=');
    if (eq == std::string_view::npos) continue;  // not ours to judge, like Stripe's libraries
    const std::string_view key = trim(item.substr(0, eq));
    const std::string_view val = trim(item.substr(eq + 1));
    if (key == "t") {
      if (t) return malformed(kStripeHeader, "has more than one t= timestamp");
      t = val;
    } else if (key == "v1") {
      saw_v1 = true;
      if (auto mac = hex_decode(val)) provided.push_back(std::move(*mac));
    }
  }
  if (!t) return malformed(kStripeHeader, "has no t= timestamp");
  const auto timestamp = parse_unix_seconds(*t);
  if (!timestamp) return malformed(kStripeHeader, "has a t= that is not a unix timestamp");
  if (auto stale = check_age(*timestamp, kStripeHeader, config.tolerance, now)) return *stale;
  if (provided.empty()) {
    return malformed(kStripeHeader, saw_v1 ? "has no v1= signature in hex" : "has no v1= signature",
                     timestamp);
  }
  return match_any(config, Digest::kSha256, kStripeHeader, provided, {*t, ".", body}, timestamp);
}

Verdict verify_standard(const SignatureConfig& config, const HeaderLookup& headers,
                        std::string_view body, std::chrono::system_clock::time_point now) {
  const auto id = header_value(headers, kWebhookIdHeader);
  if (!id) return missing(kWebhookIdHeader);
  const auto value = header_value(headers, kWebhookSignatureHeader);
  if (!value) return missing(kWebhookSignatureHeader);
  Timestamp ts;
  if (auto bad = read_timestamp(config, headers, kWebhookTimestampHeader, now, ts)) return *bad;
  if (id->empty()) return malformed(kWebhookIdHeader, "is empty", ts.value);
  std::vector<std::string> provided;
  bool saw_v1 = false;
  std::string_view rest = *value;
  while (!rest.empty()) {
    std::size_t end = 0;
    while (end < rest.size() && !is_space(rest[end])) ++end;
    const std::string_view entry = rest.substr(0, end);
    rest = trim(rest.substr(end));
    const std::size_t comma = entry.find(',');
    // Other versions (v1a: asymmetric signatures) are for other verifiers.
    if (comma == std::string_view::npos || entry.substr(0, comma) != "v1") continue;
    saw_v1 = true;
    if (auto mac = base64_decode(entry.substr(comma + 1))) provided.push_back(std::move(*mac));
  }
  if (provided.empty()) {
    return malformed(kWebhookSignatureHeader,
                     saw_v1 ? "has no v1 signature in base64" : "has no v1 signature", ts.value);
  }
  return match_any(config, Digest::kSha256, kWebhookSignatureHeader, provided,
                   {*id, ".", ts.text, ".", body}, ts.value);
}

// The schemes with one MAC over a template of the body and maybe a timestamp: github, shopify
// and slack are fixed instances of the generic hmac scheme. Views into `config` or constants.
struct Form {
  std::string_view header;
  std::string_view prefix;
  std::string_view timestamp_header;  // empty: none
  std::string_view payload_template;
  Digest digest = Digest::kSha256;
  Encoding encoding = Encoding::kHex;
};

Form form_of(const SignatureConfig& config) {
  switch (config.scheme) {
    case Scheme::kGithub:
      return {kGithubHeader, "sha256=", {}, kBodyPlaceholder};
    case Scheme::kShopify:
      return {kShopifyHeader, {}, {}, kBodyPlaceholder, Digest::kSha256, Encoding::kBase64};
    case Scheme::kSlack:
      return {kSlackHeader, "v0=", kSlackTimestampHeader, "v0:{timestamp}:{body}"};
    default:
      return {config.header,           config.prefix, config.timestamp_header,
              config.payload_template, config.digest, config.encoding};
  }
}

Verdict verify_form(const SignatureConfig& config, const Form& form, const HeaderLookup& headers,
                    std::string_view body, std::chrono::system_clock::time_point now) {
  const auto value = header_value(headers, form.header);
  if (!value) return missing(form.header);
  Timestamp ts;
  std::optional<std::int64_t> timestamp;
  if (!form.timestamp_header.empty()) {
    if (auto bad = read_timestamp(config, headers, form.timestamp_header, now, ts)) return *bad;
    timestamp = ts.value;
  }
  if (!starts_with_icase(*value, form.prefix)) {
    return malformed(form.header, "does not start with " + quoted(form.prefix), timestamp);
  }
  auto mac = decode(form.encoding, value->substr(form.prefix.size()));
  if (!mac) {
    return malformed(form.header,
                     form.encoding == Encoding::kHex ? "does not hold a hex signature"
                                                     : "does not hold a base64 signature",
                     timestamp);
  }
  return match_any(config, form.digest, form.header, {std::move(*mac)},
                   fill_template(form.payload_template, body, ts.text), timestamp);
}

}  // namespace

std::optional<Scheme> parse_scheme(std::string_view name) {
  for (std::size_t i = 0; i < kSchemeNames.size(); ++i) {
    if (kSchemeNames[i] == name) return static_cast<Scheme>(i);
  }
  return std::nullopt;
}

std::optional<Digest> parse_digest(std::string_view name) {
  if (name == "sha1") return Digest::kSha1;
  if (name == "sha256") return Digest::kSha256;
  if (name == "sha512") return Digest::kSha512;
  return std::nullopt;
}

std::optional<Encoding> parse_encoding(std::string_view name) {
  if (name == "hex") return Encoding::kHex;
  if (name == "base64") return Encoding::kBase64;
  return std::nullopt;
}

const char* to_string(Scheme scheme) {
  const auto i = static_cast<std::size_t>(scheme);
  return i < kSchemeNames.size() ? kSchemeNames[i].data() : "unknown";
}

Verdict verify(const SignatureConfig& config, const HeaderLookup& headers, std::string_view body,
               std::chrono::system_clock::time_point now) {
  switch (config.scheme) {
    case Scheme::kNone:
      return Verdict{true, "ok", {}, std::nullopt};
    case Scheme::kStripe:
      return verify_stripe(config, headers, body, now);
    case Scheme::kStandardWebhooks:
      return verify_standard(config, headers, body, now);
    case Scheme::kHmac:
      if (auto problem = check_config(config)) {
        return fail("mismatch", "the hmac signature settings are invalid: " + *problem);
      }
      [[fallthrough]];
    case Scheme::kGithub:
    case Scheme::kShopify:
    case Scheme::kSlack:
      return verify_form(config, form_of(config), headers, body, now);
  }
  return fail("mismatch", "unknown signature scheme");
}

std::optional<std::string> check_secret(Scheme scheme, const std::string& secret) {
  const std::string name = to_string(scheme);
  if (secret.empty()) return "a " + name + " secret must not be empty";
  if (is_space(secret.front()) || is_space(secret.back())) {
    return "a " + name +
           " secret must not start or end with whitespace (a trailing newline from a file or an "
           "environment variable?)";
  }
  if (scheme == Scheme::kStandardWebhooks) {
    const auto key = key_of(scheme, secret);
    if (!key || key->empty()) {
      return "a standard_webhooks secret must be 'whsec_' followed by base64";
    }
  }
  return std::nullopt;
}

std::optional<std::string> check_config(const SignatureConfig& config) {
  const std::string name = to_string(config.scheme);
  if (config.scheme == Scheme::kNone) {
    if (!config.secrets.empty()) {
      return "secrets are set but the signature scheme is none, so nothing would be verified";
    }
    return std::nullopt;
  }
  if (config.secrets.empty()) {
    return "the " + name + " signature scheme needs at least one secret";
  }
  if (config.tolerance.count() < 0) return "the signature tolerance must not be negative";
  if (config.scheme != Scheme::kHmac) return std::nullopt;
  if (trim(config.header).empty()) {
    return "the hmac signature scheme needs a header (the one carrying the signature, e.g. "
           "X-Signature)";
  }
  const std::string_view tmpl = config.payload_template;
  if (tmpl.find(kBodyPlaceholder) == std::string_view::npos) {
    return "the hmac payload_template must contain {body}, or the body would not be signed";
  }
  if (auto word = unknown_placeholder(tmpl)) {
    return "the hmac payload_template has an unknown placeholder " + quoted(*word) +
           " (placeholders: {body}, {timestamp})";
  }
  if (tmpl.find(kTimestampPlaceholder) != std::string_view::npos &&
      trim(config.timestamp_header).empty()) {
    return "the hmac payload_template uses {timestamp} but no timestamp_header is set";
  }
  return std::nullopt;
}

std::vector<std::pair<std::string, std::string>> sign(const SignatureConfig& config,
                                                      std::string_view body, std::int64_t timestamp,
                                                      std::string_view id) {
  if (config.scheme == Scheme::kNone || config.secrets.empty()) return {};
  const auto key = key_of(config.scheme, config.secrets.front());
  if (!key) return {};
  const std::string ts = std::to_string(timestamp);
  if (config.scheme == Scheme::kStripe) {
    const auto mac = hmac(Digest::kSha256, *key, {ts, ".", body});
    if (!mac) return {};
    return {{std::string(kStripeHeader), "t=" + ts + ",v1=" + hex_encode(*mac)}};
  }
  if (config.scheme == Scheme::kStandardWebhooks) {
    const auto mac = hmac(Digest::kSha256, *key, {id, ".", ts, ".", body});
    if (!mac) return {};
    return {{std::string(kWebhookIdHeader), std::string(id)},
            {std::string(kWebhookTimestampHeader), ts},
            {std::string(kWebhookSignatureHeader), "v1," + base64_encode(*mac)}};
  }
  const Form form = form_of(config);
  const auto mac = hmac(form.digest, *key, fill_template(form.payload_template, body, ts));
  if (!mac) return {};
  std::vector<std::pair<std::string, std::string>> out;
  if (!form.timestamp_header.empty()) out.emplace_back(form.timestamp_header, ts);
  out.emplace_back(form.header, std::string(form.prefix) + encode(form.encoding, *mac));
  return out;
}

}  // namespace weft::webhook
