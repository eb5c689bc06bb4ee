#pragma once

// The server side of one SCRAM-SHA-256 or SCRAM-SHA-512 exchange (RFC 5802, RFC 7677), as a
// Kafka broker runs it inside SaslAuthenticate requests:
//
//   client-first  "n,,n=USER,r=CNONCE"          -> server-first "r=CNONCE+SNONCE,s=SALT,i=4096"
//   client-final  "c=biws,r=CNONCE+SNONCE,p=PROOF" -> server-final "v=SERVER_SIGNATURE"
//
// No channel binding ("p=" in the GS2 header is refused) and no SASLprep: the test passwords
// are ASCII. Kafka's extensions after the nonce (e.g. "tokenauth=true") are ignored. Like Kafka
// 3.8.1 to 3.9 (not Kafka 4), the client-final nonce may carry the client nonce twice, as
// librdkafka before 2.6.1 sends it. Not thread-safe; one object per authentication.

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace weft::fakes::kafka {

enum class ScramHash { kSha256, kSha512 };

// "SCRAM-SHA-256" / "SCRAM-SHA-512" -> the hash; nullopt for anything else.
std::optional<ScramHash> scram_hash(std::string_view mechanism);

class ScramServer {
 public:
  // The password of a user, or nullopt when the user has none for this mechanism.
  using PasswordOf = std::function<std::optional<std::string>(const std::string& user)>;

  struct Step {
    bool ok = false;
    std::string reply;  // the server message to send back (when ok)
    std::string error;  // why the exchange failed (when not ok); never holds a secret
  };

  // With a random server nonce and salt.
  ScramServer(ScramHash hash, PasswordOf password_of);
  // With the given server nonce (printable, no ',') and raw salt: for known-answer tests.
  ScramServer(ScramHash hash, PasswordOf password_of, std::string server_nonce, std::string salt,
              int iterations = 4096);

  // The next client message; after the second, done() tells whether the client proved it knows
  // the password. A message out of turn, or after a failure, fails.
  Step step(std::string_view client_message);
  bool done() const { return state_ == State::kDone; }
  // The user named in the client-first message ("" before it).
  const std::string& user() const { return user_; }

 private:
  enum class State { kFirst, kFinal, kDone, kFailed };

  Step client_first(std::string_view message);
  Step client_final(std::string_view message);
  Step fail(std::string why);

  ScramHash hash_;
  PasswordOf password_of_;
  std::string server_nonce_;
  std::string salt_;
  int iterations_;
  State state_ = State::kFirst;
  std::string user_;
  std::string password_;
  std::string gs2_header_;         // "n,,": what "c=" must carry back
  std::string client_first_bare_;  // "n=USER,r=CNONCE"
  std::string server_first_;
  std::string client_nonce_;
  std::string nonce_;  // client nonce + server nonce
};

// Standard base64 (with padding), through OpenSSL's EVP_EncodeBlock / EVP_DecodeBlock.
std::string base64_encode(std::string_view data);
// nullopt when `text` is not valid padded base64.
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace weft::fakes::kafka
