#pragma once

// Verifying an RS256 JSON Web Token (RFC 7519) against an RSA public key, as Salesforce does for
// the OAuth JWT bearer flow. OpenSSL underneath; thread-safe (a key may be shared by threads that
// only verify with it).

#include <openssl/evp.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <string_view>

#include "weft/status.h"

namespace weft::fakes::salesforce {

using PublicKey = std::shared_ptr<EVP_PKEY>;

// The key of a PEM "PUBLIC KEY" or of a PEM "CERTIFICATE" (what a connected app is given).
// invalid_config when `pem` is neither.
Result<PublicKey> public_key_from_pem(std::string_view pem);

// The claims (payload) of `token` when its header says alg RS256 and its signature verifies with
// `key`. Checks no claim. A permanent Error saying what is wrong otherwise.
Result<nlohmann::json> verify_rs256(std::string_view token, EVP_PKEY& key);

}  // namespace weft::fakes::salesforce
