#include "config/units.h"

#include <gtest/gtest.h>

#include "common/suggest.h"

namespace weft {
namespace {

TEST(Units, ParsesDurations) {
  EXPECT_EQ(parse_duration_ms("250ms"), 250);
  EXPECT_EQ(parse_duration_ms("5s"), 5000);
  EXPECT_EQ(parse_duration_ms("1m"), 60000);
  EXPECT_EQ(parse_duration_ms("2h"), 7200000);
  EXPECT_EQ(parse_duration_ms("7d"), 7 * 86400000LL);
  EXPECT_EQ(parse_duration_ms("1m30s"), 90000);
  EXPECT_EQ(parse_duration_ms("1h5m10s250ms"), 3910250);
  EXPECT_EQ(parse_duration_ms("0s"), 0);
}

TEST(Units, RejectsMalformedDurations) {
  for (const char* text : {"", "5", "s", "5x", "-5s", "1.5s", "5 s", "30s1m", "1s1s", "5S",
                           "99999999999999999999d", "200000000000d"}) {
    EXPECT_EQ(parse_duration_ms(text), std::nullopt) << text;
  }
}

TEST(Units, ParsesSizes) {
  EXPECT_EQ(parse_size_bytes("512"), 512u);
  EXPECT_EQ(parse_size_bytes("100B"), 100u);
  EXPECT_EQ(parse_size_bytes("10KB"), 10000u);
  EXPECT_EQ(parse_size_bytes("10MB"), 10000000u);
  EXPECT_EQ(parse_size_bytes("2GB"), 2000000000u);
  EXPECT_EQ(parse_size_bytes("64KiB"), 65536u);
  EXPECT_EQ(parse_size_bytes("3MiB"), 3u * 1024 * 1024);
  EXPECT_EQ(parse_size_bytes("1GiB"), 1u << 30);
}

TEST(Units, RejectsMalformedSizes) {
  for (const char* text : {"", "KiB", "10kb", "10 MB", "1.5GiB", "-1", "10TB", "10MBs",
                           "99999999999999999999GiB"}) {
    EXPECT_EQ(parse_size_bytes(text), std::nullopt) << text;
  }
}

TEST(Units, FormatsInTheLargestExactUnits) {
  EXPECT_EQ(format_duration_ms(90000), "1m30s");
  EXPECT_EQ(format_duration_ms(250), "250ms");
  EXPECT_EQ(format_duration_ms(0), "0ms");
  EXPECT_EQ(format_duration_ms(86400000), "1d");
  EXPECT_EQ(format_size_bytes(65536), "64KiB");
  EXPECT_EQ(format_size_bytes(10000000), "10MB");
  EXPECT_EQ(format_size_bytes(1500), "1500B");
  EXPECT_EQ(format_bound(FieldType::kDuration, 100), "100ms");
  EXPECT_EQ(format_bound(FieldType::kDuration, 30000), "30s");
  EXPECT_EQ(format_bound(FieldType::kSize, 1048576), "1MiB");
  EXPECT_EQ(format_bound(FieldType::kInteger, 100000), "100000");
  EXPECT_EQ(format_bound(FieldType::kNumber, 0.5), "0.5");
}

TEST(Suggest, FindsCloseTyposOnly) {
  EXPECT_EQ(edit_distance("tpye", "type"), 1u);  // a swap counts once
  EXPECT_EQ(edit_distance("batchsize", "batch_size"), 1u);
  EXPECT_EQ(edit_distance("Rate", "rate"), 0u);
  EXPECT_EQ(closest_match("rat", {"path", "rate"}), "rate");
  EXPECT_EQ(closest_match("colour", {"path", "rate"}), std::nullopt);
  EXPECT_EQ(join({"a", "b", "c"}), "a, b, c");
}

}  // namespace
}  // namespace weft
