#include "salesforce/oauth_client.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "common/text.h"
#include "net/http_client.h"
#include "net/url.h"

namespace weft::salesforce {
namespace {

namespace asio = boost::asio;
using nlohmann::json;

constexpr std::string_view kJwtBearerGrantType = "urn:ietf:params:oauth:grant-type:jwt-bearer";
constexpr auto kAssertionLifetime = std::chrono::minutes(3);

std::string where(Grant grant) {
  return std::string("salesforce login (") + to_string(grant) + ")";
}

std::string without_trailing_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

// RFC 7515 base64url without padding. OpenSSL only has standard base64 (EVP_EncodeBlock), so its
// output is translated; net/ and common/ have no base64 helper (rest/ keeps its own, private).
std::string base64url(std::string_view bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  for (char& c : out) {
    if (c == '+') c = '-';
    if (c == '/') c = '_';
  }
  return out;
}

// The reason of OpenSSL's oldest queued error ("no start line", "bad decrypt"), and the queue
// emptied so that it does not surface in another caller on this thread. Never key material.
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  const char* reason = code == 0 ? nullptr : ERR_reason_error_string(code);
  return reason ? reason : "unknown error";
}

struct KeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
using KeyPtr = std::unique_ptr<EVP_PKEY, KeyFree>;

// Without a passphrase callback OpenSSL would prompt on the terminal for an encrypted key; a
// daemon refuses such a key instead.
int no_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return 0; }

std::string default_audience(const std::string& login_url) {
  const std::string trimmed = without_trailing_slash(login_url);
  const auto url = net::parse_url(trimmed);
  if (!url.ok()) return trimmed;
  const std::string host = to_lower(url->host);
  if (host == "test.salesforce.com" || host.ends_with(".sandbox.my.salesforce.com")) {
    return "https://test.salesforce.com";
  }
  if (host == "login.salesforce.com" || host.ends_with(".salesforce.com")) {
    return "https://login.salesforce.com";
  }
  return trimmed;
}

// application/x-www-form-urlencoded (percent-encoding is a valid form encoding: %20 for space).
std::string form_body(const std::vector<std::pair<std::string_view, std::string_view>>& fields) {
  std::string body;
  for (const auto& [name, value] : fields) {
    if (!body.empty()) body += '&';
    body += net::percent_encode(name) + "=" + net::percent_encode(value);
  }
  return body;
}

std::string string_field(const json& object, const char* name) {
  const auto it = object.find(name);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::string();
}

// `error` of the same kind and Retry-After with another message.
Error with_message(const Error& error, std::string message) {
  Error out(error.kind(), std::move(message));
  if (const auto delay = error.retry_after()) out.with_retry_after(*delay);
  return out;
}

}  // namespace

const char* to_string(Grant grant) {
  switch (grant) {
    case Grant::kClientCredentials:
      return "client_credentials";
    case Grant::kJwtBearer:
      return "jwt_bearer";
    case Grant::kRefreshToken:
      return "refresh_token";
    case Grant::kPassword:
      return "password";
  }
  return "unknown";
}

