#include "files/gunzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <string>

namespace weft::files {
namespace {

// `text` gzip-compressed by zlib (deflate with the gzip wrapper), as `gzip` writes it.
std::string gzip(const std::string& text) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, text.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(text.data()));
  z.avail_in = static_cast<uInt>(text.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Pseudo-random text that compresses a little, so the output is many times the 64 KiB step.
std::string sample(std::size_t size) {
  std::string text;
  std::uint32_t x = 12345;
  while (text.size() < size) {
    x = x * 1103515245 + 12345;
    text += "row " + std::to_string(x % 100000) + ",value\n";
  }
  return text;
}

struct Gunzipped {
  std::string out;
  std::string error;  // empty: no Error
};

Gunzipped gunzip(const std::string& in, std::size_t chunk) {
  Gunzipped result;
  Gunzip g;
  for (std::size_t i = 0; i < in.size(); i += chunk) {
    if (Status s = g.feed(std::string_view(in).substr(i, chunk), result.out); !s) {
      result.error = s.error().message();
      return result;
    }
  }
  if (Status s = g.finish(); !s) result.error = s.error().message();
  return result;
}

TEST(Gunzip, RoundTripInAnyChunkSize) {
  const std::string text = sample(300'000);
  const std::string packed = gzip(text);
  for (std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}, packed.size()}) {
    const Gunzipped result = gunzip(packed, chunk);
    EXPECT_EQ(result.error, "") << chunk;
    EXPECT_TRUE(result.out == text) << "chunk " << chunk << ": " << result.out.size() << " bytes";
  }
}

TEST(Gunzip, HighlyCompressibleInputInOneFeed) {
  const std::string text(5'000'000, 'a');  // a few KiB compressed, many output steps
  const Gunzipped result = gunzip(gzip(text), 1 << 20);
  EXPECT_EQ(result.error, "");
  EXPECT_TRUE(result.out == text) << result.out.size();
}

TEST(Gunzip, ConcatenatedMembersFollowOneAnother) {
  const std::string packed = gzip("first\n") + gzip("") + gzip("second\n");
  for (std::size_t chunk : {std::size_t{1}, std::size_t{5}, packed.size()}) {
    const Gunzipped result = gunzip(packed, chunk);
    EXPECT_EQ(result.error, "");
    EXPECT_EQ(result.out, "first\nsecond\n") << chunk;
  }
}

TEST(Gunzip, CorruptDataIsAPermanentError) {
  std::string packed = gzip(sample(10'000));
  packed[packed.size() / 2] ^= 0x55;
  packed[packed.size() / 2 + 1] ^= 0x55;
  const Gunzipped result = gunzip(packed, packed.size());
  EXPECT_TRUE(result.error.starts_with("corrupt deflate stream: ")) << result.error;
}

TEST(Gunzip, NotGzipAtAllOrAfterAMember) {
  EXPECT_EQ(gunzip("id,name\n1,x\n", 100).error, "not gzip data");
  EXPECT_EQ(gunzip(gzip("a") + "trailing junk", 100).error, "data after a gzip member is not gzip");
}

TEST(Gunzip, TruncatedStreamFailsAtFinish) {
  const std::string packed = gzip(sample(10'000));
  for (std::size_t cut : {std::size_t{5}, packed.size() / 2, packed.size() - 1}) {
    Gunzip g;
    std::string out;
    ASSERT_TRUE(g.feed(std::string_view(packed).substr(0, cut), out)) << cut;
    const Status status = g.finish();
    ASSERT_FALSE(status) << cut;
    EXPECT_EQ(status.error().message(), "truncated gzip stream: it ends inside a member");
    EXPECT_EQ(status.error().kind(), ErrorKind::kPermanent);
  }
}

TEST(Gunzip, EmptyInputIsEmptyOutput) {
  Gunzip g;
  std::string out;
  EXPECT_TRUE(g.feed("", out));
  EXPECT_TRUE(g.finish());
  EXPECT_EQ(out, "");
}

TEST(Gunzip, LooksGzipped) {
  EXPECT_TRUE(looks_gzipped(gzip("x")));
  EXPECT_TRUE(looks_gzipped("\x1f\x8b"));
  EXPECT_FALSE(looks_gzipped("\x1f"));
  EXPECT_FALSE(looks_gzipped(""));
  EXPECT_FALSE(looks_gzipped("id,name\n"));
}

}  // namespace
}  // namespace weft::files
