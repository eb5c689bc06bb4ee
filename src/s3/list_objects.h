#pragma once

// ListObjectsV2: the query parameters of a request and the parsing of its XML response (and of
// S3's XML error bodies). Layout: ../shared/reference/protocols.md §2. Pure functions, no I/O.
//
// Elements are matched by local name only, ignoring any namespace or prefix: AWS answers in
// the "http://s3.amazonaws.com/doc/2006-03-01/" namespace, s3rver and some MinIO versions in
// none. Unknown elements are ignored (servers add Owner, ChecksumAlgorithm, RestoreStatus...).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "s3/sigv4.h"
#include "weft/status.h"

namespace weft::s3 {

// S3 refuses more than 1000 keys per page.
inline constexpr int kMaxKeysLimit = 1000;

struct ListObjectsRequest {
  std::string prefix;                             // empty: the whole bucket
  std::optional<std::string> continuation_token;  // NextContinuationToken of the previous page
  std::optional<std::string> start_after;         // list keys after this one (first page only)
  std::optional<int> max_keys;                    // 1..kMaxKeysLimit; absent: the server's 1000
};

// The query parameters of a ListObjectsV2 request, not encoded (the signer encodes them; a
// continuation token holds '+', '/' and '='): list-type=2, then prefix, continuation-token,
// start-after and max-keys when set. invalid_config Error when max_keys is outside 1..1000.
Result<std::vector<QueryParam>> list_objects_query(const ListObjectsRequest& request);

struct ObjectSummary {
  std::string key;  // XML entities decoded ("a&amp;b" -> "a&b")
  std::chrono::system_clock::time_point last_modified;
  std::string etag;  // surrounding quotes removed
  std::uint64_t size = 0;
  std::string storage_class;  // empty when the server omits it
};

struct ListObjectsPage {
  std::string name;  // the bucket
  std::string prefix;
  // KeyCount as sent; when a server omits it, objects.size() + common_prefixes.size().
  std::uint64_t key_count = 0;
  bool is_truncated = false;
  // Set exactly when is_truncated; pass it back as ListObjectsRequest::continuation_token.
  std::optional<std::string> next_continuation_token;
  std::vector<ObjectSummary> objects;        // in the server's (lexicographic) order
  std::vector<std::string> common_prefixes;  // only with a delimiter
};

// Parses a ListObjectsV2 response body. Errors:
// - an S3 <Error> body: the Error of parse_error_body;
// - malformed XML, another root element, a Contents without Key, a bad Size or LastModified,
//   IsTruncated true without NextContinuationToken (following it would loop or stop early):
//   a permanent Error saying what was wrong.
Result<ListObjectsPage> parse_list_objects(std::string_view body);

// The Error an S3 <Error><Code/><Message/></Error> body stands for, or nullopt when `body` is
// not one. The message is "S3 error <Code>: <Message>". Retryable for throttling and server-side
// codes (SlowDown, InternalError, ServiceUnavailable, RequestTimeout...), permanent otherwise
// (AccessDenied, NoSuchBucket, InvalidAccessKeyId, SignatureDoesNotMatch and unknown codes).
std::optional<Error> parse_error_body(std::string_view body);

// Whether an S3 error code is worth retrying (see parse_error_body).
bool is_retryable_error_code(std::string_view code);

// Parses an ISO 8601 UTC timestamp as S3 writes it: "2009-10-12T17:50:30.000Z", with any number
// of fractional digits (or none) and "Z" or a "+hh:mm"/"-hh:mm" offset. nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_iso8601(std::string_view text);

}  // namespace weft::s3
