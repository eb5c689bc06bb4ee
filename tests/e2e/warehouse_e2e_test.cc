// The warehouse sink in the real daemon: kill -9 in the middle of a load and after loads the
// daemon had not checkpointed yet, several times over, and the table still holds every record
// exactly once (append mode, where a replayed batch would show as duplicate rows); and the
// embedded SQLite warehouse loading with no server at all.

#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <string>
#include <thread>
#include <vector>

#include "e2e/e2e_helpers.h"
#include "e2e/weft_process.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

class WarehouseE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("config/weft.yaml",
               "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
               "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n");
  }

  static PostgresServer& pg() { return PostgresServer::shared(); }

  std::unique_ptr<WeftProcess> start(const std::string& log) {
    return std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", dir_.file("config/weft.yaml")},
        dir_.file(log));
  }

  long long count(const std::string& db, const std::string& sql) const {
    return std::stoll(pg().scalar(sql, db));
  }

  TempDir dir_;
};

TEST_F(WarehouseE2ETest, KillDashNineMidLoadNeitherLosesNorDuplicatesARecord) {
  const std::string db = "wh_kill";
  constexpr long long kRecords = 3000;
  constexpr long long kBatch = 200;
  pg().create_database(db);
  // Every load statement takes 0.3 s, so a kill lands inside a load's transaction.
  pg().execute(
      "CREATE TABLE events (id bigint, message text, _loaded_at timestamptz);"
      "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS "
      "$$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$;"
      "CREATE TRIGGER slow AFTER INSERT ON events FOR EACH STATEMENT EXECUTE FUNCTION slow()",
      db);
  // The daemon's own checkpoint never comes before the kill: every restart must resume from
  // the position the warehouse committed with the data.
  dir_.write("pipelines/events.yaml",
             "name: events\nsource: {type: generate, rate: 0, count: " +
                 std::to_string(kRecords) + "}\nsink:\n  type: warehouse\n  dialect: postgres\n"
                 "  dsn: '" + pg().conninfo(db) + "'\n  table: events\n  write_mode: append\n"
                 "batch: {max_records: " + std::to_string(kBatch) + "}\n"
                 "checkpoint: {interval: 1h}\n");
  const std::string loading =
      "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'weft-warehouse' AND "
      "state = 'active' AND query LIKE 'INSERT INTO%'";
  long long before = 0;
  for (int kill = 0; kill < 3; ++kill) {
    auto weft = start("kill" + std::to_string(kill) + ".log");
    ASSERT_TRUE(eventually([&] {
      return count(db, "SELECT count(*) FROM events") > before && count(db, loading) == 1;
    }, 60s)) << weft->output();
    weft->signal(SIGKILL);
    ASSERT_EQ(weft->wait(10s), 128 + SIGKILL);
    // The load that was cut off left nothing: only whole batches are in the table.
    ASSERT_TRUE(eventually([&] { return count(db, loading) == 0; }, 10s));
    before = count(db, "SELECT count(*) FROM events");
    EXPECT_EQ(before % kBatch, 0) << "a batch was partly applied";
    ASSERT_LT(before, kRecords) << "the run ended before the kill";
  }
  auto weft = start("final.log");
  ASSERT_TRUE(eventually([&] { return count(db, "SELECT count(*) FROM events") >= kRecords; },
                         120s))
      << weft->output();
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();
  EXPECT_EQ(pg().execute("SELECT count(*), count(DISTINCT id), min(id), max(id) FROM events", db),
            (PostgresServer::Rows{{"3000", "3000", "1", "3000"}}));
  EXPECT_EQ(pg().scalar("SELECT position FROM _weft_checkpoints WHERE pipeline = 'events'", db),
            "3000");
}

TEST_F(WarehouseE2ETest, TheEmbeddedSqliteWarehouseMergesWithNoServer) {
  const std::string path = dir_.file("warehouse.db");
  dir_.write("pipelines/local.yaml",
             "name: local\nsource: {type: generate, rate: 0, count: 500, message: hi}\n"
             "sink:\n  type: warehouse\n  path: " + path + "\n  table: greetings\n"
             "  write_mode: merge\n  primary_key: [id]\n"
             "batch: {max_records: 100}\n");
  auto weft = start("run.log");
  auto rows = [&](const std::string& sql) {
    sqlite3* db = nullptr;
    long long n = -1;
    if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK) {
      sqlite3_exec(
          db, sql.c_str(),
          [](void* out, int, char** values, char**) {
            *static_cast<long long*>(out) = values[0] ? std::stoll(values[0]) : -1;
            return 0;
          },
          &n, nullptr);
    }
    sqlite3_close(db);
    return n;
  };
  ASSERT_TRUE(eventually([&] { return rows("SELECT count(*) FROM greetings") == 500; }, 60s))
      << weft->output();
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();
  EXPECT_EQ(rows("SELECT count(*) FROM greetings WHERE message = 'hi' AND _loaded_at IS NOT "
                 "NULL"),
            500);
  EXPECT_EQ(rows("SELECT sum(id) FROM greetings"), 500 * 501 / 2);
}

}  // namespace
}  // namespace weft::test
