#pragma once

// Removes a response's Content-Encoding (gzip, deflate) with zlib, bounded in size so that a
// small compressed body cannot expand without limit (a "zip bomb").

#include <cstddef>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::net {

// True for the encodings decode_content() removes: "gzip", "x-gzip", "deflate" (any case).
bool is_decodable_encoding(std::string_view content_encoding);

// `body` decoded from `content_encoding`. "deflate" is zlib-wrapped as RFC 9110 says, but a raw
// deflate stream (sent by some servers) is accepted too; concatenated gzip members are joined.
// A permanent Error when the body is not valid for its encoding, or when the decoded body would
// exceed `max_bytes` (the message names the limit as max_response_bytes).
Result<std::string> decode_content(std::string_view content_encoding, std::string_view body,
                                   std::size_t max_bytes);

}  // namespace weft::net
