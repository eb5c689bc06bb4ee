#include "fakes/kafka/scram.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <vector>

namespace weft::fakes::kafka {
namespace {

const EVP_MD* digest(ScramHash hash) {
  return hash == ScramHash::kSha256 ? EVP_sha256() : EVP_sha512();
}

std::string hmac(ScramHash hash, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  HMAC(digest(hash), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &size);
  return std::string(reinterpret_cast<const char*>(out), size);
}

std::string hash_of(ScramHash hash, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), out, &size, digest(hash), nullptr);
  return std::string(reinterpret_cast<const char*>(out), size);
}

// Hi() of RFC 5802: PBKDF2 with HMAC over the mechanism's hash.
std::string salted_password(ScramHash hash, std::string_view password, std::string_view salt,
                            int iterations) {
  std::string out(static_cast<std::size_t>(EVP_MD_get_size(digest(hash))), '\0');
  PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                    reinterpret_cast<const unsigned char*>(salt.data()),
                    static_cast<int>(salt.size()), iterations, digest(hash),
                    static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data()));
  return out;
}

std::string random_bytes(std::size_t size) {
  std::string out(size, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(size));
  return out;
}

// A message's "k=value" attributes, in order.
std::vector<std::pair<char, std::string_view>> attributes(std::string_view message) {
  std::vector<std::pair<char, std::string_view>> out;
  while (!message.empty()) {
    const std::size_t comma = message.find(',');
    const std::string_view item = message.substr(0, comma);
    if (item.size() < 2 || item[1] != '=') return {};
    out.emplace_back(item[0], item.substr(2));
    if (comma == std::string_view::npos) break;
    message.remove_prefix(comma + 1);
  }
  return out;
}

// saslname (RFC 5802 5.1): ',' and '=' are sent as "=2C" and "=3D"; any other '=' is invalid.
std::optional<std::string> decode_saslname(std::string_view name) {
  std::string out;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (name[i] != '=') {
      out += name[i];
    } else if (name.substr(i, 3) == "=2C") {
      out += ',';
      i += 2;
    } else if (name.substr(i, 3) == "=3D") {
      out += '=';
      i += 2;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

}  // namespace

std::optional<ScramHash> scram_hash(std::string_view mechanism) {
  if (mechanism == "SCRAM-SHA-256") return ScramHash::kSha256;
  if (mechanism == "SCRAM-SHA-512") return ScramHash::kSha512;
  return std::nullopt;
}

std::string base64_encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int size = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                   reinterpret_cast<const unsigned char*>(data.data()),
                                   static_cast<int>(data.size()));
  out.resize(static_cast<std::size_t>(size));
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  if (text.size() % 4 != 0) return std::nullopt;
  std::string out(3 * text.size() / 4, '\0');
  const int size = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                   reinterpret_cast<const unsigned char*>(text.data()),
                                   static_cast<int>(text.size()));
  if (size < 0) return std::nullopt;
  // EVP_DecodeBlock decodes the '=' padding as zero bytes and counts them: drop them.
  std::size_t padding = 0;
  while (padding < 2 && padding < text.size() && text[text.size() - 1 - padding] == '=') {
    ++padding;
  }
  out.resize(static_cast<std::size_t>(size) - padding);
  return out;
}

ScramServer::ScramServer(ScramHash hash, PasswordOf password_of)
    : ScramServer(hash, std::move(password_of), base64_encode(random_bytes(18)), random_bytes(16)) {
}

ScramServer::ScramServer(ScramHash hash, PasswordOf password_of, std::string server_nonce,
                         std::string salt, int iterations)
    : hash_(hash),
      password_of_(std::move(password_of)),
      server_nonce_(std::move(server_nonce)),
      salt_(std::move(salt)),
      iterations_(iterations) {}

ScramServer::Step ScramServer::step(std::string_view client_message) {
  switch (state_) {
    case State::kFirst:
      return client_first(client_message);
    case State::kFinal:
      return client_final(client_message);
    case State::kDone:
      return fail("a message after the exchange was complete");
    case State::kFailed:
      break;
  }
  return fail("a message after the exchange failed");
}

