#include <gtest/gtest.h>

#include "pgcdc/pgoutput.h"

namespace weft::pgcdc {
namespace {

void put64(std::string& out, std::uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<char>(v >> shift));
}

TEST(LsnTest, FormatsAndParsesLikePostgres) {
  EXPECT_EQ(format_lsn(0), "0/0");
  EXPECT_EQ(format_lsn(0x16'B374D848ULL), "16/B374D848");
  EXPECT_EQ(format_lsn(~0ULL), "FFFFFFFF/FFFFFFFF");
  EXPECT_EQ(parse_lsn("16/B374D848"), 0x16'B374D848ULL);
  EXPECT_EQ(parse_lsn("16/b374d848"), 0x16'B374D848ULL);
  EXPECT_EQ(parse_lsn("0/0"), 0u);
  EXPECT_EQ(parse_lsn("FFFFFFFF/FFFFFFFF"), ~0ULL);
  for (const char* bad :
       {"", "/", "0/", "/0", "16B374D848", "1/2/3", "123456789/0", "0/x", " 0/0", "0/0 ", "-1/0"}) {
    EXPECT_FALSE(parse_lsn(bad).has_value()) << bad;
  }
}

TEST(PgTimeTest, MicrosecondsSince2000) {
  EXPECT_EQ(from_pg_time(0), Clock::time_point(std::chrono::seconds(946684800)));
  EXPECT_EQ(from_pg_time(-946684800LL * 1000000), Clock::time_point{});
  const auto t = Clock::time_point(std::chrono::seconds(1704164645) + std::chrono::microseconds(7));
  EXPECT_EQ(from_pg_time(to_pg_time(t)), t);
  EXPECT_EQ(to_pg_time(from_pg_time(757'393'445'000'007)), 757'393'445'000'007);
  // Postgres's infinity sentinels clamp instead of overflowing the nanosecond clock.
  EXPECT_EQ(from_pg_time(INT64_MAX), Clock::time_point::max());
  EXPECT_EQ(from_pg_time(INT64_MIN), Clock::time_point::min());
}

TEST(StreamFramingTest, XLogDataCarriesPositionsAndTheMessage) {
  std::string bytes = "w";
  put64(bytes, 0x1'00000010);
  put64(bytes, 0x1'00000020);
  put64(bytes, 12345);
  bytes += "Bpayload";
  const auto parsed = parse_stream_message(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  const auto& x = std::get<XLogData>(*parsed);
  EXPECT_EQ(x.wal_start, 0x1'00000010u);
  EXPECT_EQ(x.wal_end, 0x1'00000020u);
  EXPECT_EQ(x.send_time, 12345);
  EXPECT_EQ(x.message, "Bpayload");
  EXPECT_EQ(x.message.data(), bytes.data() + 25);  // a view, not a copy

  bytes.resize(25);  // an empty message is framing-valid; decode_pgoutput rejects it
  ASSERT_TRUE(parse_stream_message(bytes).ok());
  EXPECT_TRUE(std::get<XLogData>(*parse_stream_message(bytes)).message.empty());
}

TEST(StreamFramingTest, KeepaliveAndItsReplyFlag) {
  std::string bytes = "k";
  put64(bytes, 0xABCDEF);
  put64(bytes, static_cast<std::uint64_t>(-5));
  bytes.push_back(1);
  const auto parsed = parse_stream_message(bytes);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message();
  const auto& k = std::get<Keepalive>(*parsed);
  EXPECT_EQ(k.wal_end, 0xABCDEFu);
  EXPECT_EQ(k.send_time, -5);
  EXPECT_TRUE(k.reply_requested);
  bytes.back() = 0;
  EXPECT_FALSE(std::get<Keepalive>(*parse_stream_message(bytes)).reply_requested);
}

TEST(StreamFramingTest, TruncatedOrUnknownFramesAreErrors) {
  std::string keepalive = "k";
  put64(keepalive, 1);
  put64(keepalive, 2);
  keepalive.push_back(0);
  for (std::size_t len = 0; len < keepalive.size(); ++len) {
    EXPECT_FALSE(parse_stream_message(keepalive.substr(0, len)).ok()) << len;
  }
  const auto cut = parse_stream_message(keepalive.substr(0, 10));
  EXPECT_EQ(cut.error().message(),
            "replication stream keepalive: sendTime runs past the end of the message");
  EXPECT_FALSE(parse_stream_message(keepalive + "x").ok());

  std::string xlog = "w";
  put64(xlog, 1);
  put64(xlog, 2);
  put64(xlog, 3);
  for (std::size_t len = 0; len < xlog.size(); ++len) {
    EXPECT_FALSE(parse_stream_message(xlog.substr(0, len)).ok()) << len;
  }
  const auto unknown = parse_stream_message("r");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().message(),
            "replication stream: unknown message type 0x72 (expected 'w' or 'k')");
}

TEST(StreamFramingTest, StandbyStatusUpdateIs34BigEndianBytes) {
  const auto msg =
      standby_status_update(0x0102030405060708, 0x1112131415161718, 0x2122232425262728, -2, true);
  ASSERT_EQ(msg.size(), 34u);
  std::string expected = "r";
  put64(expected, 0x0102030405060708);
  put64(expected, 0x1112131415161718);
  put64(expected, 0x2122232425262728);
  put64(expected, static_cast<std::uint64_t>(-2));
  expected.push_back(1);
  EXPECT_EQ(msg, expected);
  EXPECT_EQ(standby_status_update(0, 0, 0, 0, false).back(), '\0');
}

}  // namespace
}  // namespace weft::pgcdc
