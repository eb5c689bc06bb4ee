#include "files/gunzip.h"

#include <zlib.h>

namespace weft::files {

bool looks_gzipped(std::string_view head) {
  return head.size() >= 2 && static_cast<unsigned char>(head[0]) == 0x1f &&
         static_cast<unsigned char>(head[1]) == 0x8b;
}

struct Gunzip::State {
  z_stream stream{};
  bool initialized = false;
  bool in_member = false;      // bytes of a member were read and its end not yet
  bool member_ended = false;   // at least one member is complete
  Status status;
};

Gunzip::Gunzip() : state_(std::make_unique<State>()) {
  // 16 + MAX_WBITS: the gzip wrapper (header and CRC-32/size trailer), not zlib's.
  if (inflateInit2(&state_->stream, 16 + MAX_WBITS) == Z_OK) {
    state_->initialized = true;
  } else {
    state_->status = Error::permanent("gunzip: cannot initialize zlib (out of memory)");
  }
}

Gunzip::~Gunzip() {
  if (state_->initialized) inflateEnd(&state_->stream);
}

Status Gunzip::feed(std::string_view in, std::string& out) {
  State& s = *state_;
  if (!s.status) return s.status;
  z_stream& z = s.stream;
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  constexpr std::size_t kStep = 64 * 1024;
  if (in.empty()) return Status::ok_status();
  s.in_member = true;
  // Until the input is used up and zlib has no output left (a full output buffer may mean more
  // is pending inside zlib).
  do {
    const std::size_t before = out.size();
    out.resize(before + kStep);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + before);
    z.avail_out = static_cast<uInt>(kStep);
    const int rc = inflate(&z, Z_NO_FLUSH);
    out.resize(before + (kStep - z.avail_out));
    if (rc == Z_STREAM_END) {
      // Another member may follow (`cat a.gz b.gz`).
      s.in_member = false;
      s.member_ended = true;
      inflateReset(&z);
      if (z.avail_in == 0) break;
      s.in_member = true;
    } else if (rc == Z_BUF_ERROR) {
      break;  // no progress possible: more input needed
    } else if (rc != Z_OK) {
      const std::string detail = z.msg != nullptr ? z.msg : "error " + std::to_string(rc);
      if (rc == Z_DATA_ERROR && detail == "incorrect header check") {
        s.status = Error::permanent(s.member_ended ? "data after a gzip member is not gzip"
                                                   : "not gzip data");
      } else if (rc == Z_MEM_ERROR) {
        s.status = Error::permanent("gunzip: out of memory");
      } else {
        s.status = Error::permanent("corrupt deflate stream: " + detail);
      }
      return s.status;
    }
  } while (z.avail_in > 0 || z.avail_out == 0);
  return Status::ok_status();
}

Status Gunzip::finish() {
  State& s = *state_;
  if (!s.status) return s.status;
  if (s.in_member) {
    s.status = Error::permanent("truncated gzip stream: it ends inside a member");
  }
  return s.status;
}

}  // namespace weft::files
