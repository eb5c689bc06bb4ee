#include "support/postgres_server.h"

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace weft::test {
namespace {

namespace fs = std::filesystem;

pid_t postmaster_pid(const PostgresServer& pg) {
  std::ifstream in(fs::path(pg.directory()) / "data" / "postmaster.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

// True once `pid` has exited. A zombie counts as exited: the postmaster is reparented away from
// pg_ctl, and whoever inherits it may be slow to reap it.
bool process_exited(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, comm, state;
    if (!(stat >> pid_field >> comm >> state) || state == "Z") return true;
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool wait_until_gone(const fs::path& dir, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (fs::exists(dir)) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return true;
}

TEST(PostgresServerTest, StartsWithLogicalWalLevel) {
  auto& pg = PostgresServer::shared();
  EXPECT_GT(pg.port(), 0);
  EXPECT_EQ(pg.scalar("SHOW wal_level"), "logical");
  EXPECT_EQ(pg.scalar("SHOW max_replication_slots"), "10");
  EXPECT_EQ(pg.scalar("SELECT current_user"), "postgres");
  EXPECT_EQ(pg.scalar("SELECT current_setting('server_version_num')::int / 10000"), "15");
  EXPECT_EQ(pg.conninfo("x"),
            "host=127.0.0.1 port=" + std::to_string(pg.port()) + " user=postgres dbname=x");
  EXPECT_NE(pg.server_log().find("database system is ready to accept connections"),
            std::string::npos);
}

TEST(PostgresServerTest, LogicalSlotWithPgoutputDecodesCommittedRows) {
  auto& pg = PostgresServer::shared();
  pg.create_database("slot_test");
  pg.execute(
      "CREATE TABLE items(id int PRIMARY KEY, name text);"
      "CREATE PUBLICATION items_pub FOR TABLE items",
      "slot_test");
  EXPECT_EQ(pg.scalar("SELECT lsn IS NOT NULL FROM "
                      "pg_create_logical_replication_slot('items_slot', 'pgoutput')",
                      "slot_test"),
            "t");
  pg.execute("INSERT INTO items VALUES (1, 'a'), (2, NULL)", "slot_test");

  // Rows come back as text, NULL as nullopt.
  const auto rows = pg.execute("SELECT id, name FROM items ORDER BY id", "slot_test");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[1][0], "2");
  EXPECT_FALSE(rows[1][1].has_value());

  // B(egin), R(elation), I(nsert) x2, C(ommit): the slot really decodes through pgoutput.
  // Decoding stops at the flushed WAL and commits are asynchronous (synchronous_commit=off), so
  // the commit shows up once the WAL writer has flushed it (wal_writer_delay=10ms).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  std::string kinds;
  while (kinds.size() < 5 && std::chrono::steady_clock::now() < deadline) {
    kinds.clear();
    for (const auto& row : pg.execute(
             "SELECT chr(get_byte(data, 0)) FROM pg_logical_slot_peek_binary_changes("
             "'items_slot', NULL, NULL, 'proto_version', '1', 'publication_names', 'items_pub')",
             "slot_test")) {
      kinds += *row[0];
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(kinds, "BRIIC");
  EXPECT_EQ(pg.scalar("SELECT plugin FROM pg_replication_slots WHERE slot_name = 'items_slot'"),
            "pgoutput");
}

TEST(PostgresServerTest, SqlErrorCarriesTheServerMessage) {
  auto& pg = PostgresServer::shared();
  try {
    pg.execute("SELECT * FROM no_such_table");
    FAIL() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("relation \"no_such_table\" does not exist"),
              std::string::npos)
        << e.what();
  }
  // A failing statement in the middle stops the rest.
  EXPECT_THROW(pg.execute("CREATE TABLE half(x int); SELECT 1/0; CREATE TABLE other(x int)"),
               std::runtime_error);
  EXPECT_EQ(pg.scalar("SELECT count(*) FROM pg_class WHERE relname IN ('half', 'other')"), "0");
}

TEST(PostgresServerTest, RoleWithoutReplicationCannotOpenAWalSender) {
  auto& pg = PostgresServer::shared();
  pg.create_login_role("no_repl");
  const std::string conninfo = pg.conninfo("postgres", "no_repl") + " replication=database";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  const std::string error = PQerrorMessage(conn);
  const bool ok = PQstatus(conn) == CONNECTION_OK;
  PQfinish(conn);
  EXPECT_FALSE(ok);
  EXPECT_NE(error.find("must be superuser or replication role"), std::string::npos) << error;
  // An ordinary session with the same role works.
  PGconn* plain = PQconnectdb(pg.conninfo("postgres", "no_repl").c_str());
  EXPECT_EQ(PQstatus(plain), CONNECTION_OK) << PQerrorMessage(plain);
  PQfinish(plain);
}

TEST(PostgresServerTest, TwoServersRunAtOnce) {
  PostgresServer a;
  PostgresServer b;
  a.start();
  b.start();
  EXPECT_NE(a.port(), b.port());
  EXPECT_NE(a.directory(), b.directory());
  a.execute("CREATE TABLE only_in_a(x int)");
  EXPECT_EQ(a.scalar("SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'"), "1");
  EXPECT_EQ(b.scalar("SELECT count(*) FROM pg_class WHERE relname = 'only_in_a'"), "0");
}

TEST(PostgresServerTest, StopAndStartKeepsTheData) {
  PostgresServer pg;
  pg.start();
  pg.execute("CREATE TABLE kept(x int); INSERT INTO kept VALUES (42)");
  pg.stop();
  EXPECT_FALSE(pg.running());
  EXPECT_THROW(pg.execute("SELECT 1"), std::runtime_error);
  pg.start();
  EXPECT_EQ(pg.scalar("SELECT x FROM kept"), "42");
}

TEST(PostgresServerTest, DestructorStopsTheServerAndRemovesTheDirectory) {
  fs::path dir;
  pid_t pid = 0;
  {
    PostgresServer pg;
    pg.start();
    dir = pg.directory();
    pid = postmaster_pid(pg);
    ASSERT_TRUE(fs::exists(dir / "data" / "PG_VERSION"));
    ASSERT_GT(pid, 0);
  }
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(process_exited(pid, std::chrono::seconds(0))) << "postmaster " << pid << " alive";
}

// A test process that dies without destructors (abort, kill -9, a CTest timeout) leaves no
// cluster behind: the watchdog stops it and removes the directory.
TEST(PostgresServerTest, WatchdogCleansUpAfterAProcessThatDied) {
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(fds[0]);
    std::string dir;
    try {
      auto* pg = new PostgresServer;  // leaked on purpose: no destructor runs
      pg->start();
      dir = pg->directory() + "\n" + std::to_string(postmaster_pid(*pg));
    } catch (...) {
    }
    (void)!::write(fds[1], dir.data(), dir.size());
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string out;
  char buf[512];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) > 0;) out.append(buf, n);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(child, &status, 0);
  const auto newline = out.find('\n');
  ASSERT_NE(newline, std::string::npos) << "the child could not start a server";
  const fs::path dir = out.substr(0, newline);
  const pid_t pid = std::stoi(out.substr(newline + 1));
  EXPECT_TRUE(wait_until_gone(dir, std::chrono::seconds(30))) << dir;
  EXPECT_TRUE(process_exited(pid, std::chrono::seconds(10))) << "postmaster " << pid << " alive";
}

}  // namespace
}  // namespace weft::test
