#include "fakes/salesforce/jwt.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <string>

#include "fakes/encoding.h"

namespace weft::fakes::salesforce {
namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Free {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

PublicKey wrap(EVP_PKEY* key) { return PublicKey(key, EVP_PKEY_free); }

std::unique_ptr<BIO, BioFree> memory_bio(std::string_view pem) {
  return std::unique_ptr<BIO, BioFree>(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

}  // namespace

Result<PublicKey> public_key_from_pem(std::string_view pem) {
  if (auto bio = memory_bio(pem)) {
    if (EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr)) return wrap(key);
  }
  if (auto bio = memory_bio(pem)) {
    std::unique_ptr<X509, X509Free> cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
    if (cert) {
      if (EVP_PKEY* key = X509_get_pubkey(cert.get())) return wrap(key);
    }
  }
  ERR_clear_error();  // the failed reads queued errors on this thread
  return Error::invalid_config("jwt public key: not a PEM public key or certificate");
}

Result<nlohmann::json> verify_rs256(std::string_view token, EVP_PKEY& key) {
  const auto first = token.find('.');
  const auto second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return Error::permanent("not a JWT: expected three dot-separated parts");
  }
  const auto header = base64_decode(token.substr(0, first));
  const auto payload = base64_decode(token.substr(first + 1, second - first - 1));
  const auto signature = base64_decode(token.substr(second + 1));
  if (!header || !payload || !signature) return Error::permanent("JWT part is not base64url");
  const auto header_json = nlohmann::json::parse(*header, nullptr, false);
  if (!header_json.is_object() || header_json.value("alg", "") != "RS256") {
    return Error::permanent("JWT header: alg must be RS256");
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const std::string_view signed_part = token.substr(0, second);
  const bool verified =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, &key) == 1 &&
      EVP_DigestVerify(
          ctx.get(), reinterpret_cast<const unsigned char*>(signature->data()), signature->size(),
          reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size()) == 1;
  if (!verified) {
    ERR_clear_error();
    return Error::permanent("JWT signature does not verify");
  }
  auto claims = nlohmann::json::parse(*payload, nullptr, false);
  if (!claims.is_object()) return Error::permanent("JWT payload is not a JSON object");
  return claims;
}

}  // namespace weft::fakes::salesforce
