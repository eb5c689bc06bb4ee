#pragma once

// RFC 4180 CSV as Bulk API 2.0 speaks it (comma delimiter): fields may be quoted, a quote inside a
// quoted field is doubled, and quoted fields may hold commas and line breaks. Pure functions;
// thread-safe.

#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft::fakes::salesforce {

using CsvRow = std::vector<std::string>;

// Every row of `text`, the header included. Rows end in LF or CRLF (a last row may lack one);
// an empty line is skipped. A permanent Error naming the line for a quote that is never closed or
// text right after a closing quote.
Result<std::vector<CsvRow>> parse_csv(std::string_view text);

// Appends `row` with every field quoted (as Salesforce writes result files) and an LF.
void append_csv_row(std::string& out, const CsvRow& row);

}  // namespace weft::fakes::salesforce
