#pragma once

// A real, throwaway PostgreSQL 15 cluster for integration tests (the Postgres CDC source needs
// logical replication, which no fake can stand in for).
//
//   auto& pg = weft::test::PostgresServer::shared();      // started once per test binary
//   pg.create_database("cdc_insert");                      // isolate each test in its own db
//   pg.execute("CREATE TABLE t(id int primary key, v text)", "cdc_insert");
//   pg.execute("SELECT pg_create_logical_replication_slot('s', 'pgoutput')", "cdc_insert");
//   connect the code under test with pg.conninfo("cdc_insert")
//
// The cluster lives in a fresh TempDir (data, unix socket, log), listens on 127.0.0.1 on a port
// picked free at start, runs with wal_level=logical and fsync off, and trusts every local and
// 127.0.0.1 connection, replication included. The superuser is "postgres". When the test runs as
// root, initdb and pg_ctl run as the `postgres` OS user through runuser (PostgreSQL refuses root).
//
// If the test process dies without running destructors (abort, kill -9, a CTest timeout), a
// detached watchdog process stops the cluster and removes its directory, so no postmaster
// outlives the test.
//
// Thread-safety: execute(), scalar(), create_database(), create_login_role(), conninfo(), port()
// and server_log() may be called from any thread (each query opens its own connection);
// start() and stop() must not race with anything else on the same object.

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace weft::test {

class TempDir;

class PostgresServer {
 public:
  using Row = std::vector<std::optional<std::string>>;  // nullopt for SQL NULL
  using Rows = std::vector<Row>;

  enum class StopMode { kFast, kImmediate };

  PostgresServer();
  // Stops the server (pg_ctl stop -m immediate) if it runs, then removes its directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // One server per test process, started on first use and stopped at exit. Throws what start()
  // throws (a later call tries again).
  static PostgresServer& shared();

  // Creates the cluster on the first call (initdb), then starts it and waits until it accepts
  // connections. After stop(), starts the same cluster again (data kept), on the same port when
  // it is still free. Throws std::runtime_error with the tool output or the server log's tail.
  void start();
  // pg_ctl stop: kFast lets sessions end cleanly (a normal shutdown); kImmediate is a crash
  // (no shutdown checkpoint), for recovery tests. No-op when not running. Throws on failure.
  void stop(StopMode mode = StopMode::kFast);
  bool running() const { return running_; }

  // The TCP port on 127.0.0.1 (0 before the first start()).
  int port() const { return port_; }
  // "host=127.0.0.1 port=N user=<user> dbname=<dbname>", for libpq.
  std::string conninfo(const std::string& dbname = "postgres",
                       const std::string& user = "postgres") const;

  // Runs `sql` (several statements separated by `;` allowed, run as one implicit transaction
  // unless they hold their own BEGIN/COMMIT) as the superuser in `dbname`. Returns the rows of
  // the last statement that returned rows (empty when none did). Throws std::runtime_error with
  // the server's message on a connection or SQL error.
  Rows execute(const std::string& sql, const std::string& dbname = "postgres") const;
  // The first column of the first row of execute(sql); throws when there is no row or it is NULL.
  std::string scalar(const std::string& sql, const std::string& dbname = "postgres") const;

  // CREATE DATABASE <name> (from template0, so concurrent creations do not collide).
  void create_database(const std::string& name) const;
  // A role that can log in (trust auth, no password) but is neither superuser nor REPLICATION,
  // for permission-error tests: connect with conninfo(db, name); a walsender connection with it
  // fails with "must be superuser or replication role". Same as
  // execute("CREATE ROLE <name> LOGIN NOREPLICATION"); grant table rights as the test needs.
  void create_login_role(const std::string& name) const;

  // The server log so far (empty before start()).
  std::string server_log() const;
  // The cluster's directory (empty before start()): data/, socket/, postgres.log.
  std::string directory() const;

 private:
  void init_cluster();
  void arm_watchdog();
  void disarm_watchdog();
  bool try_start(int port, std::string& error);

  std::unique_ptr<TempDir> dir_;
  std::string bin_dir_;
  int port_ = 0;
  bool running_ = false;
  int watchdog_fd_ = -1;  // write end of the pipe the watchdog waits on
};

}  // namespace weft::test
