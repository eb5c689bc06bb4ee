#include "net/content_decoding.h"

#include <zlib.h>

#include <array>
#include <utility>

#include "common/text.h"

namespace weft::net {
namespace {

// zlib's window bits: 15 is the largest window; +32 detects a zlib or gzip header by itself;
// negative means raw deflate without a header.
constexpr int kAutoDetectWindow = 15 + 32;
constexpr int kRawDeflateWindow = -15;

// Owns a z_stream set up for inflating.
class Inflater {
 public:
  explicit Inflater(int window_bits) { ok_ = inflateInit2(&stream_, window_bits) == Z_OK; }
  ~Inflater() {
    if (ok_) inflateEnd(&stream_);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  bool ok() const { return ok_; }
  z_stream& stream() { return stream_; }

 private:
  z_stream stream_{};
  bool ok_ = false;
};

enum class Outcome { kDone, kTooLarge, kCorrupt };

struct Inflated {
  Outcome outcome = Outcome::kDone;
  std::string text;
  std::string zlib_message;  // what zlib said when the input was corrupt
};

Inflated inflate_all(std::string_view body, int window_bits, std::size_t max_bytes) {
  Inflated out;
  Inflater inflater(window_bits);
  if (!inflater.ok()) {
    out.outcome = Outcome::kCorrupt;
    out.zlib_message = "zlib could not be initialised";
    return out;
  }
  z_stream& zs = inflater.stream();
  // zlib's API is not const-correct; it does not write through next_in.
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(body.data()));
  zs.avail_in = static_cast<uInt>(body.size());
  std::array<char, 16 * 1024> chunk{};
  while (true) {
    zs.next_out = reinterpret_cast<Bytef*>(chunk.data());
    zs.avail_out = static_cast<uInt>(chunk.size());
    const int rc = inflate(&zs, Z_NO_FLUSH);
    const std::size_t produced = chunk.size() - zs.avail_out;
    if (out.text.size() + produced > max_bytes) {
      out.outcome = Outcome::kTooLarge;
      return out;
    }
    out.text.append(chunk.data(), produced);
    if (rc == Z_STREAM_END) {
      if (zs.avail_in == 0) return out;
      // Another gzip member follows (as `cat a.gz b.gz` makes); decode it too.
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) {
      out.outcome = Outcome::kCorrupt;
      out.zlib_message = "the compressed body ends early";
      return out;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) break;
  }
  out.outcome = Outcome::kCorrupt;
  out.zlib_message = zs.msg != nullptr ? zs.msg : "invalid compressed data";
  return out;
}

std::string limit_text(std::size_t max_bytes) {
  return std::to_string(max_bytes) + " bytes (max_response_bytes)";
}

}  // namespace

bool is_decodable_encoding(std::string_view content_encoding) {
  const auto encoding = trim(content_encoding);
  return iequals(encoding, "gzip") || iequals(encoding, "x-gzip") || iequals(encoding, "deflate");
}

Result<std::string> decode_content(std::string_view content_encoding, std::string_view body,
                                   std::size_t max_bytes) {
  const auto encoding = trim(content_encoding);
  Inflated result = inflate_all(body, kAutoDetectWindow, max_bytes);
  if (result.outcome == Outcome::kCorrupt && iequals(encoding, "deflate")) {
    result = inflate_all(body, kRawDeflateWindow, max_bytes);
  }
  switch (result.outcome) {
    case Outcome::kDone:
      return std::move(result.text);
    case Outcome::kTooLarge:
      return Error::permanent("decoded response body exceeds " + limit_text(max_bytes));
    case Outcome::kCorrupt:
      break;
  }
  return Error::permanent("response body is not valid " + to_lower(encoding) + ": " +
                          result.zlib_message);
}

}  // namespace weft::net