Result<std::string> make_jwt_assertion(const OAuthSettings& settings,
                                       std::chrono::system_clock::time_point now) {
  const std::string context = where(Grant::kJwtBearer);
  if (settings.private_key_pem.empty()) {
    return Error::invalid_config(context + ": no private key is set");
  }
  KeyPtr key;
  {
    std::unique_ptr<BIO, BioFree> bio(BIO_new_mem_buf(
        settings.private_key_pem.data(), static_cast<int>(settings.private_key_pem.size())));
    if (bio) key.reset(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  }
  if (!key) {
    return Error::invalid_config(context +
                                 ": the private key is not an unencrypted PEM private key (" +
                                 openssl_reason() + ")");
  }
  if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
    return Error::invalid_config(context + ": the private key is not an RSA key (RS256 needs one)");
  }

  const std::string audience =
      settings.audience.empty() ? default_audience(settings.login_url) : settings.audience;
  const auto exp = std::chrono::duration_cast<std::chrono::seconds>(
                       (now + kAssertionLifetime).time_since_epoch())
                       .count();
  const json claims = {
      {"iss", settings.client_id}, {"sub", settings.username}, {"aud", audience}, {"exp", exp}};
  // `replace`: invalid UTF-8 in a setting must not throw on the data plane.
  const std::string signing_input =
      base64url(R"({"alg":"RS256"})") + "." +
      base64url(claims.dump(-1, ' ', false, json::error_handler_t::replace));

  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const auto* input = reinterpret_cast<const unsigned char*>(signing_input.data());
  std::size_t length = 0;
  std::string signature;
  bool signed_ok = ctx &&
                   EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key.get()) == 1 &&
                   EVP_DigestSign(ctx.get(), nullptr, &length, input, signing_input.size()) == 1;
  if (signed_ok) {
    signature.resize(length);
    signed_ok = EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()),
                               &length, input, signing_input.size()) == 1;
    signature.resize(length);
  }
  if (!signed_ok) {
    return Error::invalid_config(context + ": signing the assertion failed (" + openssl_reason() +
                                 ")");
  }
  return signing_input + "." + base64url(signature);
}

// One token request in flight. The leader sets `result`, then lands: cancelling `done` wakes the
// callers waiting on it (the timer never expires by itself).
struct OAuthClient::Flight {
  explicit Flight(const asio::any_io_executor& executor)
      : done(executor, asio::steady_timer::time_point::max()) {}

  void land() {
    landed = true;
    done.cancel();
  }

  asio::steady_timer done;
  std::optional<Result<AccessToken>> result;  // unset if the leader ended with an exception
  bool landed = false;
};

OAuthClient::OAuthClient(std::shared_ptr<net::HttpClient> http, OAuthSettings settings)
    : http_(std::move(http)), settings_(std::move(settings)) {}

OAuthClient::~OAuthClient() = default;

asio::awaitable<Result<AccessToken>> OAuthClient::token() {
  while (true) {
    if (cached_) co_return *cached_;
    if (flight_ && flight_->landed) flight_.reset();  // its leader ended with an exception
    if (!flight_) {
      Result<AccessToken> led = co_await lead();
      co_return std::move(led);
    }
    const std::shared_ptr<Flight> flight = flight_;
    co_await flight->done.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!flight->landed) {
      // The wait was aborted: this caller is being cancelled, the request goes on for others.
      co_return Error::cancelled(where(settings_.grant) + ": cancelled while waiting for a token");
    }
    if (flight->result &&
        (flight->result->ok() || flight->result->error().kind() != ErrorKind::kCancelled)) {
      co_return *flight->result;
    }
    // The leader was cancelled (or threw), not necessarily this caller: try again unless this
    // caller is being cancelled too.
    const asio::cancellation_state state = co_await asio::this_coro::cancellation_state;
    if (state.cancelled() != asio::cancellation_type::none) {
      co_return Error::cancelled(where(settings_.grant) + ": cancelled while waiting for a token");
    }
  }
}

asio::awaitable<Result<AccessToken>> OAuthClient::renew() {
  cached_.reset();
  // With a fetch in flight, token() waits for it rather than sending another request.
  Result<AccessToken> renewed = co_await token();
  co_return std::move(renewed);
}

asio::awaitable<Result<AccessToken>> OAuthClient::lead() {
  auto flight = std::make_shared<Flight>(co_await asio::this_coro::executor);
  flight_ = flight;
  // Lands the flight however this coroutine ends (an exception, a destroyed frame) so that no
  // waiter hangs. It touches only the flight: the OAuthClient may be gone by then.
  struct Landing {
    std::shared_ptr<Flight> flight;
    ~Landing() { flight->land(); }
  } landing{flight};

  Result<AccessToken> result = co_await fetch();
  if (result.ok()) cached_ = std::make_unique<AccessToken>(result.value());
  flight->result = result;
  if (flight_ == flight) flight_.reset();
  co_return std::move(result);
}

