#pragma once

// A Kafka-protocol gateway in front of librdkafka's mock brokers, which speak neither TLS nor
// SASL: one listener on 127.0.0.1 per mock broker. Each connection:
//   1. with TLS, completes a TLS handshake (the server certificate of test_certificates.h);
//   2. reads Kafka request frames and remembers each one's api_key and version by correlation
//      id;
//   3. answers SaslHandshake and SaslAuthenticate itself (sasl.h) and, with SASL configured,
//      closes the connection on any request but ApiVersions, SaslHandshake or SaslAuthenticate
//      before authentication succeeded, and after a failed authentication;
//   4. forwards every other request to its mock broker over plain TCP and relays the responses,
//      rewriting ApiVersions (adds the SASL APIs, caps Metadata and FindCoordinator at their
//      last non-flexible versions) and the broker addresses in Metadata and FindCoordinator so
//      that clients only ever connect to gateways (kafka_frames.h).
// When either side closes, so does the other: a mock broker set down drops its clients as it
// would without the gateway.
//
// Not supported: raw SASL tokens after a SaslHandshake v0 (pre-KIP-152 clients), flexible
// Metadata/FindCoordinator versions (never advertised), other responses carrying broker
// addresses (DescribeCluster: the mock has none), SASL re-authentication (KIP-368), TLS client
// certificates.
//
// Runs on one thread of its own (Boost.Asio, kept out of this header). Problems with a
// connection are written to stderr, never a password.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "fakes/kafka/sasl.h"

namespace weft::fakes::kafka {

struct GatewayOptions {
  std::vector<std::string> brokers;  // the mock brokers, "host:port", one gateway each
  // PEM server certificate and key; both empty: plaintext.
  std::string tls_certificate_pem;
  std::string tls_key_pem;
  std::vector<SaslUser> users;  // empty: no SASL
};

class Gateway {
 public:
  // Listens and starts serving; nullptr, with `error` set, when it cannot.
  static std::unique_ptr<Gateway> start(GatewayOptions options, std::string& error);
  ~Gateway();  // stops serving: connections are closed and the thread joined
  Gateway(const Gateway&) = delete;
  Gateway& operator=(const Gateway&) = delete;

  // "127.0.0.1:PORT,...": the gateways, in the order of GatewayOptions::brokers.
  std::string bootstrap() const;

 private:
  struct Impl;
  explicit Gateway(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::fakes::kafka
