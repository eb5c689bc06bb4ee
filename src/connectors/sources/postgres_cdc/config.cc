#include "connectors/sources/postgres_cdc/config.h"

#include "pgcdc/cdc_config.h"
#include "pgcdc/cdc_source.h"

namespace weft::pgcdc {
namespace {

ConfigSpec slot_spec() {
  ConfigSpec s;
  s.string("name")
      .description(
          "Replication slot to stream from; created when missing (default "
          "`weft_<pipeline>`)")
      .example("weft_customers");
  s.boolean("drop_on_stop")
      .default_value("false")
      .description(
          "Drop the slot when the pipeline stops. Changes made while it is stopped are then "
          "never seen; for throwaway pipelines only");
  return s;
}

ConfigSpec publication_spec() {
  ConfigSpec s;
  s.string("name")
      .description("Publication whose tables are streamed (default `weft_<pipeline>`)")
      .example("weft_customers");
  s.enumeration("autocreate", {"filtered", "all_tables", "disabled"})
      .default_value("filtered")
      .description(
          "`filtered`: create the publication for `tables` (and add configured tables it "
          "lacks); `all_tables`: create it FOR ALL TABLES (superuser); `disabled`: it must "
          "exist");
  return s;
}

ConfigSpec snapshot_spec() {
  ConfigSpec s;
  s.enumeration("mode", {"initial", "never", "initial_only"})
      .default_value("initial")
      .description(
          "`initial`: copy the tables at the slot's starting point, then stream changes; "
          "`never`: stream changes only; `initial_only`: copy the tables and finish");
  s.integer("chunk_size")
      .default_value("10000")
      .min(1)
      .max(1000000)
      .description("Rows read per snapshot query (in primary-key order)");
  return s;
}

ConfigSpec heartbeat_spec() {
  ConfigSpec s;
  s.duration("interval")
      .default_value("0s")
      .description(
          "Write a logical decoding message this often (pg_logical_emit_message), so a slot on "
          "a database whose published tables rarely change still advances; 0s: off")
      .example("5m");
  s.string("query")
      .description(
          "SQL run as the heartbeat instead of the message, e.g. an update of a heartbeat "
          "table in the publication (its changes are then delivered like any other)")
      .example("'UPDATE weft_heartbeat SET beat_at = now() WHERE id = 1'");
  return s;
}

}  // namespace

ConnectorInfo info() {
  ConnectorInfo info;
  info.type = "postgres_cdc";
  info.kind = ConnectorKind::kSource;
  info.summary =
      "Streams row changes from PostgreSQL through logical replication (pgoutput), after an "
      "optional consistent snapshot; confirms a position only once the sink has the changes.";
  info.example =
      "type: postgres_cdc\n"
      "dsn: 'host=db.internal dbname=shop user=weft password=${PG_PASSWORD}'\n"
      "tables: [public.customers, public.orders]\n"
      "exclude_columns: [public.customers.ssn]\n"
      "slot: {name: weft_shop}\n"
      "publication: {name: weft_shop, autocreate: filtered}\n"
      "snapshot: {mode: initial}\n"
      "envelope: debezium\n";
  auto& spec = info.spec;
  spec.string("dsn")
      .required()
      .secret()
      .description(
          "libpq connection string or URI (host, port, dbname, user, password, sslmode, "
          "sslrootcert ...); the user needs the REPLICATION attribute")
      .example("'host=localhost port=5432 dbname=shop user=weft password=${PG_PASSWORD}'")
      .example("'postgres://weft:${PG_PASSWORD}@db.internal/shop?sslmode=verify-full'");
  spec.string_list("tables")
      .description(
          "Tables to capture as schema.table, or schema.* for a whole schema; empty: every "
          "table (with publication.autocreate all_tables or disabled)")
      .example("[public.customers, public.orders]");
  spec.string_list("exclude_tables")
      .description("Tables left out even if `tables` selects them")
      .example("[public.audit_log]");
  spec.string_list("exclude_columns")
      .description("Columns left out of every record, as schema.table.column (e.g. PII)")
      .example("[public.customers.ssn]");
  spec.string_map("keys")
      .description(
          "Key columns (comma-separated) for tables without a primary key: the record key and "
          "the snapshot order")
      .example("{public.events: 'id, created_at'}");
  spec.object("slot", slot_spec()).description("The replication slot");
  spec.object("publication", publication_spec()).description("The publication");
  spec.object("snapshot", snapshot_spec()).description("The initial snapshot");
  spec.enumeration("envelope", {"debezium", "row"})
      .default_value("debezium")
      .description(
          "`debezium`: {before, after, source, op, ts_ms} as Debezium writes it; `row`: the "
          "row's new state with `__op`, `__deleted`, `__table`, `__lsn`, `__source_ts_ms` "
          "(Debezium's ExtractNewRecordState)");
  spec.boolean("include_messages")
      .default_value("false")
      .description("Emit logical decoding messages (pg_logical_emit_message) as `op: m` records");
  spec.duration("status_interval")
      .default_value("10s")
      .min(100)
      .description(
          "Longest time between progress reports to the server (keep it under the server's "
          "wal_sender_timeout)");
  spec.object("heartbeat", heartbeat_spec()).description("Heartbeats for quiet databases");
  spec.size("max_lag")
      .default_value("0")
      .description(
          "WAL retained by the slot above which /readyz reports the pipeline unhealthy; 0: "
          "no limit")
      .example("10GiB");
  spec.integer("max_buffered_records")
      .default_value("20000")
      .min(100)
      .description("Changes decoded ahead of the pipeline at most");
  info.check = [](const Settings& settings) -> Status {
    auto config = CdcConfig::from(settings, "pipeline");
    if (!config.ok()) return config.error();
    return Status{};
  };
  info.make_source = [](const Settings& settings,
                        const ConnectorContext& ctx) -> Result<std::unique_ptr<Source>> {
    auto config = CdcConfig::from(settings, ctx.pipeline);
    if (!config.ok()) return config.error();
    return make_cdc_source(std::move(*config), ctx);
  };
  return info;
}

}  // namespace weft::pgcdc
