#include "cli/crosswalk_csv.h"

#include <utility>

namespace weft::cli {
namespace {

constexpr std::string_view kByteOrderMark = "\xEF\xBB\xBF";

// A record with one empty field came from a line with nothing on it.
bool is_blank(const std::vector<std::string>& fields) {
  return fields.size() == 1 && fields[0].empty();
}

bool needs_quotes(std::string_view field) {
  if (field.find_first_of(",\"\r\n") != std::string_view::npos) return true;
  return !field.empty() && (field.front() == ' ' || field.back() == ' ' || field.front() == '\t' ||
                            field.back() == '\t');
}

}  // namespace

Result<std::vector<CsvRecord>> parse_csv(std::string_view text, std::string_view source) {
  const auto at = [source](std::size_t line, std::string_view problem) {
    return Error::permanent(std::string(source) + ":" + std::to_string(line) + ": " +
                            std::string(problem));
  };
  if (text.starts_with(kByteOrderMark)) text.remove_prefix(kByteOrderMark.size());
  std::vector<CsvRecord> records;
  std::size_t line = 1;
  std::size_t i = 0;
  const std::size_t n = text.size();
  while (i < n) {
    CsvRecord record;
    record.line = line;
    bool end_of_record = false;
    while (!end_of_record) {
      std::string field;
      if (i < n && text[i] == '"') {
        // Quoted: up to the quote that is not doubled.
        ++i;
        for (;;) {
          if (i >= n) {
            return at(record.line, "a quoted field is not closed");
          }
          const char c = text[i++];
          if (c == '"') {
            if (i < n && text[i] == '"') {
              field += '"';
              ++i;
              continue;
            }
            break;
          }
          if (c == '\n') ++line;
          field += c;
        }
        if (i < n && text[i] != ',' && text[i] != '\n' &&
            !(text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') &&
            !(text[i] == '\r' && i + 1 == n)) {
          return at(line,
                    "unexpected text after a closing quote (a quote inside a quoted field is "
                    "written as two quotes)");
        }
      } else {
        const std::size_t start = i;
        while (i < n && text[i] != ',' && text[i] != '\n') {
          if (text[i] == '"') {
            return at(line,
                      "a quote inside an unquoted field (quote the whole field and write the "
                      "quote as two quotes)");
          }
          ++i;
        }
        std::size_t end = i;
        if (end > start && text[end - 1] == '\r' && (i == n || text[i] == '\n')) --end;
        field.assign(text.substr(start, end - start));
      }
      record.fields.push_back(std::move(field));
      if (i >= n) {
        end_of_record = true;
      } else if (text[i] == ',') {
        ++i;
        if (i == n) record.fields.emplace_back();  // "a," at the very end: an empty last field
        end_of_record = i == n;
      } else {
        if (text[i] == '\r') ++i;
        if (i < n && text[i] == '\n') ++i;
        ++line;
        end_of_record = true;
      }
    }
    if (!is_blank(record.fields)) records.push_back(std::move(record));
  }
  return records;
}

std::string csv_line(const std::vector<std::string_view>& fields) {
  std::string out;
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    const std::string_view field = fields[i];
    if (!needs_quotes(field)) {
      out += field;
      continue;
    }
    out += '"';
    for (const char c : field) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += '\n';
  return out;
}

}  // namespace weft::cli
