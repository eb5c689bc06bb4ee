#pragma once

// The position of a record of the `files` source: which object (its number in the order the
// pipeline reads objects, key and version), which line, and whether it is the object's last
// record. Text form: "<ordinal>:<line>:<e|m>:<etag length>:<etag><key>" ("e": the object ends
// here, "m": more follows), e.g. "7:42:m:32:9b2cf5...incoming/a.csv".

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace weft::files {

struct FilePosition {
  std::uint64_t ordinal = 0;  // the object's number: 1, 2, ... in reading order, never reused
  std::string key;
  std::string etag;
  std::uint64_t line = 0;  // the record's line in the file (0: a whole-file record)
  bool end = false;        // the object's last record

  std::string encode() const;
  // encode() without a FilePosition to hold copies of the key and ETag.
  static std::string format(std::uint64_t ordinal, std::uint64_t line, bool end,
                            std::string_view etag, std::string_view key);
  // nullopt when `text` is not one (a checkpoint of another source type).
  static std::optional<FilePosition> decode(const std::string& text);
};

}  // namespace weft::files
