// The postgres_cdc source in the real daemon against a real PostgreSQL: kill -9 while changes
// stream loses no committed change and keeps each row's changes in commit order; kill -9 in the
// middle of the snapshot resumes it instead of starting over; a user without REPLICATION makes
// the pipeline not ready with a reason that says what to run (and no password anywhere);
// `weft validate` names the field of a bad table.

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "e2e/e2e_helpers.h"
#include "e2e/weft_process.h"
#include "support/http_client.h"
#include "support/postgres_server.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// One record as the file sink wrote it: the Debezium envelope, reduced to what the tests check.
struct Change {
  std::string op;
  long long id = -1;       // the row's `id`
  long long version = -1;  // the row's `version`, when the table has one
  long long lsn = -1;      // source.lsn; -1 for snapshot rows
};

// The sink's file as it grows; each complete line is parsed once.
class OutputFile {
 public:
  explicit OutputFile(fs::path path) : path_(std::move(path)) {}

  // Reads what was appended since the last call; returns every change so far, in file order.
  const std::vector<Change>& poll() {
    std::ifstream in(path_, std::ios::binary);
    if (!in) return changes_;
    in.seekg(static_cast<std::streamoff>(offset_));
    std::string chunk((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    offset_ += chunk.size();
    pending_ += chunk;
    std::size_t start = 0;
    for (auto nl = pending_.find('\n'); nl != std::string::npos; nl = pending_.find('\n', start)) {
      parse_line(std::string_view(pending_).substr(start, nl - start));
      start = nl + 1;
    }
    pending_.erase(0, start);
    return changes_;
  }

  std::size_t torn_lines() const { return torn_; }

 private:
  void parse_line(std::string_view line) {
    auto record = nlohmann::json::parse(line, nullptr, false);
    if (record.is_discarded()) {
      // kill -9 can cut a write short, and the restarted daemon appends to the torn line: the
      // record it appended starts at the last envelope opening.
      ++torn_;
      const auto start = line.rfind("{\"before\":");
      if (start == std::string_view::npos || start == 0) return;
      record = nlohmann::json::parse(line.substr(start), nullptr, false);
      if (record.is_discarded()) return;
    }
    Change c;
    c.op = record.value("op", "");
    const auto& row = record["after"].is_object() ? record["after"] : record["before"];
    if (row.is_object()) {
      c.id = row.value("id", -1LL);
      c.version = row.value("version", -1LL);
    }
    const auto& lsn = record["source"]["lsn"];
    if (lsn.is_number()) c.lsn = lsn.get<long long>();
    changes_.push_back(std::move(c));
  }

  fs::path path_;
  std::size_t offset_ = 0;
  std::string pending_;  // a line not yet ended
  std::vector<Change> changes_;
  std::size_t torn_ = 0;
};

// Commits transactions on its own connection, each inserting or updating a few `accounts` rows
// and bumping their version, and keeps the ledger of what was committed. It waits before the
// transactions the test has not allow()ed yet, so both kills land while it still writes.
class Writer {
 public:
  static constexpr int kTransactions = 300;
  static constexpr int kKeys = 40;
  static constexpr int kRowsPerTransaction = 3;

  explicit Writer(std::string conninfo, int allowed) : allowed_(allowed) {
    thread_ = std::thread([this, conninfo] { run(conninfo); });
  }
  ~Writer() {
    allow(kTransactions);
    if (thread_.joinable()) thread_.join();
  }

  void allow(int transactions) {
    std::lock_guard lock(mutex_);
    allowed_ = std::max(allowed_, transactions);
    cv_.notify_all();
  }
  int committed() const { return committed_; }
  // After join(): every committed (id, version), in commit order, and the error that stopped it.
  void join() { thread_.join(); }
  const std::vector<std::pair<long long, long long>>& ledger() const { return ledger_; }
  const std::string& error() const { return error_; }

 private:
  void run(const std::string& conninfo) {
    PGconn* conn = PQconnectdb(conninfo.c_str());
    if (PQstatus(conn) != CONNECTION_OK) {
      error_ = PQerrorMessage(conn);
      PQfinish(conn);
      return;
    }
    std::mt19937 rng(20240611);
    std::map<long long, long long> versions;
    for (int tx = 0; tx < kTransactions; ++tx) {
      {
        std::unique_lock lock(mutex_);
        cv_.wait(lock, [&] { return tx < allowed_; });
      }
      std::set<long long> ids;
      while (ids.size() < kRowsPerTransaction) {
        ids.insert(std::uniform_int_distribution<long long>(1, kKeys)(rng));
      }
      std::string sql = "BEGIN;";
      for (long long id : ids) {
        const auto v = std::to_string(versions[id] + 1);
        const auto pad =
            "repeat('" + std::to_string(tx % 10) + "', " + std::to_string(50 + tx) + ")";
        sql += versions[id] == 0 ? "INSERT INTO accounts VALUES (" + std::to_string(id) + ", " + v +
                                       ", " + pad + ");"
                                 : "UPDATE accounts SET version = " + v + ", pad = " + pad +
                                       " WHERE id = " + std::to_string(id) + ";";
      }
      sql += "COMMIT";
      PGresult* result = PQexec(conn, sql.c_str());
      const bool ok = PQresultStatus(result) == PGRES_COMMAND_OK;
      PQclear(result);
      if (!ok) {
        error_ = "transaction " + std::to_string(tx) + ": " + PQerrorMessage(conn);
        break;
      }
      for (long long id : ids) ledger_.emplace_back(id, ++versions[id]);
      ++committed_;
      std::this_thread::sleep_for(10ms);  // pacing only: the test waits on what arrives
    }
    PQfinish(conn);
  }

  std::mutex mutex_;
  std::condition_variable cv_;
  int allowed_;
  std::atomic<int> committed_{0};
  std::vector<std::pair<long long, long long>> ledger_;
  std::string error_;
  std::thread thread_;
};

class CdcE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("config/weft.yaml",
               "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
               "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n");
  }