ScramServer::Step ScramServer::fail(std::string why) {
  state_ = State::kFailed;
  return {false, {}, std::move(why)};
}

ScramServer::Step ScramServer::client_first(std::string_view message) {
  // gs2-header: a channel-binding flag, then an optional authzid ("a=..."), each ','-ended.
  const std::size_t flag_end = message.find(',');
  const std::size_t header_end =
      flag_end == std::string_view::npos ? flag_end : message.find(',', flag_end + 1);
  if (header_end == std::string_view::npos) return fail("malformed client-first message");
  const std::string_view flag = message.substr(0, flag_end);
  if (flag != "n" && flag != "y") return fail("channel binding is not supported");
  gs2_header_ = std::string(message.substr(0, header_end + 1));
  client_first_bare_ = std::string(message.substr(header_end + 1));

  const auto attrs = attributes(client_first_bare_);
  if (attrs.size() < 2 || attrs[0].first != 'n' || attrs[1].first != 'r' ||
      attrs[1].second.empty()) {
    return fail("malformed client-first message");
  }
  const std::optional<std::string> user = decode_saslname(attrs[0].second);
  if (!user || user->empty()) return fail("malformed user name");
  user_ = *user;
  const std::string_view authzid = message.substr(flag_end + 1, header_end - flag_end - 1);
  if (!authzid.empty() && authzid != "a=" + std::string(attrs[0].second)) {
    return fail("authorization id differs from the user name");
  }
  std::optional<std::string> password = password_of_(user_);
  if (!password) return fail("unknown user");
  password_ = std::move(*password);

  client_nonce_ = std::string(attrs[1].second);
  nonce_ = client_nonce_ + server_nonce_;
  server_first_ =
      "r=" + nonce_ + ",s=" + base64_encode(salt_) + ",i=" + std::to_string(iterations_);
  state_ = State::kFinal;
  return {true, server_first_, {}};
}

ScramServer::Step ScramServer::client_final(std::string_view message) {
  const std::size_t proof_at = message.rfind(",p=");
  if (proof_at == std::string_view::npos) return fail("malformed client-final message");
  const std::string_view without_proof = message.substr(0, proof_at);
  const auto attrs = attributes(without_proof);
  if (attrs.size() < 2 || attrs[0].first != 'c' || attrs[1].first != 'r') {
    return fail("malformed client-final message");
  }
  if (base64_decode(attrs[0].second) != gs2_header_) return fail("channel binding mismatch");
  // librdkafka before 2.6.1 (Debian 12 ships 2.0.2) sends its own nonce again in front of the
  // combined one (confluentinc/librdkafka#4895). Kafka 3.8.1 to 3.9 accept that (they check
  // that the nonce ends with the combined one), Kafka 4 does not; the gateway does, as 3.9.
  if (attrs[1].second != nonce_ && attrs[1].second != client_nonce_ + nonce_) {
    return fail("nonce mismatch");
  }
  const std::optional<std::string> proof = base64_decode(message.substr(proof_at + 3));

  const std::string salted = salted_password(hash_, password_, salt_, iterations_);
  const std::string client_key = hmac(hash_, salted, "Client Key");
  const std::string stored_key = hash_of(hash_, client_key);
  const std::string auth_message =
      client_first_bare_ + "," + server_first_ + "," + std::string(without_proof);
  const std::string client_signature = hmac(hash_, stored_key, auth_message);
  if (!proof || proof->size() != client_signature.size()) return fail("malformed proof");
  // The proof is ClientKey XOR ClientSignature: recover the key and check its hash.
  std::string recovered = *proof;
  for (std::size_t i = 0; i < recovered.size(); ++i) recovered[i] ^= client_signature[i];
  const std::string recovered_stored = hash_of(hash_, recovered);
  if (CRYPTO_memcmp(recovered_stored.data(), stored_key.data(), stored_key.size()) != 0) {
    return fail("invalid credentials");
  }
  const std::string server_key = hmac(hash_, salted, "Server Key");
  state_ = State::kDone;
  return {true, "v=" + base64_encode(hmac(hash_, server_key, auth_message)), {}};
}

}  // namespace weft::fakes::kafka
