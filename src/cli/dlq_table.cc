#include "cli/dlq_table.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "cli/text_cells.h"

namespace weft::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kTableWidth = 120;
constexpr std::size_t kMinErrorWidth = 20;
constexpr std::size_t kMaxPipelineWidth = 30;

std::string field(const json& entry, const char* name) {
  const auto it = entry.find(name);
  if (it == entry.end() || it->is_null()) return "";
  return it->is_string() ? it->get<std::string>() : it->dump();
}

}  // namespace

void print_dead_letter_table(const std::vector<json>& entries) {
  const std::vector<std::string> headers = {"ID",       "PIPELINE",     "STAGE", "ERROR KIND",
                                            "ATTEMPTS", "LAST FAILURE", "ERROR"};
  std::vector<std::vector<std::string>> rows;
  for (const auto& entry : entries) {
    rows.push_back({field(entry, "id"), fit(field(entry, "pipeline"), kMaxPipelineWidth),
                    fit(field(entry, "stage"), 16), fit(field(entry, "error_kind"), 16),
                    field(entry, "attempts"), field(entry, "last_failure"), field(entry, "error")});
  }
  std::vector<std::size_t> widths;
  std::size_t used = 0;
  for (std::size_t c = 0; c + 1 < headers.size(); ++c) {
    std::size_t width = headers[c].size();
    for (const auto& row : rows) width = std::max(width, display_width(row[c]));
    widths.push_back(width);
    used += width + 2;
  }
  const std::size_t error_width =
      used + kMinErrorWidth < kTableWidth ? kTableWidth - used : kMinErrorWidth;
  auto print_row = [&](const std::vector<std::string>& row) {
    std::string line;
    for (std::size_t c = 0; c < widths.size(); ++c) line += pad_right(row[c], widths[c]) + "  ";
    line += fit(row.back(), error_width);
    std::printf("%s\n", line.c_str());
  };
  print_row(headers);
  for (const auto& row : rows) print_row(row);
}

}  // namespace weft::cli
