// The CSV reader and writer of the fake's Bulk API: quoting, doubled quotes, embedded line
// breaks, CRLF, and the errors a malformed upload gets.
#include "fakes/salesforce/csv.h"

#include <gtest/gtest.h>

namespace weft::fakes::salesforce {
namespace {

TEST(SalesforceCsvTest, ParsesQuotedFieldsDoubledQuotesAndEmbeddedNewlines) {
  const auto rows = parse_csv("a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\"two\nlines\"\n,,\nlast,\"\",z");
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  EXPECT_EQ(*rows, std::vector<CsvRow>({{"a", "b", "c"},
                                        {"x, y", "say \"hi\"", "two\nlines"},
                                        {"", "", ""},
                                        {"last", "", "z"}}));
}

TEST(SalesforceCsvTest, AcceptsCrlfAndSkipsEmptyLines) {
  const auto rows = parse_csv("a,b\r\n1,\"2\r\n3\"\r\n\r\n4,5\r\n");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, std::vector<CsvRow>({{"a", "b"}, {"1", "2\r\n3"}, {"4", "5"}}));
}

TEST(SalesforceCsvTest, RefusesUnclosedQuotesAndTextAfterAQuote) {
  const auto unclosed = parse_csv("a\n\"open\n");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_NE(unclosed.error().message().find("unclosed quote"), std::string::npos);
  const auto trailing = parse_csv("a,b\n\"x\"y,z\n");
  ASSERT_FALSE(trailing.ok());
  EXPECT_NE(trailing.error().message().find("line 2"), std::string::npos);
}

TEST(SalesforceCsvTest, WritesEveryFieldQuotedAndReadsItBack) {
  std::string out;
  append_csv_row(out, {"sf__Id", "say \"hi\"", "a,b\nc", ""});
  EXPECT_EQ(out, "\"sf__Id\",\"say \"\"hi\"\"\",\"a,b\nc\",\"\"\n");
  const auto rows = parse_csv(out);
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(*rows, std::vector<CsvRow>({{"sf__Id", "say \"hi\"", "a,b\nc", ""}}));
}

}  // namespace
}  // namespace weft::fakes::salesforce
