#include "mapper/uuid.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <array>
#include <cstdint>

namespace weft {
namespace {

using Bytes = std::array<unsigned char, 16>;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_hyphen_position(std::size_t i) { return i == 8 || i == 13 || i == 18 || i == 23; }

std::optional<Bytes> parse(std::string_view text) {
  if (text.size() != 36) return std::nullopt;
  Bytes out{};
  std::size_t n = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (is_hyphen_position(i)) {
      if (text[i] != '-') return std::nullopt;
      continue;
    }
    int high = hex_value(text[i]);
    int low = i + 1 < text.size() ? hex_value(text[i + 1]) : -1;
    if (high < 0 || low < 0) return std::nullopt;
    out[n++] = static_cast<unsigned char>(high << 4 | low);
    ++i;
  }
  return out;
}

std::string format(Bytes bytes, int version) {
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0f) | (version << 4));
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3f) | 0x80);  // RFC 4122 variant
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0f];
  }
  return out;
}

}  // namespace

std::optional<std::string> uuid_v5(std::string_view namespace_uuid, std::string_view name) {
  auto ns = parse(namespace_uuid);
  if (!ns) return std::nullopt;
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  bool ok = ctx != nullptr && EVP_DigestInit_ex(ctx, EVP_sha1(), nullptr) == 1 &&
            EVP_DigestUpdate(ctx, ns->data(), ns->size()) == 1 &&
            EVP_DigestUpdate(ctx, name.data(), name.size()) == 1 &&
            EVP_DigestFinal_ex(ctx, digest, &length) == 1;
  EVP_MD_CTX_free(ctx);
  if (!ok) return std::nullopt;
  Bytes bytes{};
  std::copy(digest, digest + bytes.size(), bytes.begin());
  return format(bytes, 5);
}

std::string uuid_v4() {
  Bytes bytes{};
  // RAND_bytes only fails when the CSPRNG cannot be seeded, which leaves nothing sane to do.
  if (RAND_bytes(bytes.data(), static_cast<int>(bytes.size())) != 1) std::abort();
  return format(bytes, 4);
}

bool is_uuid(std::string_view text) { return parse(text).has_value(); }

}  // namespace weft
