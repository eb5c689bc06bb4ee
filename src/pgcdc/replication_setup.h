#pragma once

// The SQL and replication commands a `postgres_cdc` source runs before it streams: server
// checks, the publication, the slot, the tables to snapshot. Each failure a user can cause
// (wal_level, privileges, a missing table, a slot in use or invalidated) is an Error that says
// what to run to fix it.

#include <boost/asio/awaitable.hpp>
#include <optional>
#include <string>
#include <vector>

#include "pgcdc/cdc_config.h"
#include "pgcdc/pg_connection.h"
#include "pgcdc/pgoutput.h"
#include "weft/status.h"

namespace weft::pgcdc {

// Rewrites a connection failure the user can fix (no REPLICATION privilege, no pg_hba entry)
// into a permanent error with the fix; other errors pass through unchanged.
Error explain_connect_error(Error error);

// Fails unless the server runs with wal_level=logical (names the ALTER SYSTEM to run).
boost::asio::awaitable<Status> check_wal_level(PgConnection& conn);

// A table the source reads: its name and the columns that order a snapshot of it.
struct SourceTable {
  std::string schema;
  std::string table;
  std::vector<std::string> key_columns;  // primary key, or the `keys` override; may be empty
  std::vector<std::string> key_types;    // format_type() of each key column, for casts
  std::vector<std::string> columns;      // what a snapshot reads: not generated, not excluded
  std::string qualified() const { return schema + "." + table; }
};

// The tables the config selects, sorted by name; with no `tables`, those of the publication if
// it exists. A table named exactly in `tables` that does not exist is a permanent error (with
// the closest existing name).
boost::asio::awaitable<Result<std::vector<SourceTable>>> resolve_tables(PgConnection& conn,
                                                                        const CdcConfig& config);

// Creates the publication or adds missing tables to it, per publication.autocreate; with
// `disabled`, fails with the CREATE PUBLICATION to run if it does not exist.
boost::asio::awaitable<Status> ensure_publication(PgConnection& conn, const CdcConfig& config,
                                                  const std::vector<SourceTable>& tables);

struct SlotState {
  bool exists = false;
  bool active = false;
  std::string active_pid;
  std::string plugin;
  std::string database;
  std::string wal_status;  // reserved, extended, unreserved, lost ("" before PG13)
  std::optional<Lsn> confirmed_flush;
};

boost::asio::awaitable<Result<SlotState>> inspect_slot(PgConnection& conn, const std::string& slot);

// Fails when the slot cannot be streamed from: invalidated (its WAL is gone), another output
// plugin or database, or in use by another client (retryable: it may be a previous weft still
// being torn down).
Status check_slot_usable(const SlotState& slot, const CdcConfig& config,
                         const std::string& database);

// What to run to start a pipeline over with a new snapshot once its slot's changes are lost.
std::string start_over_instructions(const CdcConfig& config);

struct CreatedSlot {
  Lsn consistent_point = 0;
  std::string snapshot_name;  // empty unless exported
};

// CREATE_REPLICATION_SLOT ... LOGICAL pgoutput on a replication connection. With
// `export_snapshot` the snapshot stays importable until the next command on `conn`.
boost::asio::awaitable<Result<CreatedSlot>> create_slot(PgConnection& conn, const std::string& slot,
                                                        bool export_snapshot);

// START_REPLICATION from the slot's confirmed position; on success the connection is in COPY
// BOTH mode.
boost::asio::awaitable<Status> start_replication(PgConnection& conn, const CdcConfig& config);

boost::asio::awaitable<Status> drop_slot(PgConnection& conn, const std::string& slot);

}  // namespace weft::pgcdc
