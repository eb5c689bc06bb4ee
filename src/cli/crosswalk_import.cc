// The rules of `weft crosswalk import` files (see its --help): header columns, what a row must
// hold, and rows that would clash.

#include "cli/crosswalk_import.h"

#include <map>
#include <unordered_map>
#include <utility>

namespace weft::cli {

Result<ImportPlan> plan_import(const std::vector<CsvRecord>& records,
                               const std::optional<std::string>& entity,
                               const std::optional<std::string>& system, std::string_view source) {
  const auto at = [source](std::size_t line, const std::string& problem) {
    return Error::permanent(std::string(source) + ":" + std::to_string(line) + ": " + problem);
  };
  if (records.empty()) return at(1, "the file is empty (it needs a header row)");
  // Column positions in the header; -1: absent.
  std::map<std::string, int> columns{
      {"entity", -1}, {"system", -1}, {"external_id", -1}, {"canonical_id", -1}};
  const CsvRecord& header = records[0];
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    std::string name = header.fields[i];
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    while (!name.empty() && (name.front() == ' ' || name.front() == '\t')) name.erase(0, 1);
    const auto column = columns.find(name);
    if (column == columns.end()) {
      return at(header.line, "unknown column '" + name +
                                 "' in the header (expected entity, system, external_id, "
                                 "canonical_id)");
    }
    if (column->second >= 0) return at(header.line, "column '" + name + "' appears twice");
    column->second = static_cast<int>(i);
  }
  if (columns["external_id"] < 0) return at(header.line, "the header has no external_id column");
  if (columns["entity"] < 0 && !entity) {
    return at(header.line, "the header has no entity column (add one, or give --entity)");
  }
  if (columns["system"] < 0 && !system) {
    return at(header.line, "the header has no system column (add one, or give --system)");
  }

  ImportPlan plan;
  // Line of the first row for each external id, and for each canonical id in a system, so that
  // a file cannot link one id twice (the later row would silently win).
  std::unordered_map<std::string, std::size_t> external_lines;
  std::unordered_map<std::string, std::size_t> canonical_lines;
  const auto key = [](const std::string& a, const std::string& b, const std::string& c) {
    return std::to_string(a.size()) + ":" + a + std::to_string(b.size()) + ":" + b + c;
  };
  for (std::size_t r = 1; r < records.size(); ++r) {
    const CsvRecord& record = records[r];
    if (record.fields.size() != header.fields.size()) {
      return at(record.line, std::to_string(record.fields.size()) + " fields, but the header has " +
                                 std::to_string(header.fields.size()));
    }
    const auto field = [&](const char* name, const std::optional<std::string>& flag,
                           std::string& value) -> Status {
      const int column = columns[name];
      if (column < 0) {
        value = flag.value_or("");
        return Status::ok_status();
      }
      value = record.fields[static_cast<std::size_t>(column)];
      if (flag && value != *flag) {
        return at(record.line,
                  std::string(name) + " '" + value + "' differs from --" + name + " " + *flag);
      }
      return Status::ok_status();
    };
    CrosswalkLink link;
    if (Status ok = field("entity", entity, link.entity); !ok) return ok.error();
    if (Status ok = field("system", system, link.system); !ok) return ok.error();
    if (Status ok = field("external_id", std::nullopt, link.external_id); !ok) return ok.error();
    if (Status ok = field("canonical_id", std::nullopt, link.canonical_id); !ok) return ok.error();
    if (link.entity.empty()) return at(record.line, "the entity is empty");
    if (link.system.empty()) return at(record.line, "the system is empty");
    if (link.external_id.empty()) return at(record.line, "the external_id is empty");

    const auto [external, fresh] =
        external_lines.emplace(key(link.entity, link.system, link.external_id), record.line);
    if (!fresh) {
      return at(record.line, link.entity + "/" + link.system + " id '" + link.external_id +
                                 "' is already on line " + std::to_string(external->second));
    }
    if (link.canonical_id.empty()) {
      plan.to_mint.push_back(plan.links.size());
    } else {
      const auto [canonical, unique] =
          canonical_lines.emplace(key(link.entity, link.system, link.canonical_id), record.line);
      if (!unique) {
        return at(record.line, "canonical id '" + link.canonical_id + "' already has a " +
                                   link.system + " id on line " +
                                   std::to_string(canonical->second));
      }
    }
    plan.links.push_back(std::move(link));
  }
  return plan;
}

}  // namespace weft::cli
