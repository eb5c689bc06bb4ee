#pragma once

// The pieces of the Kafka wire protocol the gateway (gateway.h) reads and writes: request
// headers, the responses it rewrites because they carry broker addresses or API versions, and
// the SASL requests it answers itself. Pure functions over bytes, no I/O.
//
// A "frame" here is what follows the int32 size prefix on the wire: for a request, the header
// (int16 api_key, int16 api_version, int32 correlation_id, ...) and body; for a response, the
// int32 correlation_id and body. framed() puts the size prefix back.
//
// Only non-flexible layouts are parsed (fixed-width lengths), except the ApiVersions v3
// response: rewrite_api_versions() caps Metadata and FindCoordinator at their last
// non-flexible versions so that their responses stay parseable. See the Kafka protocol guide
// (kafka.apache.org/protocol) for the layouts.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::fakes::kafka {

namespace api {
constexpr std::int16_t kMetadata = 3;
constexpr std::int16_t kFindCoordinator = 10;
constexpr std::int16_t kSaslHandshake = 17;
constexpr std::int16_t kApiVersions = 18;
constexpr std::int16_t kSaslAuthenticate = 36;
}  // namespace api

namespace kafka_error {
constexpr std::int16_t kNone = 0;
constexpr std::int16_t kUnsupportedSaslMechanism = 33;
constexpr std::int16_t kIllegalSaslState = 34;
constexpr std::int16_t kUnsupportedVersion = 35;
constexpr std::int16_t kSaslAuthenticationFailed = 58;
}  // namespace kafka_error

// The highest versions whose responses the gateway can parse (the last non-flexible ones).
constexpr std::int16_t kMaxMetadataVersion = 8;
constexpr std::int16_t kMaxFindCoordinatorVersion = 2;
// What the gateway advertises for the APIs it answers itself (non-flexible versions only).
constexpr std::int16_t kMaxSaslHandshakeVersion = 1;
constexpr std::int16_t kMaxSaslAuthenticateVersion = 1;

struct RequestHeader {
  std::int16_t api_key = 0;
  std::int16_t api_version = 0;
  std::int32_t correlation_id = 0;
};

// The fixed start of a request frame; nullopt when the frame is shorter than 8 bytes.
std::optional<RequestHeader> parse_request_header(std::string_view frame);

// A response frame's correlation id; nullopt when the frame is shorter than 4 bytes.
std::optional<std::int32_t> response_correlation_id(std::string_view frame);

// `frame` with its int32 size prefix.
std::string framed(std::string_view frame);

// A rewritten frame, or why the input could not be parsed (`error` non-empty).
struct Rewritten {
  std::string frame;
  std::string error;
  bool ok() const { return error.empty(); }
};

struct Address {
  std::string host;
  std::int32_t port = 0;
};
// Where clients are to find each broker: a mock broker's port -> its gateway's address. Keyed by
// port alone: the mock brokers all listen on loopback but advertise "localhost".
using AddressMap = std::map<std::int32_t, Address>;

// An ApiVersions response to a request of `request_version` (0-3; v3's body is flexible, its
// header never is), with SaslHandshake and SaslAuthenticate added at 0..1 and Metadata and
// FindCoordinator capped at kMaxMetadataVersion and kMaxFindCoordinatorVersion. A response with
// an error code (the broker refused the request's version) is returned unchanged.
Rewritten rewrite_api_versions(std::string_view response, std::int16_t request_version);

// A Metadata response (v0..kMaxMetadataVersion) whose brokers point at `gateways` instead.
// An error when it names a broker `gateways` lacks.
Rewritten rewrite_metadata(std::string_view response, std::int16_t version,
                           const AddressMap& gateways);

// A FindCoordinator response (v0..kMaxFindCoordinatorVersion), the coordinator pointing at its
// gateway. A response with an error (no coordinator) is returned unchanged.
Rewritten rewrite_find_coordinator(std::string_view response, std::int16_t version,
                                   const AddressMap& gateways);

// The mechanism a SaslHandshake request (v0-v1) asks for; nullopt when malformed.
std::optional<std::string> parse_sasl_handshake(std::string_view frame);
// The auth_bytes of a SaslAuthenticate request (v0-v1); nullopt when malformed.
std::optional<std::string> parse_sasl_authenticate(std::string_view frame);

// A SaslHandshake response frame (v0 and v1 share a layout).
std::string sasl_handshake_response(std::int32_t correlation_id, std::int16_t error,
                                    const std::vector<std::string>& mechanisms);
// A SaslAuthenticate response frame for a request of `version` (0-1); `error_message` is sent
// as null when empty.
std::string sasl_authenticate_response(std::int32_t correlation_id, std::int16_t version,
                                       std::int16_t error, std::string_view error_message,
                                       std::string_view auth_bytes);

}  // namespace weft::fakes::kafka
