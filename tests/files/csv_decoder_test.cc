#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "files/decode_all_ways.h"
#include "files/row_decoder.h"

namespace weft::files {
namespace {

using Strings = std::vector<std::string>;

DecoderOptions csv(CsvOptions csv_options = {}) {
  DecoderOptions options;
  options.format = Format::kCsv;
  options.csv = std::move(csv_options);
  return options;
}

TEST(CsvDecoder, HeaderNamesTheFieldsInColumnOrder) {
  const Decoded out = decode(csv(), "id,name,city\n1,Ann,Paris\n2,Bob,Oslo\n");
  EXPECT_FALSE(out.error);
  EXPECT_EQ(jsons(out), (Strings{R"({"id":"1","name":"Ann","city":"Paris"})",
                                 R"({"id":"2","name":"Bob","city":"Oslo"})"}));
  EXPECT_EQ(lines(out), (std::vector<std::uint64_t>{2, 3}));
}

TEST(CsvDecoder, LastLineWithoutNewlineIsARow) {
  EXPECT_EQ(jsons(decode(csv(), "a,b\n1,2")), (Strings{R"({"a":"1","b":"2"})"}));
}

TEST(CsvDecoder, QuotedFieldsHoldDelimitersDoubledQuotesAndNewlines) {
  const Decoded out = decode(csv(),
                             "a,b\n"
                             "\"x,y\",\"say \"\"hi\"\"\"\n"
                             "\"two\nlines\",\"cr\r\nlf\"\n"
                             "\"old\rmac\",z\n"
                             "last,row\n");
  EXPECT_FALSE(out.error);
  EXPECT_EQ(jsons(out), (Strings{R"({"a":"x,y","b":"say \"hi\""})",
                                 R"({"a":"two\nlines","b":"cr\r\nlf"})",
                                 R"({"a":"old\rmac","b":"z"})", R"({"a":"last","b":"row"})"}));
  // Embedded line breaks move the following rows down.
  EXPECT_EQ(lines(out), (std::vector<std::uint64_t>{2, 3, 6, 8}));
}

TEST(CsvDecoder, CrlfLineEndsAndEmptyLinesAreSkipped) {
  const Decoded out = decode(csv(), "a,b\r\n\r\n1,2\r\n\r\n\n3,4\r\n\r\n");
  EXPECT_EQ(jsons(out), (Strings{R"({"a":"1","b":"2"})", R"({"a":"3","b":"4"})"}));
  EXPECT_EQ(lines(out), (std::vector<std::uint64_t>{3, 6}));
}

TEST(CsvDecoder, DropsAUtf8ByteOrderMark) {
  EXPECT_EQ(jsons(decode(csv(), "\xEF\xBB\xBFid\n7\n")), (Strings{R"({"id":"7"})"}));
  // Not a BOM: bytes that only start like one are data (invalid UTF-8 becomes U+FFFD).
  EXPECT_EQ(jsons(decode(csv(), "\xEF\xBBx\n7\n")), (Strings{"{\"\xEF\xBF\xBD\xEF\xBF\xBDx\":\"7\"}"}));
}

TEST(CsvDecoder, EmptyQuotedEmptyAndNullIf) {
  CsvOptions options;
  options.null_if = {"NULL", "\\N"};
  const Decoded out = decode(csv(options), "a,b,c,d\n,\"\",NULL,\"NULL\"\n\\N,x,,\n");
  EXPECT_EQ(jsons(out), (Strings{R"({"a":null,"b":"","c":null,"d":"NULL"})",
                                 R"({"a":null,"b":"x","c":null,"d":null})"}));
  options.empty_as_null = false;
  EXPECT_EQ(jsons(decode(csv(options), "a,b\n,\"\"\n")), (Strings{R"({"a":"","b":""})"}));
}

TEST(CsvDecoder, RaggedRowIsABadRowWithItsRawText) {
  const Decoded out = decode(csv(), "a,b,c,d\n1,2,3\n1,2,3,4\n\"x\ny\",2,3,4,5\n");
  ASSERT_EQ(out.rows.size(), 3u);
  EXPECT_EQ(out.rows[0].error, "row has 3 fields, expected 4");
  EXPECT_EQ(out.rows[0].raw, "1,2,3");
  EXPECT_EQ(out.rows[0].json, "");
  EXPECT_EQ(out.rows[1].json, R"({"a":"1","b":"2","c":"3","d":"4"})");
  EXPECT_EQ(out.rows[2].error, "row has 5 fields, expected 4");
  EXPECT_EQ(out.rows[2].raw, "\"x\ny\",2,3,4,5");
  EXPECT_EQ(lines(out), (std::vector<std::uint64_t>{2, 3, 4}));
}

