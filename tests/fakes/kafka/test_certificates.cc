#include "fakes/kafka/test_certificates.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <utility>
#include <vector>

namespace weft::fakes::kafka {
namespace {

using Key = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Certificate = std::unique_ptr<X509, decltype(&X509_free)>;

constexpr long kValidBefore = 60L * 60;        // clocks a little behind still accept it
constexpr long kValidFor = 2L * 24 * 60 * 60;  // longer than any test run

// OpenSSL's reason for the last failure, prefixed with what was being done.
std::string openssl_error(const std::string& doing) {
  char reason[256] = "unknown error";
  if (const unsigned long code = ERR_get_error(); code != 0) {
    ERR_error_string_n(code, reason, sizeof reason);
  }
  ERR_clear_error();
  return doing + ": " + reason;
}

Key new_key() { return Key(EVP_EC_gen("P-256"), EVP_PKEY_free); }

// A certificate for `key` named `common_name`, with the extensions (NID, OpenSSL config
// value), signed by `issuer_key` as `issuer` (both null: self-signed). Null on failure.
Certificate make_certificate(EVP_PKEY* key, const char* common_name, X509* issuer,
                             EVP_PKEY* issuer_key,
                             const std::vector<std::pair<int, const char*>>& extensions) {
  Certificate cert(X509_new(), X509_free);
  if (!cert) return cert;
  X509* x = cert.get();
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  const bool made =
      X509_set_version(x, X509_VERSION_3) == 1 && serial &&
      BN_rand(serial.get(), 64, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(x)) != nullptr &&
      X509_gmtime_adj(X509_getm_notBefore(x), -kValidBefore) != nullptr &&
      X509_gmtime_adj(X509_getm_notAfter(x), kValidFor) != nullptr &&
      X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(common_name), -1, -1,
                                 0) == 1 &&
      X509_set_issuer_name(x, X509_get_subject_name(issuer != nullptr ? issuer : x)) == 1 &&
      X509_set_pubkey(x, key) == 1;
  if (!made) return Certificate(nullptr, X509_free);
  X509V3_CTX context;
  X509V3_set_ctx_nodb(&context);
  X509V3_set_ctx(&context, issuer != nullptr ? issuer : x, x, nullptr, nullptr, 0);
  for (const auto& [nid, value] : extensions) {
    X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value);
    const bool added = extension != nullptr && X509_add_ext(x, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    if (!added) return Certificate(nullptr, X509_free);
  }
  if (X509_sign(x, issuer_key != nullptr ? issuer_key : key, EVP_sha256()) == 0) {
    return Certificate(nullptr, X509_free);
  }
  return cert;
}

// Writes with `write` into memory and returns the text; nullopt on failure.
template <typename Write>
std::optional<std::string> pem(Write write) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || !write(bio.get())) return std::nullopt;
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

std::optional<TestCertificates> make_test_certificates(std::string& error) {
  const Key ca_key = new_key();
  const Key server_key = new_key();
  if (!ca_key || !server_key) {
    error = openssl_error("generating a P-256 key");
    return std::nullopt;
  }
  const Certificate ca = make_certificate(ca_key.get(), "weft-fake-kafka test CA", nullptr, nullptr,
                                          {{NID_basic_constraints, "critical,CA:TRUE"},
                                           {NID_key_usage, "critical,keyCertSign,cRLSign"},
                                           {NID_subject_key_identifier, "hash"}});
  if (!ca) {
    error = openssl_error("making the CA certificate");
    return std::nullopt;
  }
  const Certificate server = make_certificate(server_key.get(), "localhost", ca.get(), ca_key.get(),
                                              {{NID_basic_constraints, "critical,CA:FALSE"},
                                               {NID_key_usage, "critical,digitalSignature"},
                                               {NID_ext_key_usage, "serverAuth"},
                                               {NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                                               {NID_subject_key_identifier, "hash"},
                                               {NID_authority_key_identifier, "keyid:always"}});
  if (!server) {
    error = openssl_error("making the server certificate");
    return std::nullopt;
  }
  TestCertificates out;
  const auto ca_pem = pem([&](BIO* bio) { return PEM_write_bio_X509(bio, ca.get()) == 1; });
  const auto cert_pem = pem([&](BIO* bio) { return PEM_write_bio_X509(bio, server.get()) == 1; });
  const auto key_pem = pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, server_key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
           1;
  });
  if (!ca_pem || !cert_pem || !key_pem) {
    error = openssl_error("writing PEM");
    return std::nullopt;
  }
  return TestCertificates{*ca_pem, *cert_pem, *key_pem};
}

}  // namespace weft::fakes::kafka
