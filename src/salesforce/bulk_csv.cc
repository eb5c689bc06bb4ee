#include "salesforce/bulk_csv.h"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

namespace weft::salesforce {

namespace {

constexpr std::string_view kNull = "#N/A";  // Bulk API's way of setting a field to null

std::string cell_of(const nlohmann::json& value) {
  if (value.is_null()) return std::string(kNull);
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    return text.empty() ? std::string(kNull) : text;
  }
  return value.dump();  // numbers as JSON writes them; arrays as JSON text
}

// The (column, cell) pairs of one record, relationship objects flattened to "A__r.Ext__c".
void flatten(const nlohmann::json& object, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [key, value] : object.items()) {
    if (key == "attributes") continue;  // {"type":"Account"}, a Collections habit
    std::string column = prefix.empty() ? key : prefix + "." + key;
    if (value.is_object()) {
      flatten(value, column, out);
    } else {
      out.emplace_back(std::move(column), cell_of(value));
    }
  }
}

bool needs_quotes(std::string_view field) {
  if (field.empty()) return false;
  if (field.find_first_of(",\"\r\n") != std::string_view::npos) return true;
  return field.front() == ' ' || field.front() == '\t' || field.back() == ' ' ||
         field.back() == '\t';
}

bool is_code(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

bool is_field_list(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == ',';
  });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

}  // namespace

BulkCsv build_bulk_csv(const std::vector<nlohmann::json>& records) {
  BulkCsv csv;
  std::unordered_map<std::string, std::size_t> column_of;
  std::vector<std::vector<std::pair<std::string, std::string>>> flat(records.size());
  for (std::size_t r = 0; r < records.size(); ++r) {
    if (records[r].is_object()) flatten(records[r], "", flat[r]);
    for (const auto& [column, cell] : flat[r]) {
      if (column_of.emplace(column, csv.columns.size()).second) csv.columns.push_back(column);
    }
  }
  csv.cells.reserve(records.size());
  append_csv_row(csv.text, csv.columns);
  for (auto& pairs : flat) {
    CsvRow row(csv.columns.size());
    for (auto& [column, cell] : pairs) row[column_of.at(column)] = std::move(cell);
    append_csv_row(csv.text, row);
    csv.cells.push_back(std::move(row));
  }
  return csv;
}

void append_csv_row(std::string& out, const CsvRow& row) {
  for (std::size_t i = 0; i < row.size(); ++i) {
    if (i > 0) out += ',';
    if (!needs_quotes(row[i])) {
      out += row[i];
      continue;
    }
    out += '"';
    for (const char c : row[i]) {
      if (c == '"') out += '"';
      out += c;
    }
    out += '"';
  }
  out += '\n';
}

Result<std::vector<CsvRow>> parse_csv(std::string_view text) {
  std::vector<CsvRow> rows;
  CsvRow row;
  std::string field;
  bool quoted = false;       // inside a quoted field
  bool after_quote = false;  // a quoted field just closed: only a delimiter or line end follows
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
      if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') {
        field += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
        after_quote = true;
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

void parse_bulk_error(std::string_view text, RecordOutcome& outcome) {
  text = trim(text);
  // The full form ends in " --"; without it, there is no field list to look for.
  const bool full_form = text.ends_with("--");
  if (full_form) text = trim(text.substr(0, text.size() - 2));
  const auto colon = text.find(':');
  if (colon == std::string_view::npos || !is_code(text.substr(0, colon))) {
    outcome.message = std::string(text);
    return;
  }
  outcome.code = std::string(text.substr(0, colon));
  std::string_view rest = text.substr(colon + 1);
  // The fields come last, after the message's last colon, as a bare comma-separated list.
  const auto last = rest.rfind(':');
  if (full_form && last != std::string_view::npos && is_field_list(trim(rest.substr(last + 1)))) {
    std::string_view fields = trim(rest.substr(last + 1));
    rest = rest.substr(0, last);
    while (!fields.empty()) {
      const auto comma = fields.find(',');
      const std::string_view field = fields.substr(0, comma);
      if (!field.empty()) outcome.fields.emplace_back(field);
      if (comma == std::string_view::npos) break;
      fields.remove_prefix(comma + 1);
    }
  }
  outcome.message = std::string(trim(rest));
}

}  // namespace weft::salesforce
