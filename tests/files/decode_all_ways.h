#pragma once

// Test helper: decodes an input whole, byte by byte and in two chunks at every split point, and
// checks that every way gives the same rows and the same Error. Incremental bugs (a CRLF, a
// quote or a BOM split over two feeds) show up as a difference.

#include <gtest/gtest.h>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "files/row_decoder.h"

namespace weft::files {

inline bool operator==(const Row& a, const Row& b) {
  return a.line == b.line && a.json == b.json && a.error == b.error && a.raw == b.raw;
}

inline std::ostream& operator<<(std::ostream& os, const Row& row) {
  os << "{line " << row.line << ", json " << row.json;
  if (!row.error.empty()) os << ", error \"" << row.error << "\", raw \"" << row.raw << "\"";
  return os << "}";
}

struct Decoded {
  std::vector<Row> rows;
  std::optional<std::string> error;  // the whole-file Error, if any
  bool operator==(const Decoded&) const = default;
};

inline std::ostream& operator<<(std::ostream& os, const Decoded& decoded) {
  for (const Row& row : decoded.rows) os << row << "\n";
  if (decoded.error) os << "error: " << *decoded.error << "\n";
  return os;
}

inline Decoded decode_chunks(const DecoderOptions& options,
                             const std::vector<std::string_view>& chunks) {
  Decoded out;
  auto decoder = make_row_decoder(options);
  for (std::string_view chunk : chunks) {
    if (Status status = decoder->feed(chunk, out.rows); !status) {
      out.error = status.error().message();
      return out;
    }
  }
  if (Status status = decoder->finish(out.rows); !status) out.error = status.error().message();
  return out;
}

inline Decoded decode(const DecoderOptions& options, std::string_view input) {
  const Decoded whole = decode_chunks(options, {input});
  std::vector<std::string_view> bytes;
  for (std::size_t i = 0; i < input.size(); ++i) bytes.push_back(input.substr(i, 1));
  EXPECT_EQ(decode_chunks(options, bytes), whole) << "byte by byte";
  for (std::size_t split = 0; split <= input.size(); ++split) {
    EXPECT_EQ(decode_chunks(options, {input.substr(0, split), input.substr(split)}), whole)
        << "split at " << split;
  }
  return whole;
}

inline std::vector<std::string> jsons(const Decoded& decoded) {
  std::vector<std::string> out;
  for (const Row& row : decoded.rows) out.push_back(row.error.empty() ? row.json : "!" + row.error);
  return out;
}

inline std::vector<std::uint64_t> lines(const Decoded& decoded) {
  std::vector<std::uint64_t> out;
  for (const Row& row : decoded.rows) out.push_back(row.line);
  return out;
}

}  // namespace weft::files
