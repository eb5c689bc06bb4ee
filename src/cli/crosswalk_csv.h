#pragma once

// CSV as RFC 4180 describes it, for `weft crosswalk import|export`: pure text in and out, no
// files, so tests can hit it directly.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft::cli {

struct CsvRecord {
  std::size_t line = 0;  // where the record starts, counting from 1
  std::vector<std::string> fields;
};

// Parses `text`: records end with CRLF or LF (the last one may lack it); a field in double
// quotes may hold commas, line breaks and doubled quotes (""). Blank lines are skipped, and a
// UTF-8 byte order mark at the start is ignored. Fails with a permanent error
// "<source>:<line>: <problem>" for an unclosed quote, text after a closing quote, or a quote
// inside an unquoted field. `source` names the text in errors (a file name).
Result<std::vector<CsvRecord>> parse_csv(std::string_view text, std::string_view source);

// `fields` as one CSV line ending in "\n", each field quoted when it holds a comma, a quote, a
// line break or leading or trailing spaces (which some readers would trim).
std::string csv_line(const std::vector<std::string_view>& fields);

}  // namespace weft::cli
