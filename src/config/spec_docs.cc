#include "config/spec_docs.h"

#include <algorithm>
#include <sstream>
#include <vector>

#include "common/suggest.h"
#include "config/units.h"

namespace weft {
namespace {

// One field flattened for a table; nested fields carry their dotted name.
struct Row {
  std::string name;
  std::string type;
  std::string required;
  std::string default_text;
  std::string range;
  std::string secret;
  std::string description;
};

std::string range_text(const FieldSpec& f) {
  if (f.type == FieldType::kEnum) return join(f.allowed, ", ");
  if (f.min_value && f.max_value) {
    return format_bound(f.type, *f.min_value) + ".." + format_bound(f.type, *f.max_value);
  }
  if (f.min_value) return ">= " + format_bound(f.type, *f.min_value);
  if (f.max_value) return "<= " + format_bound(f.type, *f.max_value);
  return {};
}

void flatten(const std::vector<FieldSpec>& fields, const std::string& prefix,
             std::vector<Row>& rows) {
  for (const auto& f : fields) {
    Row row;
    row.name = prefix.empty() ? f.name : prefix + "." + f.name;
    row.type = to_string(f.type);
    row.required = f.is_required ? "yes" : "no";
    row.default_text = f.default_text ? *f.default_text : "";
    row.range = range_text(f);
    row.secret = f.is_secret ? "yes" : "no";
    row.description = f.description_text;
    if (!f.examples.empty()) {
      if (!row.description.empty()) row.description += " ";
      row.description += "(e.g. " + join(f.examples) + ")";
    }
    const std::string name = row.name;
    rows.push_back(std::move(row));
    if (f.type == FieldType::kObject) flatten(f.fields, name, rows);
    if (f.type == FieldType::kObjectMap) flatten(f.fields, name + ".<name>", rows);
  }
}

std::vector<Row> rows_of(const ConnectorInfo& info) {
  std::vector<Row> rows;
  flatten(info.spec.fields(), "", rows);
  return rows;
}

std::vector<std::string> cells(const Row& r) {
  return {r.name, r.type, r.required, r.default_text, r.range, r.secret, r.description};
}

const std::vector<std::string>& headers() {
  static const std::vector<std::string> h = {"FIELD",         "TYPE",   "REQUIRED", "DEFAULT",
                                             "RANGE/ALLOWED", "SECRET", "DESCRIPTION"};
  return h;
}

// Cells of a Markdown table: pipes would end the cell, newlines the row.
std::string md_cell(const std::string& text, bool code) {
  if (text.empty()) return "";
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return code ? "`" + out + "`" : out;
}

}  // namespace

std::string render_spec_text(const ConnectorInfo& info) {
  std::ostringstream out;
  out << info.type << " (" << to_string(info.kind) << ")\n";
  if (!info.summary.empty()) out << info.summary << "\n";
  out << "\n";

  const std::vector<Row> rows = rows_of(info);
  if (rows.empty()) {
    out << "No settings besides 'type'.\n";
  } else {
    std::vector<std::size_t> width;
    for (const auto& h : headers()) width.push_back(h.size());
    for (const auto& r : rows) {
      const auto c = cells(r);
      for (std::size_t i = 0; i < c.size(); ++i) width[i] = std::max(width[i], c[i].size());
    }
    auto line = [&](const std::vector<std::string>& c) {
      std::string text;
      for (std::size_t i = 0; i < c.size(); ++i) {
        text += c[i];
        if (i + 1 < c.size()) text += std::string(width[i] - c[i].size() + 2, ' ');
      }
      while (!text.empty() && text.back() == ' ') text.pop_back();
      out << text << "\n";
    };
    line(headers());
    for (const auto& r : rows) line(cells(r));
  }

  if (!info.example.empty()) {
    out << "\nEXAMPLE\n";
    std::istringstream example(info.example);
    for (std::string l; std::getline(example, l);) out << (l.empty() ? "" : "  " + l) << "\n";
  }
  return out.str();
}

std::string render_spec_markdown(const ConnectorInfo& info) {
  std::ostringstream out;
  out << "# " << info.type << " (" << to_string(info.kind) << ")\n\n";
  if (!info.summary.empty()) out << info.summary << "\n\n";
  out << "## Fields\n\n";
  const std::vector<Row> rows = rows_of(info);
  if (rows.empty()) {
    out << "No settings besides `type`.\n";
  } else {
    out << "| Field | Type | Required | Default | Range / allowed | Secret | Description |\n";
    out << "|---|---|---|---|---|---|---|\n";
    for (const auto& r : rows) {
      out << "| " << md_cell(r.name, true) << " | " << md_cell(r.type, false) << " | "
          << r.required << " | " << md_cell(r.default_text, true) << " | "
          << md_cell(r.range, false) << " | " << r.secret << " | "
          << md_cell(r.description, false) << " |\n";
    }
  }
  if (!info.example.empty()) {
    out << "\n## Example\n\n```yaml\n" << info.example;
    if (info.example.back() != '\n') out << "\n";
    out << "```\n";
  }
  return out.str();
}

}  // namespace weft