asio::awaitable<Result<AccessToken>> OAuthClient::fetch() {
  const std::string context = where(settings_.grant);
  const OAuthSettings& s = settings_;
  std::string assertion;
  std::vector<std::pair<std::string_view, std::string_view>> fields;
  switch (s.grant) {
    case Grant::kClientCredentials:
      fields = {{"grant_type", "client_credentials"},
                {"client_id", s.client_id},
                {"client_secret", s.client_secret}};
      break;
    case Grant::kJwtBearer: {
      auto made = make_jwt_assertion(s, std::chrono::system_clock::now());
      if (!made.ok()) co_return made.error();
      assertion = std::move(made).value();
      fields = {{"grant_type", kJwtBearerGrantType}, {"assertion", assertion}};
      break;
    }
    case Grant::kRefreshToken:
      fields = {{"grant_type", "refresh_token"},
                {"refresh_token", s.refresh_token},
                {"client_id", s.client_id}};
      if (!s.client_secret.empty()) fields.emplace_back("client_secret", s.client_secret);
      break;
    case Grant::kPassword:
      fields = {{"grant_type", "password"},
                {"client_id", s.client_id},
                {"client_secret", s.client_secret},
                {"username", s.username},
                {"password", s.password}};
      break;
  }

  net::ClientRequest request;
  request.method = "POST";
  request.url = without_trailing_slash(s.login_url) + "/services/oauth2/token";
  request.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  request.headers.emplace_back("Accept", "application/json");
  request.body = form_body(fields);

  // The secrets are in the body; the errors of send() name only the method and the URL.
  auto sent = co_await http_->send(request);
  if (!sent.ok()) {
    co_return with_message(sent.error(),
                           redact(context + ": " + sent.error().message(), assertion));
  }
  const net::ClientResponse& response = sent.value();
  const json body = json::parse(response.body, nullptr, false);

  if (response.status < 200 || response.status > 299) {
    // A refused login: {"error":"invalid_grant","error_description":"authentication failure"}.
    if ((response.status == 400 || response.status == 401) && body.is_object()) {
      const std::string error = string_field(body, "error");
      const std::string description = string_field(body, "error_description");
      if (!error.empty()) {
        std::string message = context + ": " + error;
        if (!description.empty()) message += ": " + description;
        co_return Error::permanent(redact(std::move(message), assertion));
      }
    }
    // check_status quotes the start of the body, which a broken server might fill with the
    // request: redacted before it is cut, so that no prefix of a secret is left either.
    net::ClientResponse redacted = response;
    redacted.body = redact(std::move(redacted.body), assertion);
    const Status status = net::check_status(request, redacted);
    co_return with_message(status.error(),
                           redact(context + ": " + status.error().message(), assertion));
  }

  // Not quoting the body: on success it holds the access token.
  if (!body.is_object()) {
    co_return Error::permanent(context + ": the token response (HTTP " +
                               std::to_string(response.status) + ") is not a JSON object");
  }
  AccessToken token;
  token.access_token = string_field(body, "access_token");
  token.instance_url = without_trailing_slash(string_field(body, "instance_url"));
  if (token.access_token.empty()) {
    co_return Error::permanent(context + ": the token response has no access_token");
  }
  if (token.instance_url.empty()) {
    co_return Error::permanent(context + ": the token response has no instance_url");
  }
  co_return std::move(token);
}

std::string OAuthClient::redact(std::string message, const std::string& extra) const {
  std::vector<std::string> secrets = {settings_.client_secret, settings_.password,
                                      settings_.refresh_token, settings_.private_key_pem, extra};
  if (cached_) secrets.push_back(cached_->access_token);
  // As they travel in the form body, too (a '+' in a password is %2B there).
  const std::size_t plain = secrets.size();
  for (std::size_t i = 0; i < plain; ++i) secrets.push_back(net::percent_encode(secrets[i]));
  for (const std::string& secret : secrets) {
    // Shorter strings are no secrets worth the name, and replacing them would garble the text.
    if (secret.size() < 4) continue;
    for (auto at = message.find(secret); at != std::string::npos;
         at = message.find(secret, at + 3)) {
      message.replace(at, secret.size(), "***");
    }
  }
  return message;
}

}  // namespace weft::salesforce
