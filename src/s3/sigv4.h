#pragma once

// AWS Signature Version 4 for requests signed in the Authorization header (not presigned URLs).
// Layout: ../shared/reference/protocols.md §2 and AWS's "Create a signed AWS API request".
// Pure functions, no I/O and no clock: the caller passes the time, so tests can use the official
// vectors. Thread-safe: nothing is shared between calls.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft::s3 {

// An access key pair, plus the session token of temporary (STS) credentials.
//
// These are secrets. On purpose there is no operator<<, no to_string and no formatter for this
// type: do not add one, and do not log or put any field but access_key_id into an Error. Errors
// returned by this file never contain the secret or the session token.
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty for long-term credentials
};

// One query parameter, NOT encoded: the signer encodes it (RFC 3986, space as %20).
struct QueryParam {
  std::string name;
  std::string value;  // empty value is sent and signed as `name=`
};

struct Header {
  std::string name;
  std::string value;
};

// How the canonical URI is derived from the (unencoded) path.
enum class PathEncoding {
  kSingle,  // S3: the canonical URI is the path encoded once, exactly as sent
  kDouble,  // every other service: the already-encoded path is encoded a second time
};

inline constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
// hex(SHA-256("")): the payload hash of a request without a body (GET, HEAD, DELETE).
inline constexpr std::string_view kEmptyPayloadHash =
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

struct SigningRequest {
  std::string method = "GET";
  // The Host header value exactly as it will be sent, with ":port" when the port is not the
  // scheme's default (e.g. "localhost:4568"). Signed as the `host` header.
  std::string host;
  // The path NOT percent-encoded ("/bucket/my file.csv"); the signer encodes each segment and
  // returns the result as SignedRequest::path, which is what must go on the wire. Empty means "/".
  // No dot-segment normalisation is done (S3 keys may contain "." and ".." literally).
  std::string path = "/";
  PathEncoding path_encoding = PathEncoding::kSingle;
  std::vector<QueryParam> query;
  // Further headers to sign and send (Range, Content-Type, x-amz-meta-*). Any case; values are
  // trimmed and runs of spaces collapsed for signing. Repeated names are joined with ",".
  // Must not contain host, authorization, x-amz-date, x-amz-content-sha256 or
  // x-amz-security-token: the signer owns those.
  std::vector<Header> headers;
  // Lowercase hex SHA-256 of the body, or kUnsignedPayload.
  std::string payload_hash = std::string(kEmptyPayloadHash);
  std::string region;   // "us-east-1"
  std::string service;  // "s3"; when "s3", X-Amz-Content-Sha256 is added and signed
  std::chrono::system_clock::time_point time;  // truncated to whole seconds, UTC
};

struct SignedRequest {
  std::string path;          // the encoded path to send (encoded once, whatever path_encoding)
  std::string query_string;  // the canonical query string, also the one to send (no "?")
  // Headers the caller adds to the request, besides Host and SigningRequest::headers:
  // X-Amz-Date, X-Amz-Content-Sha256 (service s3), X-Amz-Security-Token (when a session
  // token is set) and Authorization, in that order.
  std::vector<Header> headers_to_add;
  // Intermediate results, for tests and for debugging a SignatureDoesNotMatch (they contain no
  // secret; the S3 error body echoes the server's versions of both).
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;  // hex
};

// Signs `request` with `credentials`. Errors (a permanent Error naming what is wrong, never a
// secret): empty access key id, secret, host, region or service; a payload hash that is neither
// 64 lowercase hex digits nor UNSIGNED-PAYLOAD; a header name that is empty, contains ':' or
// whitespace, or is owned by the signer; OpenSSL failing.
Result<SignedRequest> sign(const SigningRequest& request, const Credentials& credentials);

// Paths and query parameters are percent-encoded with net::percent_encode (net/url.h): RFC 3986
// as SigV4 wants it.

// Lowercase hex SHA-256 of `data`: the payload hash of a body held in memory.
std::string sha256_hex(std::string_view data);

// An Authorization header safe to log: "AWS4-HMAC-SHA256 Credential=<access key id>,
// SignedHeaders=<list>". Scope and signature are dropped. Anything it cannot parse becomes
// "[redacted]", so a mangled header never leaks.
std::string redact_authorization(std::string_view authorization);

}  // namespace weft::s3