  static PostgresServer& pg() { return PostgresServer::shared(); }

  // A postgres_cdc pipeline `name` writing Debezium envelopes to out/<name>.jsonl.
  void write_pipeline(const std::string& name, const std::string& dsn, const std::string& tables,
                      const std::string& snapshot) {
    dir_.write("pipelines/" + name + ".yaml",
               "name: " + name + "\nsource:\n  type: postgres_cdc\n  dsn: '" + dsn +
                   "'\n  tables: [" + tables + "]\n  snapshot: " + snapshot +
                   "\nsink:\n  type: file\n  path: " + out_path(name) +
                   "\n  max_size: 0\ncheckpoint: {interval: 50ms}\n");
  }

  std::string out_path(const std::string& name) const {
    return dir_.file("out/" + name + ".jsonl");
  }
  std::string config() const { return dir_.file("config/weft.yaml"); }

  std::unique_ptr<WeftProcess> start(const std::string& log) {
    auto weft = std::make_unique<WeftProcess>(std::vector<std::string>{"run", "--config", config()},
                                              dir_.file(log));
    admin_port_ = weft->admin_port(30s).value_or(0);
    EXPECT_NE(admin_port_, 0) << weft->output();
    return weft;
  }

  static void kill_dash_nine(WeftProcess& weft) {
    weft.signal(SIGKILL);
    ASSERT_EQ(weft.wait(10s), 128 + SIGKILL);
  }

  TempDir dir_;
  unsigned short admin_port_ = 0;
};

