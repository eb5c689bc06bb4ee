#pragma once

// Turns the bytes of one file into rows, incrementally: the source feeds an object range by
// range, so memory stays bounded however large the file is. Formats: CSV, JSON lines and a JSON
// array (optionally found under a path such as `$.data.items`). Decompression happens before
// (gunzip.h); a decoder sees plain bytes.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft::files {

enum class Format { kCsv, kJsonLines, kJsonArray };

// CSV as RFC 4180 writes it, read leniently:
// - Line breaks are LF, CRLF or a lone CR, outside and inside quoted fields (kept as they are
//   there). Empty lines are no rows. A file that ends without a line break ends its last row.
// - A quote in the middle of an unquoted field is a literal character (5" disk); text after the
//   closing quote of a quoted field is appended to it ("ab"cd is abcd). "" inside quotes is a
//   quote, with or without an escape character.
// - Null: an empty unquoted field when empty_as_null; an unquoted field equal to a null_if
//   value. Quoted fields are never null ("" is an empty string, "NULL" the text NULL), as in
//   PostgreSQL's COPY: quoting is how a writer says "this text, not a null".
// - Header names: an empty name becomes "column_<position>" (1-based); a repeated name gets
//   "_2", "_3"... (the first number not taken): a,,a -> a, column_2, a_2. Without a header
//   and without columns, the columns are column_1..column_N, N set by the first row.
// - Values are JSON strings; bytes that are not valid UTF-8 become U+FFFD (a Latin-1 file
//   still loads, its accented letters visibly replaced) rather than failing the row.
// - Bad rows: a field count other than the column count ("row has 3 fields, expected 4"), a
//   row longer than max_row_bytes, a quoted field still open at the end of the file
//   ("unterminated quoted field"). Whole-file Errors: a binary file, an unterminated quote or
//   an over-long row in the header. A file of only skipped lines, or only a header, has no rows.
struct CsvOptions {
  char delimiter = ',';
  char quote = '"';
  // None: a quote inside a quoted field is doubled ("") as in RFC 4180. Set (e.g. '\\'): this
  // character makes the next one literal inside a quoted field.
  std::optional<char> escape;
  // The first row (after skip_lines) names the columns. With `columns` set too, the header row
  // is skipped and `columns` name the fields.
  bool header = true;
  std::vector<std::string> columns;
  std::vector<std::string> null_if;  // unquoted field values that become null
  bool empty_as_null = true;         // an empty unquoted field is null; "" stays an empty string
  std::size_t skip_lines = 0;        // physical lines dropped before anything else
  // A row with more or fewer fields than columns: a bad row (false), or padded with nulls and
  // cut to the column count (true).
  bool pad_or_truncate = false;
};

// JSON lines: every line that is not blank is one JSON value (CRLF allowed); a line that is
// not valid JSON is a bad row ("invalid JSON: <reason>") and the next lines are read as usual.
//
// JSON array: streamed; only the element being read is held in memory. Each element of the
// array at records_path becomes a row with its text as written; an element that is not valid
// JSON (a bad literal, escape, number or UTF-8) is a bad row. Whole-file Errors: a structural
// error anywhere (brackets that do not match, a missing or extra comma or colon: element
// boundaries cannot be trusted after it), no array at records_path ("no array at $.data.items",
// also for a file with no JSON at all), a value there that is not an array, content after the
// document, and a truncated document (at finish(), after the rows before it). Member names are
// compared as written (a name spelled with \u escapes does not match); the first member with
// the name is used.
struct DecoderOptions {
  Format format = Format::kCsv;
  CsvOptions csv;
  // kJsonArray: where the array is. "$" (the document is the array) or "$.a.b" (object members).
  std::string records_path = "$";
  // A row (CSV record, JSON line, array element) longer than this is a bad row; it is skipped
  // up to its end without being kept in memory.
  std::size_t max_row_bytes = 16 * 1024 * 1024;
};

// One row, ready to become a record.
struct Row {
  std::uint64_t line = 0;  // 1-based physical line where the row starts
  // The row as JSON text: for CSV an object {"column": "text" | null, ...} in column order;
  // for JSON the value exactly as it appeared (whitespace around it trimmed). Empty when bad.
  std::string json;
  std::string error;  // non-empty: the row is bad ("3 fields, expected 4"); `raw` holds it
  std::string raw;    // a bad row's text (at most kMaxRawBytes of it)
};

// A bad row keeps at most this much of its text in Row::raw.
inline constexpr std::size_t kMaxRawBytes = 64 * 1024;

class RowDecoder {
 public:
  virtual ~RowDecoder() = default;
  // Feeds the next bytes of the file and appends every row they complete to `rows`. An Error
  // means the file as a whole cannot be read in this format (binary content, a JSON array
  // document that is not one, no header row); bad rows are not Errors, they are Rows with
  // `error` set.
  virtual Status feed(std::string_view bytes, std::vector<Row>& rows) = 0;
  // The end of the file: appends the last row (a final line without a newline) or reports a
  // truncated document (an unclosed JSON array or object). After an Error from feed(), the
  // decoder returns that Error again and appends nothing.
  virtual Status finish(std::vector<Row>& rows) = 0;
};

// Checks options once, before any file is read: records_path syntax ("$" or "$.name.name", member
// names only: no "[0]" or "*"), CSV characters (delimiter, quote and escape distinct, none of
// them CR or LF), explicit columns non-empty and unique, max_row_bytes > 0. An invalid_config
// Error says which option is wrong.
Status validate(const DecoderOptions& options);

// A decoder for one file. Every decoder drops a UTF-8 byte order mark at the start of the file
// and rejects a file with a NUL byte in its first kSniffBytes ("looks binary: NUL byte at offset
// N"; a gzip file read without decompression, UTF-16 text): the first kSniffBytes are held back
// until checked, so such a file yields no rows. Options that fail validate() give a decoder
// whose feed() and finish() return that Error. Not thread-safe; one per file.
inline constexpr std::size_t kSniffBytes = 4096;
std::unique_ptr<RowDecoder> make_row_decoder(const DecoderOptions& options);

}  // namespace weft::files