TEST(CsvDecoder, PadOrTruncateFitsRowsToTheColumns) {
  CsvOptions options;
  options.pad_or_truncate = true;
  EXPECT_EQ(jsons(decode(csv(options), "a,b,c\n1\n1,2,3,4\n")),
            (Strings{R"({"a":"1","b":null,"c":null})", R"({"a":"1","b":"2","c":"3"})"}));
}

TEST(CsvDecoder, EscapeCharacterMakesTheNextOneLiteral) {
  CsvOptions options;
  options.escape = '\\';
  EXPECT_EQ(jsons(decode(csv(options), "a,b\n\"say \\\"hi\\\"\",\"back\\\\slash\"\nplain\\x,y\n")),
            (Strings{R"({"a":"say \"hi\"","b":"back\\slash"})", R"({"a":"plain\\x","b":"y"})"}));
}

TEST(CsvDecoder, OtherDelimiters) {
  for (char delimiter : {'\t', ';', '|'}) {
    CsvOptions options;
    options.delimiter = delimiter;
    const std::string d(1, delimiter);
    const std::string input = "a" + d + "b\n\"1" + d + "x\"" + d + "2,3\n";
    const std::string cell = delimiter == '\t' ? "1\\tx" : "1" + d + "x";
    EXPECT_EQ(jsons(decode(csv(options), input)),
              (Strings{R"({"a":")" + cell + R"(","b":"2,3"})"}))
        << "delimiter " << int(delimiter);
  }
}

TEST(CsvDecoder, SkipLinesCountsPhysicalLinesBeforeTheHeader) {
  CsvOptions options;
  options.skip_lines = 2;
  const Decoded out = decode(csv(options), "exported by X\r\n\"not, a row\n\nid\n1\n");
  EXPECT_EQ(jsons(out), (Strings{R"({"id":"1"})"}));
  EXPECT_EQ(lines(out), (std::vector<std::uint64_t>{5}));  // the blank line 3 is skipped too
}

TEST(CsvDecoder, ExplicitColumnsReplaceOrStandInForTheHeader) {
  CsvOptions options;
  options.columns = {"x", "y"};
  EXPECT_EQ(jsons(decode(csv(options), "a,b\n1,2\n")), (Strings{R"({"x":"1","y":"2"})"}));
  options.header = false;
  const Decoded out = decode(csv(options), "a,b\n1,2\n");
  EXPECT_EQ(jsons(out), (Strings{R"({"x":"a","y":"b"})", R"({"x":"1","y":"2"})"}));
  EXPECT_EQ(lines(out), (std::vector<std::uint64_t>{1, 2}));
}

TEST(CsvDecoder, NoHeaderNoColumnsNamesColumnsByPosition) {
  CsvOptions options;
  options.header = false;
  EXPECT_EQ(jsons(decode(csv(options), "1,2\n3\n")),
            (Strings{R"({"column_1":"1","column_2":"2"})", "!row has 1 field, expected 2"}));
}

TEST(CsvDecoder, DuplicateAndEmptyHeaderNamesAreMadeUnique) {
  EXPECT_EQ(jsons(decode(csv(), "a,,a,a,column_2,a_2\n1,2,3,4,5,6\n")),
            (Strings{R"({"a":"1","column_2":"2","a_2":"3","a_3":"4","column_2_2":"5","a_2_2":"6"})"}));
}

TEST(CsvDecoder, JsonEscapesControlCharactersQuotesAndKeepsNonAscii) {
  const Decoded out =
      decode(csv(), "k\"ey,v\n\"tab\there \x01 \x1f \\ \"\"q\"\"\",\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"\n");
  EXPECT_EQ(jsons(out), (Strings{"{\"k\\\"ey\":\"tab\\there \\u0001 \\u001f \\\\ \\\"q\\\"\","
                                 "\"v\":\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"}"}));
}

TEST(CsvDecoder, InvalidUtf8BecomesReplacementCharacters) {
  // Latin-1 é (E9), a stray continuation byte, a cut-short sequence, an overlong '/' (C0 AF), a
  // UTF-16 surrogate (ED A0 80).
  const Decoded out = decode(csv(), "v\ncaf\xE9|\x80|\xE2\x82|\xC0\xAF|\xED\xA0\x80\n");
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(jsons(out), (Strings{"{\"v\":\"caf" + r + "|" + r + "|" + r + r + "|" + r + r + "|" +
                                 r + r + r + "\"}"}));
}

TEST(CsvDecoder, Utf8IsRightWhereverTheInputIsCut) {
  // Past the first kSniffBytes, where the decoder sees the feeds as they come: UTF-8 is checked
  // per feed, so a character cut in two by a feed boundary, and a bad byte in one row, must
  // still come out as when the file is decoded whole (decode() tries every cut).
  std::string input = "v\n";
  while (input.size() < kSniffBytes + 16) input += "plain\n";
  input += "caf\xC3\xA9 \xE2\x82\xAC\nbad \xE9\nok \xC3\xA9\n";
  const Decoded out = decode(csv(), input);
  ASSERT_GE(out.rows.size(), 3u);
  const auto last = jsons(out);
  EXPECT_EQ(last[last.size() - 3], "{\"v\":\"caf\xC3\xA9 \xE2\x82\xAC\"}");
  EXPECT_EQ(last[last.size() - 2], "{\"v\":\"bad \xEF\xBF\xBD\"}");
  EXPECT_EQ(last[last.size() - 1], "{\"v\":\"ok \xC3\xA9\"}");
}

TEST(CsvDecoder, QuoteInsideAnUnquotedFieldIsLiteral) {
  EXPECT_EQ(jsons(decode(csv(), "a,b\n5\" disk,x\"y\n\"ab\"cd,e\n")),
            (Strings{R"({"a":"5\" disk","b":"x\"y"})", R"({"a":"abcd","b":"e"})"}));
}

TEST(CsvDecoder, BinaryFileIsAWholeFileError) {
  const Decoded out = decode(csv(), std::string("id\n1\n\x89PNG\0\0", 11));
  EXPECT_EQ(out.error, "looks binary: NUL byte at offset 9");
  EXPECT_TRUE(out.rows.empty());  // however the file is split
}

TEST(CsvDecoder, UnterminatedQuoteAtEndIsABadRowAndEarlierRowsSurvive) {
  const Decoded out = decode(csv(), "a,b\n1,2\n3,\"never\nclosed\n");
  EXPECT_FALSE(out.error);
  ASSERT_EQ(out.rows.size(), 2u);
  EXPECT_EQ(out.rows[0].json, R"({"a":"1","b":"2"})");
  EXPECT_EQ(out.rows[1].error, "unterminated quoted field");
  EXPECT_EQ(out.rows[1].raw, "3,\"never\nclosed\n");
  EXPECT_EQ(out.rows[1].line, 3u);
}

TEST(CsvDecoder, RowLongerThanMaxRowBytesIsABadRow) {
  DecoderOptions options = csv();
  options.max_row_bytes = 10;
  const Decoded out = decode(options, "a,b\n1,2\n\"0123456789\n012\",x\n3,4\n");
  EXPECT_EQ(jsons(out), (Strings{R"({"a":"1","b":"2"})", "!row is longer than max_row_bytes (10)",
                                 R"({"a":"3","b":"4"})"}));
  EXPECT_EQ(out.rows[1].raw, "\"0123456789\n012\",x");
  EXPECT_EQ(lines(out), (std::vector<std::uint64_t>{2, 3, 5}));
}

TEST(CsvDecoder, HugeRowKeepsAtMost64KiBOfRaw) {
  DecoderOptions options = csv();
  options.max_row_bytes = 1000;
  auto decoder = make_row_decoder(options);
  std::vector<Row> rows;
  ASSERT_TRUE(decoder->feed("a\n", rows));
  const std::string chunk(4096, 'x');
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(decoder->feed(chunk, rows));
  ASSERT_TRUE(decoder->feed("\nok\n", rows));
  ASSERT_TRUE(decoder->finish(rows));
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].error, "row is longer than max_row_bytes (1000)");
  EXPECT_EQ(rows[0].raw.size(), kMaxRawBytes);
  EXPECT_EQ(rows[1].json, R"({"a":"ok"})");
}

TEST(CsvDecoder, FilesWithoutRows) {
  EXPECT_EQ(decode(csv(), ""), Decoded{});
  EXPECT_EQ(decode(csv(), "a,b\n"), Decoded{});
  CsvOptions options;
  options.skip_lines = 3;
  EXPECT_EQ(decode(csv(options), "x\ny\n"), Decoded{});  // only skipped lines: no rows
}

TEST(CsvDecoder, TrailingDelimiterMeansAnEmptyLastField) {
  EXPECT_EQ(jsons(decode(csv(), "a,b\n1,\n2,")),
            (Strings{R"({"a":"1","b":null})", R"({"a":"2","b":null})"}));
}

TEST(CsvDecoder, InvalidOptionsAreRejected) {
  CsvOptions options;
  options.delimiter = '"';
  EXPECT_FALSE(validate(csv(options)));
  options = {};
  options.columns = {"a", "a"};
  const Status status = validate(csv(options));
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(status.error().message(), "csv: column \"a\" appears twice in columns");
  EXPECT_EQ(decode(csv(options), "a\n").error, "csv: column \"a\" appears twice in columns");
  EXPECT_TRUE(validate(csv()));
}

}  // namespace
}  // namespace weft::files