TEST_F(CdcE2ETest, KillDashNineMidStreamLosesNoCommittedChange) {
  const std::string db = "kill_stream";
  pg().create_database(db);
  pg().execute("CREATE TABLE accounts(id int primary key, version int not null, pad text)", db);
  write_pipeline("accounts", pg().conninfo(db), "public.accounts", "{mode: never}");
  OutputFile out(out_path("accounts"));

  auto weft = start("run1.log");
  // Changes committed before the slot exists are not the source's to deliver.
  ASSERT_TRUE(eventually(
      [&] {
        return weft->output().find("created replication slot weft_accounts") != std::string::npos;
      },
      60s))
      << weft->output();
  Writer writer(pg().conninfo(db), 150);
  for (int kill = 1; kill <= 2; ++kill) {
    const std::size_t target = out.poll().size() + 150;
    ASSERT_TRUE(eventually([&] { return out.poll().size() >= target; }, 60s))
        << out.poll().size() << " lines\n"
        << weft->output();
    ASSERT_NO_FATAL_FAILURE(kill_dash_nine(*weft));
    std::cout << "kill -9 #" << kill << ": " << out.poll().size() << " lines written, "
              << writer.committed() << " of " << Writer::kTransactions
              << " transactions committed\n";
    weft = start("run" + std::to_string(kill + 1) + ".log");
    writer.allow(kill == 1 ? 250 : Writer::kTransactions);
  }
  writer.join();
  ASSERT_TRUE(writer.error().empty()) << writer.error();
  const auto& ledger = writer.ledger();
  ASSERT_EQ(ledger.size(), std::size_t{Writer::kTransactions * Writer::kRowsPerTransaction});

  // The first delivery of each (id, version), and each id's versions in first-delivery order.
  std::map<std::pair<long long, long long>, std::pair<std::string, long long>> first;
  std::map<long long, std::vector<long long>> order;
  std::size_t duplicates = 0;
  std::size_t seen = 0;
  auto absorb = [&] {
    const auto& changes = out.poll();
    for (; seen < changes.size(); ++seen) {
      const Change& c = changes[seen];
      auto [it, inserted] = first.emplace(std::pair(c.id, c.version), std::pair(c.op, c.lsn));
      if (inserted) {
        order[c.id].push_back(c.version);
      } else {
        ++duplicates;
        EXPECT_EQ(it->second, std::pair(c.op, c.lsn))
            << "id " << c.id << " version " << c.version
            << " arrived twice, but not as a re-delivery of the same change";
      }
    }
    return std::all_of(ledger.begin(), ledger.end(), [&](const auto& e) { return first.count(e); });
  };
  ASSERT_TRUE(eventually(absorb, 60s))
      << first.size() << " of " << ledger.size() << " committed changes arrived\n"
      << weft->output();

  std::map<long long, std::vector<long long>> committed_order;
  for (const auto& [id, version] : ledger) committed_order[id].push_back(version);
  EXPECT_EQ(order, committed_order) << "each row's changes arrive once each, in commit order";
  EXPECT_EQ(first.size(), ledger.size()) << "nothing arrived that was not committed";
  long long last_lsn = 0;
  for (const auto& [key, op_lsn] : first) {
    EXPECT_TRUE(op_lsn.first == "c" || op_lsn.first == "u") << op_lsn.first;
    last_lsn = std::max(last_lsn, op_lsn.second);
  }
  std::cout << "duplicates: " << duplicates << " of " << out.poll().size()
            << " lines (re-deliveries after kill -9); torn lines: " << out.torn_lines() << "\n";

  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();
  // After a clean stop the slot has confirmed the last change, so a restart would not repeat it.
  std::string confirmed;
  EXPECT_TRUE(eventually(
      [&] {
        confirmed = pg().scalar(
            "SELECT (confirmed_flush_lsn - '0/0')::text FROM pg_replication_slots "
            "WHERE slot_name = 'weft_accounts'",
            db);
        return std::stod(confirmed) >= static_cast<double>(last_lsn);
      },
      30s))
      << "confirmed_flush_lsn " << confirmed << " < last change's LSN " << last_lsn;
}

