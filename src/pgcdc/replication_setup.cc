#include "pgcdc/replication_setup.h"

#include <algorithm>
#include <map>

#include "common/suggest.h"

namespace weft::pgcdc {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

std::string text_or_empty(const PGresult* result, int row, int column) {
  auto value = cell(result, row, column);
  return value ? std::string(*value) : std::string();
}

// `"schema"."table"` for SQL.
std::string quoted_table(const PgConnection& conn, const std::string& schema,
                         const std::string& table) {
  return conn.quote_identifier(schema) + "." + conn.quote_identifier(table);
}

}  // namespace

Error explain_connect_error(Error error) {
  const auto& message = error.message();
  if (message.find("must be superuser or replication role") != std::string::npos ||
      message.find("permission denied to start WAL sender") != std::string::npos) {
    return Error::permanent(
        message +
        ". The user needs the REPLICATION attribute: run `ALTER ROLE <user> WITH REPLICATION;` "
        "as a superuser");
  }
  if (message.find("no pg_hba.conf entry") != std::string::npos) {
    // A `replication=database` connection is matched against pg_hba.conf's lines for the
    // database, not the `replication` keyword (that one is for physical replication).
    return Error::permanent(message +
                            ". Allow the user to connect to the database in pg_hba.conf, e.g. "
                            "`host <database> <user> <client-address>/32 scram-sha-256`, then "
                            "SELECT pg_reload_conf()");
  }
  return error;
}

awaitable<Status> check_wal_level(PgConnection& conn) {
  auto result = co_await conn.query("SHOW wal_level");
  if (!result.ok()) co_return result.error();
  const auto level = text_or_empty(result->get(), 0, 0);
  if (level != "logical") {
    co_return Error::permanent(
        "postgres: wal_level is '" + level +
        "', and change data capture needs 'logical'. Run `ALTER SYSTEM SET wal_level = "
        "logical;` as a superuser and restart PostgreSQL");
  }
  co_return Status{};
}

awaitable<Result<std::vector<SourceTable>>> resolve_tables(PgConnection& conn,
                                                           const CdcConfig& config) {
  auto listed = co_await conn.query(
      "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
      "WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema') "
      "AND n.nspname NOT LIKE 'pg\\_toast%' AND NOT c.relispartition ORDER BY 1, 2");
  if (!listed.ok()) co_return listed.error();
  std::vector<SourceTable> tables;
  std::vector<std::string> existing;
  for (int row = 0; row < PQntuples(listed->get()); ++row) {
    SourceTable t;
    t.schema = text_or_empty(listed->get(), row, 0);
    t.table = text_or_empty(listed->get(), row, 1);
    existing.push_back(t.qualified());
    if (config.included(t.schema, t.table)) tables.push_back(std::move(t));
  }
  if (config.tables.empty()) {
    // No list: the tables of the publication when it exists (else, about to be created FOR
    // ALL TABLES, every table).
    auto members = co_await conn.query(
        "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = " +
        conn.quote_literal(config.publication_name));
    if (!members.ok()) co_return members.error();
    auto exists = co_await conn.query("SELECT 1 FROM pg_publication WHERE pubname = " +
                                      conn.quote_literal(config.publication_name));
    if (!exists.ok()) co_return exists.error();
    if (PQntuples(exists->get()) > 0) {
      std::vector<std::string> in_publication;
      for (int row = 0; row < PQntuples(members->get()); ++row) {
        in_publication.push_back(text_or_empty(members->get(), row, 0));
      }
      std::erase_if(tables, [&](const SourceTable& t) {
        return std::find(in_publication.begin(), in_publication.end(), t.qualified()) ==
               in_publication.end();
      });
    }
  }
  for (const auto& wanted : config.tables) {
    if (wanted.table == "*") continue;
    if (std::find(existing.begin(), existing.end(), wanted.qualified()) != existing.end()) continue;
    std::string message = "field 'tables': table " + wanted.qualified() +
                          " does not exist in the database (or the user cannot see it)";
    if (auto near = closest_match(wanted.qualified(), existing)) {
      message += "; did you mean " + *near + "?";
    }
    co_return Error::permanent(std::move(message));
  }
  for (auto& t : tables) {
    // The columns a snapshot reads: what the stream sends (no generated columns) minus the
    // excluded ones, which then need no SELECT privilege either.
    auto columns = co_await conn.query(
        "SELECT attname FROM pg_attribute WHERE attrelid = " +
        conn.quote_literal(quoted_table(conn, t.schema, t.table)) +
        "::regclass AND attnum > 0 AND NOT attisdropped" +
        (conn.server_version() >= 120000 ? " AND attgenerated = ''" : "") + " ORDER BY attnum");
    if (!columns.ok()) co_return columns.error();
    for (int row = 0; row < PQntuples(columns->get()); ++row) {
      auto name = text_or_empty(columns->get(), row, 0);
      if (!config.column_excluded(t.qualified(), name)) t.columns.push_back(std::move(name));
    }
    auto override_keys = config.keys.find(t.qualified());
    auto keys = co_await conn.query(
        "SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_index i "
        "JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY(i.indkey) "
        "WHERE i.indrelid = " +
        conn.quote_literal(quoted_table(conn, t.schema, t.table)) +
        "::regclass AND i.indisprimary ORDER BY array_position(i.indkey, a.attnum)");
    if (!keys.ok()) co_return keys.error();
    std::map<std::string, std::string> pk_types;
    for (int row = 0; row < PQntuples(keys->get()); ++row) {
      t.key_columns.push_back(text_or_empty(keys->get(), row, 0));
      t.key_types.push_back(text_or_empty(keys->get(), row, 1));
    }
    if (override_keys == config.keys.end()) continue;
    t.key_columns.clear();
    t.key_types.clear();
    for (const auto& column : override_keys->second) {
      auto type = co_await conn.query(
          "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = " +
          conn.quote_literal(quoted_table(conn, t.schema, t.table)) +
          "::regclass AND attname = " + conn.quote_literal(column) + " AND NOT attisdropped");
      if (!type.ok()) co_return type.error();
      if (PQntuples(type->get()) == 0) {
        co_return Error::permanent("field 'keys': table " + t.qualified() + " has no column '" +
                                   column + "'");
      }
      t.key_columns.push_back(column);
      t.key_types.push_back(text_or_empty(type->get(), 0, 0));
    }
  }
  co_return std::move(tables);
}

