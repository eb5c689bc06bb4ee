#pragma once

// The SASL side of a gateway connection: which mechanisms and users the brokers accept, and one
// connection's authentication (SaslHandshake, then SaslAuthenticate tokens), as a Kafka broker
// does it: PLAIN ("authzid\0user\0password"), SCRAM-SHA-256 and SCRAM-SHA-512 (scram.h).

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/kafka/scram.h"

namespace weft::fakes::kafka {

struct SaslUser {
  std::string mechanism;  // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
  std::string username;
  std::string password;
};

// "MECHANISM:USER:PASSWORD" (the password may contain ':'); nullopt, with `error` set, when
// malformed or the mechanism is not one of the three.
std::optional<SaslUser> parse_sasl_user(std::string_view spec, std::string& error);

// One connection's authentication. `users` must outlive it. Not thread-safe.
class SaslSession {
 public:
  explicit SaslSession(const std::vector<SaslUser>& users) : users_(users) {}

  // The enabled mechanisms, sorted, for SaslHandshake responses.
  std::vector<std::string> mechanisms() const;

  // A SaslHandshake: kNone when `mechanism` is enabled (authentication starts),
  // kUnsupportedSaslMechanism otherwise, kIllegalSaslState when it comes out of turn.
  std::int16_t handshake(const std::string& mechanism);

  struct Result {
    std::int16_t error = 0;     // kafka_error::kNone or kSaslAuthenticationFailed / ...State
    std::string error_message;  // for the client; never holds a password
    std::string reply;          // the server token (SCRAM's server-first and server-final)
    std::string reason;         // for the gateway's log, when it says more than error_message
  };
  // A SaslAuthenticate token. After an error the connection is to be closed.
  Result authenticate(std::string_view token);

  bool authenticated() const { return authenticated_; }
  // "SCRAM-SHA-512 user 'weft'" for logs, once the user is known.
  std::string describe() const;

 private:
  Result plain(std::string_view token);
  std::optional<std::string> password_of(const std::string& user) const;

  const std::vector<SaslUser>& users_;
  std::string mechanism_;  // chosen by the handshake
  std::string user_;
  std::unique_ptr<ScramServer> scram_;
  bool authenticated_ = false;
};

}  // namespace weft::fakes::kafka
