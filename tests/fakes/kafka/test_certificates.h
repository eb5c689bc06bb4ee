#pragma once

// A throwaway certificate authority and a server certificate it signed, made in-process with
// OpenSSL for the gateway's TLS listeners: ECDSA P-256 keys, valid from an hour ago for two
// days, the server certificate for DNS:localhost and IP:127.0.0.1. Nothing is kept: every run
// of the fake has a CA of its own, which clients must be given (ca.pem) to trust it.

#include <optional>
#include <string>

namespace weft::fakes::kafka {

struct TestCertificates {
  std::string ca_pem;           // the CA certificate, for clients' ssl.ca.location
  std::string server_cert_pem;  // the server certificate
  std::string server_key_pem;   // its private key (PKCS#8, unencrypted)
};

// nullopt, with `error` set to OpenSSL's reason, when a step fails.
std::optional<TestCertificates> make_test_certificates(std::string& error);

}  // namespace weft::fakes::kafka
