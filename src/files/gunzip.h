#pragma once

// Streaming gzip decompression (zlib) for compressed files, fed range by range.

#include <memory>
#include <string>
#include <string_view>

#include "weft/status.h"

namespace weft::files {

// True when `head` starts with the gzip magic bytes 1f 8b.
bool looks_gzipped(std::string_view head);

class Gunzip {
 public:
  Gunzip();
  ~Gunzip();
  Gunzip(const Gunzip&) = delete;
  Gunzip& operator=(const Gunzip&) = delete;
  // Decompresses the next compressed bytes, appending the output to `out`. Concatenated gzip
  // members (as `cat a.gz b.gz` makes) are decompressed one after another. A permanent Error
  // names what is wrong ("not gzip data", "corrupt deflate stream").
  Status feed(std::string_view in, std::string& out);
  // The end of the input: an Error when the stream stopped in the middle of a member.
  Status finish();

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace weft::files