awaitable<Status> ensure_publication(PgConnection& conn, const CdcConfig& config,
                                     const std::vector<SourceTable>& tables) {
  const auto& name = config.publication_name;
  auto found = co_await conn.query("SELECT puballtables FROM pg_publication WHERE pubname = " +
                                   conn.quote_literal(name));
  if (!found.ok()) co_return found.error();
  const bool exists = PQntuples(found->get()) > 0;
  const bool all_tables = exists && text_or_empty(found->get(), 0, 0) == "t";
  std::vector<std::string> table_list;
  for (const auto& t : tables) table_list.push_back(quoted_table(conn, t.schema, t.table));

  if (!exists) {
    std::string create = "CREATE PUBLICATION " + conn.quote_identifier(name);
    if (config.publication_autocreate == PublicationAutocreate::kAllTables) {
      create += " FOR ALL TABLES";
    } else {
      create += " FOR TABLE " + join(table_list);
    }
    // Changes to a partition are then published under the partitioned table's name, the name
    // the tables are configured (and snapshotted) by.
    if (conn.server_version() >= 130000) create += " WITH (publish_via_partition_root = true)";
    if (config.publication_autocreate == PublicationAutocreate::kDisabled) {
      co_return Error::permanent("postgres: publication " + name +
                                 " does not exist and publication.autocreate is disabled; "
                                 "create it: `" +
                                 create + ";`");
    }
    if (table_list.empty() && config.publication_autocreate == PublicationAutocreate::kFiltered) {
      co_return Error::permanent("field 'tables': no existing table matches");
    }
    auto created = co_await conn.query(create);
    if (!created.ok()) {
      co_return Error::permanent(created.error().message() + " (creating the publication: `" +
                                 create +
                                 ";` needs CREATE on the database and ownership of "
                                 "the tables, or superuser for FOR ALL TABLES)");
    }
    co_return Status{};
  }
  if (all_tables || config.publication_autocreate != PublicationAutocreate::kFiltered) {
    co_return Status{};
  }
  // An existing filtered publication gets the configured tables it lacks; none are removed.
  auto members = co_await conn.query(
      "SELECT schemaname || '.' || tablename FROM pg_publication_tables WHERE pubname = " +
      conn.quote_literal(name));
  if (!members.ok()) co_return members.error();
  std::vector<std::string> present;
  for (int row = 0; row < PQntuples(members->get()); ++row) {
    present.push_back(text_or_empty(members->get(), row, 0));
  }
  std::vector<std::string> missing;
  for (const auto& t : tables) {
    if (std::find(present.begin(), present.end(), t.qualified()) == present.end()) {
      missing.push_back(quoted_table(conn, t.schema, t.table));
    }
  }
  if (missing.empty()) co_return Status{};
  auto altered = co_await conn.query("ALTER PUBLICATION " + conn.quote_identifier(name) +
                                     " ADD TABLE " + join(missing));
  if (!altered.ok()) co_return altered.error();
  co_return Status{};
}

