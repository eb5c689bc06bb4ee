#include "state/key_index.h"

#include <openssl/evp.h>

#include <memory>

namespace weft::state {
namespace {

struct DigestContextFree {
  void operator()(EVP_MD_CTX* context) const noexcept { EVP_MD_CTX_free(context); }
};

// Fetched once: an implicit fetch per digest (EVP_sha256() passed to EVP_DigestInit) costs a
// provider lookup per key.
const EVP_MD* sha256() {
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA2-256", nullptr);
  return md;
}

Error digest_failure() { return Error::permanent("SHA-256 of the keys failed (OpenSSL)"); }

}  // namespace

Result<std::vector<KeyFingerprint>> fingerprint_keys(const std::vector<std::string>& keys) {
  std::vector<KeyFingerprint> fingerprints(keys.size());
  if (keys.empty()) return fingerprints;
  const EVP_MD* md = sha256();
  const std::unique_ptr<EVP_MD_CTX, DigestContextFree> context(EVP_MD_CTX_new());
  if (md == nullptr || context == nullptr) return digest_failure();
  unsigned char digest[EVP_MAX_MD_SIZE];
  for (std::size_t i = 0; i < keys.size(); ++i) {
    unsigned int length = 0;
    if (EVP_DigestInit_ex2(context.get(), md, nullptr) != 1 ||
        EVP_DigestUpdate(context.get(), keys[i].data(), keys[i].size()) != 1 ||
        EVP_DigestFinal_ex(context.get(), digest, &length) != 1 ||
        length < fingerprints[i].size()) {
      return digest_failure();
    }
    std::memcpy(fingerprints[i].data(), digest, fingerprints[i].size());
  }
  return fingerprints;
}

}  // namespace weft::state