TEST_F(CdcE2ETest, KillDashNineDuringTheSnapshotResumesItWithoutStartingOver) {
  constexpr long long kRows = 200000;
  const std::string db = "kill_snapshot";
  pg().create_database(db);
  pg().execute(
      "CREATE TABLE items(id int primary key, name text);"
      "INSERT INTO items SELECT g, 'item ' || g FROM generate_series(1, " +
          std::to_string(kRows) + ") g",
      db);
  write_pipeline("items", pg().conninfo(db), "public.items", "{mode: initial, chunk_size: 1000}");
  OutputFile out(out_path("items"));

  auto weft = start("run1.log");
  // Kill ~40,000 rows in, well past the first checkpoints. Watch the file's size, not its
  // parsed lines: parsing while the snapshot runs would let it finish first.
  ASSERT_TRUE(eventually(
      [&] {
        std::error_code ec;
        const auto size = fs::file_size(out_path("items"), ec);
        return !ec && size >= (8u << 20);
      },
      120s))
      << weft->output();
  ASSERT_NO_FATAL_FAILURE(kill_dash_nine(*weft));
  std::set<long long> before_kill;
  for (const auto& c : out.poll()) before_kill.insert(c.id);
  ASSERT_LT(before_kill.size(), std::size_t{kRows}) << "the snapshot ended before the kill";
  const std::size_t restart_at = out.poll().size();

  weft = start("run2.log");
  std::set<long long> ids;
  std::size_t seen = 0;
  ASSERT_TRUE(eventually(
      [&] {
        const auto& changes = out.poll();
        for (; seen < changes.size(); ++seen) {
          if (changes[seen].op == "r") ids.insert(changes[seen].id);
        }
        return ids.size() == std::size_t{kRows};
      },
      180s))
      << ids.size() << " of " << kRows << " rows arrived\n"
      << weft->output();
  EXPECT_EQ(*ids.begin(), 1);
  EXPECT_EQ(*ids.rbegin(), kRows);

  const auto& changes = out.poll();
  const auto snapshot_rows = static_cast<std::size_t>(
      std::count_if(changes.begin(), changes.end(), [](const Change& c) { return c.op == "r"; }));
  const std::size_t duplicates = snapshot_rows - kRows;
  std::cout << "snapshot rows delivered: " << snapshot_rows << " for " << kRows << " rows ("
            << duplicates << " re-read after kill -9 at " << before_kill.size()
            << " rows); torn lines: " << out.torn_lines() << "\n";
  // Starting over would deliver every row the first run wrote a second time.
  EXPECT_LT(duplicates, before_kill.size());
  ASSERT_GT(changes.size(), restart_at);
  EXPECT_GT(changes[restart_at].id, 1) << "the restarted snapshot began at the first row";

  pg().execute("INSERT INTO items VALUES (" + std::to_string(kRows + 1) + ", 'after')", db);
  EXPECT_TRUE(eventually(
      [&] {
        const auto& all = out.poll();
        return std::any_of(all.begin(), all.end(),
                           [&](const Change& c) { return c.op == "c" && c.id == kRows + 1; });
      },
      60s))
      << weft->output();
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();
}

TEST_F(CdcE2ETest, AUserWithoutReplicationIsNotReadyAndTheReasonSaysWhatToRun) {
  const std::string db = "no_replication";
  const std::string secret = "s3cret-value";
  pg().create_database(db);
  pg().create_login_role("no_repl");
  pg().execute("CREATE TABLE orders(id int primary key)", db);
  write_pipeline("orders", pg().conninfo(db, "no_repl") + " password=" + secret, "public.orders",
                 "{mode: never}");

  auto weft = start("weft.log");
  HttpResponse ready;
  ASSERT_TRUE(eventually([&] {
    ready = http_get("127.0.0.1", admin_port_, "/readyz");
    return ready.status == 503 && ready.body.find("REPLICATION") != std::string::npos;
  })) << ready.status
      << " " << ready.body << "\n"
      << weft->output();
  EXPECT_NE(ready.body.find("pipeline orders"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("ALTER ROLE"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find(secret), std::string::npos) << ready.body;
  const HttpResponse pipelines = http_get("127.0.0.1", admin_port_, "/api/pipelines");
  EXPECT_EQ(pipelines.status, 200);
  EXPECT_NE(pipelines.body.find("orders"), std::string::npos) << pipelines.body;
  EXPECT_EQ(pipelines.body.find(secret), std::string::npos) << pipelines.body;
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();
  EXPECT_EQ(weft->output().find(secret), std::string::npos) << weft->output();
  EXPECT_FALSE(fs::exists(out_path("orders")) && fs::file_size(out_path("orders")) > 0);
}

TEST_F(CdcE2ETest, ValidateNamesTheFieldOfABadTableSpec) {
  // No server: validation does not connect.
  write_pipeline("shop", "host=127.0.0.1 dbname=shop user=weft", "customers", "{mode: initial}");
  auto [code, output] = run_weft({"validate", "--config", config()}, dir_.file("validate.log"));
  EXPECT_EQ(code, 2) << output;
  EXPECT_NE(output.find("shop.yaml"), std::string::npos) << output;
  EXPECT_NE(output.find("field 'source.tables'"), std::string::npos) << output;
  EXPECT_NE(output.find("'customers' is not schema.table"), std::string::npos) << output;
}

}  // namespace
}  // namespace weft::test
