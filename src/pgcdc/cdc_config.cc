#include "pgcdc/cdc_config.h"

#include <algorithm>
#include <cctype>

namespace weft::pgcdc {
namespace {

Result<TableName> parse_table(const std::string& text, const std::string& field) {
  const auto dot = text.find('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == text.size() ||
      text.find('.', dot + 1) != std::string::npos) {
    return Error::invalid_config("field '" + field + "': '" + text +
                                 "' is not schema.table (e.g. public.customers or public.*)");
  }
  return TableName{text.substr(0, dot), text.substr(dot + 1)};
}

Result<std::vector<TableName>> parse_tables(const Settings& settings, const std::string& name) {
  std::vector<TableName> out;
  if (!settings.has(name)) return out;
  for (const auto& text : settings.string_list(name)) {
    auto table = parse_table(text, name);
    if (!table.ok()) return table.error();
    out.push_back(std::move(*table));
  }
  return out;
}

// "a, b ,c" -> {"a", "b", "c"}
std::vector<std::string> split_columns(const std::string& text) {
  std::vector<std::string> out;
  std::string current;
  auto flush = [&] {
    auto begin = current.find_first_not_of(' ');
    auto end = current.find_last_not_of(' ');
    if (begin != std::string::npos) out.push_back(current.substr(begin, end - begin + 1));
    current.clear();
  };
  for (char c : text) {
    if (c == ',') {
      flush();
    } else {
      current += c;
    }
  }
  flush();
  return out;
}

}  // namespace

std::string default_object_name(const std::string& pipeline) {
  std::string out = "weft_";
  for (unsigned char c : pipeline) {
    out += std::isalnum(c) != 0 ? static_cast<char>(std::tolower(c)) : '_';
  }
  if (out.size() > 63) out.resize(63);
  return out;
}

bool CdcConfig::included(const std::string& schema, const std::string& table) const {
  auto match = [&](const TableName& t) { return t.matches(schema, table); };
  if (!tables.empty() && std::none_of(tables.begin(), tables.end(), match)) return false;
  return std::none_of(exclude_tables.begin(), exclude_tables.end(), match);
}

bool CdcConfig::column_excluded(const std::string& qualified_table,
                                const std::string& column) const {
  auto it = exclude_columns.find(qualified_table);
  if (it == exclude_columns.end()) return false;
  return std::find(it->second.begin(), it->second.end(), column) != it->second.end();
}

Result<CdcConfig> CdcConfig::from(const Settings& settings, const std::string& pipeline) {
  CdcConfig c;
  c.pipeline = pipeline;
  c.dsn = settings.string("dsn");
  auto tables = parse_tables(settings, "tables");
  if (!tables.ok()) return tables.error();
  c.tables = std::move(*tables);
  auto excluded = parse_tables(settings, "exclude_tables");
  if (!excluded.ok()) return excluded.error();
  c.exclude_tables = std::move(*excluded);

  if (settings.has("exclude_columns")) {
    for (const auto& text : settings.string_list("exclude_columns")) {
      const auto last_dot = text.rfind('.');
      auto table = last_dot == std::string::npos ? Result<TableName>(Error::invalid_config(""))
                                                 : parse_table(text.substr(0, last_dot), "");
      if (!table.ok() || table->table == "*" || last_dot + 1 == text.size()) {
        return Error::invalid_config("field 'exclude_columns': '" + text +
                                     "' is not schema.table.column (e.g. public.customers.ssn)");
      }
      c.exclude_columns[table->qualified()].push_back(text.substr(last_dot + 1));
    }
  }
  if (settings.has("keys")) {
    for (const auto& [table_text, columns] : settings.string_map("keys")) {
      auto table = parse_table(table_text, "keys");
      if (!table.ok()) return table.error();
      auto list = split_columns(columns);
      if (list.empty() || table->table == "*") {
        return Error::invalid_config("field 'keys': '" + table_text +
                                     "' needs a table and its key columns, e.g. "
                                     "'public.events: id, created_at'");
      }
      c.keys[table->qualified()] = std::move(list);
    }
  }

  auto slot = settings.object("slot");
  c.slot_name = slot.has("name") ? slot.string("name") : default_object_name(pipeline);
  c.drop_slot_on_stop = slot.boolean("drop_on_stop");
  auto publication = settings.object("publication");
  c.publication_name =
      publication.has("name") ? publication.string("name") : default_object_name(pipeline);
  const auto autocreate = publication.string("autocreate");
  c.publication_autocreate = autocreate == "all_tables" ? PublicationAutocreate::kAllTables
                             : autocreate == "disabled" ? PublicationAutocreate::kDisabled
                                                        : PublicationAutocreate::kFiltered;
  if (c.publication_autocreate == PublicationAutocreate::kFiltered && c.tables.empty()) {
    return Error::invalid_config(
        "field 'tables': a publication created for the configured tables "
        "(publication.autocreate: filtered) needs `tables`; list them, or use autocreate: "
        "all_tables");
  }
  for (const auto& name : {c.slot_name, c.publication_name}) {
    const bool valid = !name.empty() && name.size() <= 63 &&
                       std::all_of(name.begin(), name.end(), [](unsigned char ch) {
                         return std::islower(ch) != 0 || std::isdigit(ch) != 0 || ch == '_';
                       });
    if (!valid) {
      return Error::invalid_config(
          "field '" + std::string(name == c.slot_name ? "slot.name" : "publication.name") + "': '" +
          name + "' must be 1-63 lower-case letters, digits or underscores");
    }
  }

  auto snapshot = settings.object("snapshot");
  const auto mode = snapshot.string("mode");
  c.snapshot_mode = mode == "never"          ? SnapshotMode::kNever
                    : mode == "initial_only" ? SnapshotMode::kInitialOnly
                                             : SnapshotMode::kInitial;
  c.snapshot_chunk_size = snapshot.integer("chunk_size");

  c.envelope =
      settings.string("envelope") == "row" ? EnvelopeFormat::kRow : EnvelopeFormat::kDebezium;
  c.include_messages = settings.boolean("include_messages");
  c.status_interval = settings.duration("status_interval");
  auto heartbeat = settings.object("heartbeat");
  c.heartbeat_interval = heartbeat.duration("interval");
  if (heartbeat.has("query")) c.heartbeat_query = heartbeat.string("query");
  c.max_lag_bytes = settings.size("max_lag");
  c.max_buffered_records = static_cast<std::size_t>(settings.integer("max_buffered_records"));
  return c;
}

}  // namespace weft::pgcdc
