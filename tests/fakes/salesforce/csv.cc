#include "fakes/salesforce/csv.h"

namespace weft::fakes::salesforce {

Result<std::vector<CsvRow>> parse_csv(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false;       // inside a quoted field
  bool after_quote = false;  // a quoted field just closed: only a delimiter may follow
  bool row_started = false;  // the current row has at least one character
  std::size_t line = 1;
  const auto end_row = [&] {
    if (row_started) {
      row.push_back(std::move(field));
      rows.push_back(std::move(row));
    }
    row = {};
    field.clear();
    row_started = false;
    after_quote = false;
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (quoted) {
      if (c == '"') {
        if (i + 1 < text.size() && text[i + 1] == '"') {
          field += '"';
          ++i;
        } else {
          quoted = false;
          after_quote = true;
        }
      } else {
        if (c == '\n') ++line;
        field += c;
      }
      continue;
    }
    if (c == ',') {
      row.push_back(std::move(field));
      field.clear();
      row_started = true;
      after_quote = false;
    } else if (c == '\n' || (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n')) {
      if (c == '\r') ++i;
      end_row();
      ++line;
    } else if (after_quote) {
      return Error::permanent("csv line " + std::to_string(line) + ": text after a closing quote");
    } else if (c == '"' && field.empty()) {
      quoted = true;
      row_started = true;
    } else {
      field += c;
      row_started = true;
    }
  }
  if (quoted) return Error::permanent("csv line " + std::to_string(line) + ": unclosed quote");
  end_row();
  return rows;
}

void append_csv_row(std::string& out, const CsvRow& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ',';
    out += '"';
    for (const char c : row[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += '\n';
}

}  // namespace weft::fakes::salesforce
