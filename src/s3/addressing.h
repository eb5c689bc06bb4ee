#pragma once

// Where the requests for one bucket go: scheme, Host header and the (unencoded) path of an object
// or of the bucket itself, for AWS's virtual-host addressing and for path-style addressing at a
// custom endpoint. Pure: no I/O, thread-safe.

#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::s3 {

struct BucketAddress {
  std::string scheme;  // "http" or "https"
  // The Host header value as sent and signed: "<bucket>.s3.<region>.amazonaws.com",
  // "127.0.0.1:4568" (the port only when it is not the scheme's default).
  std::string host;
  // The unencoded path in front of a key, without a trailing '/': "/<bucket>" in path style,
  // "" in virtual-host style, after any path the endpoint itself has ("/s3/<bucket>").
  std::string path_prefix;

  // The unencoded path of an object: path_prefix + "/" + key. The key goes in as it is (no
  // normalisation of "//", "." or ".."); the signer percent-encodes it once.
  std::string object_path(std::string_view key) const;
  // The unencoded path of the bucket (ListObjectsV2, CreateBucket): "/<bucket>" or "/".
  std::string bucket_path() const;
  // "scheme://host" + the encoded path + ("?" + the encoded query, when not empty).
  std::string url(std::string_view encoded_path, std::string_view encoded_query) const;
};

// The address of `bucket`:
// - `endpoint` empty: AWS, https://<bucket>.s3.<region>.amazonaws.com (path_style ignored);
// - `endpoint` set ("http://localhost:4568", "https://minio.internal:9000/s3"): that scheme,
//   host and port, with the bucket in the path when `path_style`, else as a subdomain of the
//   endpoint's host (<bucket>.minio.internal:9000).
// invalid_config naming the option: an empty bucket or region, a bucket with '/', an endpoint
// that is not an absolute http(s) URL, or one with a query or userinfo.
Result<BucketAddress> bucket_address(const std::string& bucket, const std::string& region,
                                     const std::string& endpoint, bool path_style);

}  // namespace weft::s3
