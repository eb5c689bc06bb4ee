#pragma once

// S3 object operations over the shared HTTP client (net/http_client.h), signed with SigV4:
// ListObjectsV2, ranged GetObject, PutObject, CopyObject and DeleteObject. Works with AWS
// (virtual-host addressing, https://<bucket>.s3.<region>.amazonaws.com) and with any
// S3-compatible store at a custom endpoint (path-style addressing, http://host:port/<bucket>):
// MinIO, Ceph, s3rver, GCS's interoperability endpoint.
//
// Threading: like the HTTP client it wraps, a client belongs to its executor; several calls may
// be in flight at once. Errors never contain the secret key or session token, and every one
// names the operation and the object: "S3 GetObject s3://bucket/key: S3 error NoSuchKey: ...".
// Error kinds follow S3's codes (parse_error_body in list_objects.h), else the HTTP status
// (net::check_status): throttling, 5xx and transport failures are retryable, the rest permanent.
//
// Objects are read byte for byte as stored. The HTTP client decodes any gzip/deflate
// Content-Encoding it receives (whatever HttpClientOptions::accept_compressed says), which would
// break ranged reads of an object stored with Content-Encoding: gzip; so GetObject sends
// Accept-Encoding: identity and response-content-encoding=identity (S3 then reports the object
// as not encoded), and an answer that still arrives gzip-encoded is a permanent error. The
// caller needs no particular HttpClientOptions for this; max_response_bytes must exceed the
// largest range it asks for.

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "s3/list_objects.h"
#include "s3/sigv4.h"
#include "weft/status.h"

namespace weft::net {
class HttpClient;
}

namespace weft::s3 {

struct ClientOptions {
  std::string bucket;
  std::string region = "us-east-1";
  // Empty: AWS, virtual-host style over https. Set ("http://localhost:4568"): that endpoint,
  // path style unless `path_style` is false.
  std::string endpoint;
  bool path_style = true;  // only with `endpoint`
  Credentials credentials;
};

struct ObjectRange {
  std::string body;          // the bytes read
  std::uint64_t total_size;  // the object's whole size (from Content-Range, or the body)
  std::string etag;          // without quotes
};

class Client {
 public:
  // A client for `options.bucket`, sending through `http` (shared: it may serve other clients
  // too). invalid_config naming the option for an empty bucket or region, a malformed endpoint
  // (see bucket_address() in s3/addressing.h), or no access key id or secret.
  static Result<std::unique_ptr<Client>> create(std::shared_ptr<net::HttpClient> http,
                                                ClientOptions options);
  ~Client();

  // One ListObjectsV2 page. invalid_config for max_keys outside 1..1000; errors of
  // parse_list_objects() for a malformed body; NoSuchBucket is permanent.
  boost::asio::awaitable<Result<ListObjectsPage>> list(const ListObjectsRequest& request);

  // Bytes [offset, offset + length) of `key` (fewer at the end of the object; an empty body
  // for an offset at or past the end of a non-empty object, or for an empty object). A length
  // that runs past 2^64 - 1 reads to the end. With `if_match` set (an ETag, with or without
  // quotes), a replaced object (412 Precondition Failed, or an answer whose ETag differs, for
  // servers that ignore If-Match) is a permanent Error saying the object changed while it was
  // read. Errors: invalid_config for length 0; NoSuchKey/NoSuchBucket permanent.
  boost::asio::awaitable<Result<ObjectRange>> get_range(const std::string& key,
                                                        std::uint64_t offset, std::uint64_t length,
                                                        std::optional<std::string> if_match);

  // PutObject, signed with the body's SHA-256. Returns the new object's ETag (without quotes;
  // empty when the server sends none).
  boost::asio::awaitable<Result<std::string>> put(const std::string& key, std::string body);
  // CopyObject within the bucket (server side; the source stays). S3 may answer 200 with an
  // <Error> body when the copy fails late: that is an error too.
  boost::asio::awaitable<Status> copy(const std::string& from_key, const std::string& to_key);
  // DeleteObject. A missing key is ok (NoSuchKey too, for servers that send it); a missing
  // bucket is not.
  boost::asio::awaitable<Status> remove(const std::string& key);

  // "s3://<bucket>/<key>", for messages.
  std::string describe(const std::string& key) const;

 private:
  struct Impl;
  explicit Client(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft::s3
