#include "fakes/kafka/sasl.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "fakes/kafka/kafka_frames.h"

namespace weft::fakes::kafka {
namespace {

SaslSession::Result refused(std::int16_t error, std::string message, std::string reason = {}) {
  return {error, std::move(message), {}, std::move(reason)};
}

bool same_secret(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

std::optional<SaslUser> parse_sasl_user(std::string_view spec, std::string& error) {
  const std::size_t first = spec.find(':');
  const std::size_t second = first == std::string_view::npos ? first : spec.find(':', first + 1);
  if (second == std::string_view::npos) {
    error = "--sasl takes MECHANISM:USER:PASSWORD";
    return std::nullopt;
  }
  SaslUser user{std::string(spec.substr(0, first)),
                std::string(spec.substr(first + 1, second - first - 1)),
                std::string(spec.substr(second + 1))};
  if (user.mechanism != "PLAIN" && !scram_hash(user.mechanism)) {
    error =
        "--sasl: unknown mechanism '" + user.mechanism + "' (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)";
    return std::nullopt;
  }
  if (user.username.empty()) {
    error = "--sasl: the user name is empty";
    return std::nullopt;
  }
  return user;
}

std::vector<std::string> SaslSession::mechanisms() const {
  std::vector<std::string> out;
  for (const SaslUser& user : users_) out.push_back(user.mechanism);
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

std::int16_t SaslSession::handshake(const std::string& mechanism) {
  if (!mechanism_.empty() || authenticated_) return kafka_error::kIllegalSaslState;
  const std::vector<std::string> enabled = mechanisms();
  if (std::find(enabled.begin(), enabled.end(), mechanism) == enabled.end()) {
    return kafka_error::kUnsupportedSaslMechanism;
  }
  mechanism_ = mechanism;
  if (const auto hash = scram_hash(mechanism)) {
    scram_ = std::make_unique<ScramServer>(
        *hash, [this](const std::string& user) { return password_of(user); });
  }
  return kafka_error::kNone;
}

SaslSession::Result SaslSession::authenticate(std::string_view token) {
  if (mechanism_.empty() || authenticated_) {
    return refused(kafka_error::kIllegalSaslState,
                   "SaslAuthenticate " + std::string(mechanism_.empty() ? "before a SaslHandshake"
                                                                        : "after authentication"));
  }
  if (!scram_) return plain(token);
  const ScramServer::Step step = scram_->step(token);
  user_ = scram_->user();
  if (!step.ok) {
    // Kafka's own message; the reason goes to the gateway's log only, as a broker's would.
    return refused(kafka_error::kSaslAuthenticationFailed,
                   "Authentication failed during authentication due to invalid credentials with "
                   "SASL mechanism " +
                       mechanism_,
                   step.error);
  }
  authenticated_ = scram_->done();
  return {kafka_error::kNone, {}, step.reply, {}};
}

SaslSession::Result SaslSession::plain(std::string_view token) {
  // authzid NUL user NUL password; Kafka accepts an authzid only when it names the user.
  const std::size_t first = token.find('\0');
  const std::size_t second = first == std::string_view::npos ? first : token.find('\0', first + 1);
  if (second == std::string_view::npos || token.find('\0', second + 1) != std::string_view::npos) {
    return refused(kafka_error::kSaslAuthenticationFailed,
                   "Authentication failed: PLAIN token is not authzid NUL user NUL password");
  }
  const std::string_view authzid = token.substr(0, first);
  user_ = std::string(token.substr(first + 1, second - first - 1));
  const std::string_view password = token.substr(second + 1);
  if (!authzid.empty() && authzid != user_) {
    return refused(kafka_error::kSaslAuthenticationFailed,
                   "Authentication failed: Client requested an authorization id that is "
                   "different from username");
  }
  const std::optional<std::string> expected = password_of(user_);
  if (!expected || !same_secret(*expected, password)) {
    return refused(kafka_error::kSaslAuthenticationFailed,
                   "Authentication failed: Invalid username or password");
  }
  authenticated_ = true;
  return {};
}

std::optional<std::string> SaslSession::password_of(const std::string& user) const {
  for (const SaslUser& candidate : users_) {
    if (candidate.mechanism == mechanism_ && candidate.username == user) {
      return candidate.password;
    }
  }
  return std::nullopt;
}

std::string SaslSession::describe() const {
  return mechanism_ + (user_.empty() ? std::string() : " user '" + user_ + "'");
}

}  // namespace weft::fakes::kafka