awaitable<Result<SlotState>> inspect_slot(PgConnection& conn, const std::string& slot) {
  // wal_status exists from PostgreSQL 13 on.
  const bool has_wal_status = conn.server_version() >= 130000;
  auto result = co_await conn.query(
      std::string("SELECT active, active_pid, plugin, database, confirmed_flush_lsn, ") +
      (has_wal_status ? "wal_status" : "''") +
      " FROM pg_replication_slots WHERE slot_name = " + conn.quote_literal(slot));
  if (!result.ok()) co_return result.error();
  SlotState state;
  if (PQntuples(result->get()) == 0) co_return state;
  const PGresult* r = result->get();
  state.exists = true;
  state.active = text_or_empty(r, 0, 0) == "t";
  state.active_pid = text_or_empty(r, 0, 1);
  state.plugin = text_or_empty(r, 0, 2);
  state.database = text_or_empty(r, 0, 3);
  state.confirmed_flush = parse_lsn(text_or_empty(r, 0, 4));
  state.wal_status = text_or_empty(r, 0, 5);
  co_return state;
}

std::string start_over_instructions(const CdcConfig& config) {
  return "To start over, with weft stopped: drop the slot if it still exists (`SELECT "
         "pg_drop_replication_slot('" +
         config.slot_name +
         "');`), delete the pipeline's checkpoint (`DELETE FROM checkpoints WHERE pipeline = '" +
         config.pipeline +
         "'` in the state store, e.g. with sqlite3), and start weft: it creates the slot again "
         "and takes a new snapshot (docs/connectors/postgres_cdc.md, \"Starting over\")";
}

Status check_slot_usable(const SlotState& slot, const CdcConfig& config,
                         const std::string& database) {
  const auto& slot_name = config.slot_name;
  if (slot.wal_status == "lost") {
    return Error::permanent("postgres: replication slot " + slot_name +
                            " was invalidated: the server removed WAL it still needed (it fell "
                            "behind max_slot_wal_keep_size), so changes were lost. " +
                            start_over_instructions(config));
  }
  if (slot.plugin != "pgoutput") {
    return Error::permanent("postgres: replication slot " + slot_name + " uses output plugin '" +
                            slot.plugin + "'; weft needs pgoutput. Use another slot.name");
  }
  if (!database.empty() && slot.database != database) {
    return Error::permanent("postgres: replication slot " + slot_name + " belongs to database '" +
                            slot.database + "', not '" + database + "'. Use another slot.name");
  }
  if (slot.active) {
    return Error::retryable("postgres: replication slot " + slot_name +
                            " is in use by another client (server PID " + slot.active_pid +
                            "): another weft running this pipeline, or another consumer. "
                            "Waiting for it to let go");
  }
  return Status{};
}

awaitable<Result<CreatedSlot>> create_slot(PgConnection& conn, const std::string& slot,
                                           bool export_snapshot) {
  // The pre-PG15 syntax, which PostgreSQL 10 and later all accept.
  auto result = co_await conn.query("CREATE_REPLICATION_SLOT " + conn.quote_identifier(slot) +
                                    " LOGICAL pgoutput " +
                                    (export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT"));
  if (!result.ok()) {
    co_return Error(result.error().kind(),
                    result.error().message() + " (creating replication slot " + slot + ")");
  }
  CreatedSlot created;
  auto lsn = parse_lsn(text_or_empty(result->get(), 0, 1));
  if (!lsn) co_return Error::permanent("postgres: CREATE_REPLICATION_SLOT returned no position");
  created.consistent_point = *lsn;
  created.snapshot_name = text_or_empty(result->get(), 0, 2);
  co_return created;
}

awaitable<Status> start_replication(PgConnection& conn, const CdcConfig& config) {
  // The publication name goes in as a quoted identifier inside a string literal.
  const std::string publications = conn.quote_identifier(config.publication_name);
  // Logical decoding messages (include_messages, heartbeats) are sent from PostgreSQL 14 on;
  // older servers reject the option. Heartbeats still advance the WAL there.
  const std::string messages = conn.server_version() >= 140000 ? ", messages 'true'" : "";
  auto result =
      co_await conn.query("START_REPLICATION SLOT " + conn.quote_identifier(config.slot_name) +
                          " LOGICAL 0/0 (proto_version '1', publication_names " +
                          conn.quote_literal(publications) + messages + ")");
  if (!result.ok()) co_return result.error();
  if (PQresultStatus(result->get()) != PGRES_COPY_BOTH) {
    co_return Error::retryable("postgres: START_REPLICATION did not start a stream");
  }
  co_return Status{};
}

awaitable<Status> drop_slot(PgConnection& conn, const std::string& slot) {
  auto result = co_await conn.query("DROP_REPLICATION_SLOT " + conn.quote_identifier(slot));
  if (!result.ok()) co_return result.error();
  co_return Status{};
}

}  // namespace weft::pgcdc
