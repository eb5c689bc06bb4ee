// Checkpoint operations of the SQLite state store: round trips, persistence across reopen,
// concurrency and how failures are reported.

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <string>
#include <thread>
#include <vector>

#include "state/migrations.h"
#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

using namespace std::string_literals;
using state_test::RawDatabase;
using state_test::TempDir;

std::unique_ptr<StateStore> open_or_fail(const std::string& path,
                                         const SqliteStateStoreOptions& options = {}) {
  auto store = open_sqlite_state_store(path, options);
  EXPECT_TRUE(store.ok()) << store.error().message();
  return store.ok() ? std::move(*store) : nullptr;
}

TEST(SqliteStateStore, LoadOfUnknownPipelineIsEmpty) {
  TempDir dir;
  auto store = open_or_fail(dir.file("state.db"));
  ASSERT_TRUE(store);
  auto loaded = store->load_checkpoint("orders");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  EXPECT_FALSE(loaded->has_value());
}

TEST(SqliteStateStore, SaveThenLoadReturnsPositionAndTime) {
  TempDir dir;
  auto store = open_or_fail(dir.file("state.db"));
  ASSERT_TRUE(store);
  const auto before = std::chrono::floor<std::chrono::milliseconds>(Clock::now());
  ASSERT_TRUE(store->save_checkpoint("orders", "0/16B3748").ok());
  const auto after = Clock::now();

  auto loaded = store->load_checkpoint("orders");
  ASSERT_TRUE(loaded.ok()) << loaded.error().message();
  ASSERT_TRUE(loaded->has_value());
  EXPECT_EQ((*loaded)->pipeline, "orders");
  EXPECT_EQ((*loaded)->position, "0/16B3748");
  EXPECT_GE((*loaded)->updated_at, before);
  EXPECT_LE((*loaded)->updated_at, after);
}

TEST(SqliteStateStore, SaveReplacesThePreviousCheckpoint) {
  TempDir dir;
  auto store = open_or_fail(dir.file("state.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->save_checkpoint("orders", "1").ok());
  ASSERT_TRUE(store->save_checkpoint("orders", "2").ok());
  auto loaded = store->load_checkpoint("orders");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->position, "2");
  auto all = store->list_checkpoints();
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 1u);
}

TEST(SqliteStateStore, PositionsAreStoredByteForByte) {
  TempDir dir;
  auto store = open_or_fail(dir.file("state.db"));
  ASSERT_TRUE(store);
  const std::string position = "key\0with nul \xff\xfe and 'quotes'"s;
  ASSERT_TRUE(store->save_checkpoint("bytes", position).ok());
  ASSERT_TRUE(store->save_checkpoint("empty", "").ok());
  auto bytes = store->load_checkpoint("bytes");
  ASSERT_TRUE(bytes.ok() && bytes->has_value());
  EXPECT_EQ((*bytes)->position, position);
  auto empty = store->load_checkpoint("empty");
  ASSERT_TRUE(empty.ok() && empty->has_value());
  EXPECT_EQ((*empty)->position, "");
}

TEST(SqliteStateStore, ListReturnsEveryCheckpointOrderedByPipeline) {
  TempDir dir;
  auto store = open_or_fail(dir.file("state.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->save_checkpoint("orders", "o").ok());
  ASSERT_TRUE(store->save_checkpoint("accounts", "a").ok());
  ASSERT_TRUE(store->save_checkpoint("invoices", "i").ok());
  auto all = store->list_checkpoints();
  ASSERT_TRUE(all.ok()) << all.error().message();
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].pipeline, "accounts");
  EXPECT_EQ((*all)[0].position, "a");
  EXPECT_EQ((*all)[1].pipeline, "invoices");
  EXPECT_EQ((*all)[2].pipeline, "orders");
  EXPECT_EQ((*all)[2].position, "o");
}

TEST(SqliteStateStore, DeleteRemovesOnlyThatPipelineAndToleratesAbsence) {
  TempDir dir;
  auto store = open_or_fail(dir.file("state.db"));
  ASSERT_TRUE(store);
  ASSERT_TRUE(store->save_checkpoint("orders", "1").ok());
  ASSERT_TRUE(store->save_checkpoint("accounts", "2").ok());
  ASSERT_TRUE(store->delete_checkpoint("orders").ok());
  ASSERT_TRUE(store->delete_checkpoint("never-saved").ok());
  auto orders = store->load_checkpoint("orders");
  ASSERT_TRUE(orders.ok());
  EXPECT_FALSE(orders->has_value());
  auto all = store->list_checkpoints();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].pipeline, "accounts");
}

TEST(SqliteStateStore, ReopenedFileHoldsTheSavedCheckpoints) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  {
    auto store = open_or_fail(path);
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->save_checkpoint("orders", "41").ok());
    ASSERT_TRUE(store->save_checkpoint("orders", "42").ok());
    ASSERT_TRUE(store->save_checkpoint("accounts", "7").ok());
    ASSERT_TRUE(store->delete_checkpoint("accounts").ok());
  }
  auto reopened = open_or_fail(path);
  ASSERT_TRUE(reopened);
  auto all = reopened->list_checkpoints();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].pipeline, "orders");
  EXPECT_EQ((*all)[0].position, "42");
}

TEST(SqliteStateStore, APauseIsKeptAcrossReopenUntilResumed) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  Clock::time_point paused_at;
  {
    auto store = open_or_fail(path);
    ASSERT_TRUE(store);
    auto none = store->paused_since("orders");
    ASSERT_TRUE(none.ok());
    EXPECT_FALSE(none->has_value());
    const auto before = Clock::now() - std::chrono::milliseconds(1);
    ASSERT_TRUE(store->set_paused("orders", true).ok());
    auto since = store->paused_since("orders");
    ASSERT_TRUE(since.ok() && since->has_value());
    paused_at = **since;
    EXPECT_GE(paused_at, before);
    ASSERT_TRUE(store->set_paused("orders", true).ok()) << "pausing twice keeps the first time";
    EXPECT_EQ(**store->paused_since("orders"), paused_at);
    EXPECT_FALSE(store->paused_since("accounts")->has_value()) << "per pipeline";
  }
  auto reopened = open_or_fail(path);
  ASSERT_TRUE(reopened);
  auto kept = reopened->paused_since("orders");
  ASSERT_TRUE(kept.ok() && kept->has_value());
  EXPECT_EQ(**kept, paused_at);
  ASSERT_TRUE(reopened->set_paused("orders", false).ok());
  EXPECT_FALSE(reopened->paused_since("orders")->has_value());
  EXPECT_TRUE(reopened->set_paused("orders", false).ok()) << "resuming twice is fine";
}

TEST(SqliteStateStore, ConcurrentSavesFromManyThreadsAllLand) {
  TempDir dir;
  auto store = open_or_fail(dir.file("state.db"));
  ASSERT_TRUE(store);
  constexpr int kThreads = 8;
  constexpr int kSavesPerThread = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSavesPerThread; ++i) {
        const std::string position = std::to_string(t) + ":" + std::to_string(i);
        if (!store->save_checkpoint("pipeline-" + std::to_string(t), position).ok()) ++failures[t];
        if (!store->save_checkpoint("shared", position).ok()) ++failures[t];
        if (!store->load_checkpoint("shared").ok()) ++failures[t];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], 0) << "thread " << t;

  auto all = store->list_checkpoints();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), static_cast<std::size_t>(kThreads) + 1);
  const std::string last = ":" + std::to_string(kSavesPerThread - 1);
  for (int t = 0; t < kThreads; ++t) {
    auto own = store->load_checkpoint("pipeline-" + std::to_string(t));
    ASSERT_TRUE(own.ok() && own->has_value());
    EXPECT_EQ((*own)->position, std::to_string(t) + last);
  }
  // Whichever thread wrote "shared" last, its final write was its last one.
  auto shared = store->load_checkpoint("shared");
  ASSERT_TRUE(shared.ok() && shared->has_value());
  EXPECT_TRUE((*shared)->position.ends_with(last)) << (*shared)->position;
}

TEST(SqliteStateStore, TwoStoresOnOneFileBothLandTheirSaves) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  auto first = open_or_fail(path);
  auto second = open_or_fail(path);
  ASSERT_TRUE(first && second);
  constexpr int kSaves = 25;
  int failures = 0;
  std::thread other([&] {
    for (int i = 0; i < kSaves; ++i) {
      if (!second->save_checkpoint("b", std::to_string(i)).ok()) ++failures;
    }
  });
  for (int i = 0; i < kSaves; ++i) EXPECT_TRUE(first->save_checkpoint("a", std::to_string(i)).ok());
  other.join();
  EXPECT_EQ(failures, 0);
  auto all = first->list_checkpoints();
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 2u);
  EXPECT_EQ((*all)[0].position, std::to_string(kSaves - 1));
  EXPECT_EQ((*all)[1].position, std::to_string(kSaves - 1));
}

TEST(SqliteStateStore, LockHeldByAnotherConnectionIsRetryableAndNamed) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  auto store = open_or_fail(path, {.busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(store);
  RawDatabase other(path);
  other.exec("BEGIN IMMEDIATE");

  const Status saved = store->save_checkpoint("orders", "1");
  ASSERT_FALSE(saved.ok());
  EXPECT_TRUE(saved.error().retryable());
  EXPECT_EQ(saved.error().message(),
            "state store " + path + ": save checkpoint for pipeline 'orders': database is locked");

  other.exec("ROLLBACK");
  EXPECT_TRUE(store->save_checkpoint("orders", "1").ok());
}

TEST(SqliteStateStore, WriteFailureIsPermanentAndNamesPipelineAndReason) {
  TempDir dir;
  const std::string path = dir.file("state.db");
  const auto child = state_test::run_in_child([&]() -> std::string {
    auto store = open_sqlite_state_store(path);
    if (!store) return "open failed: " + store.error().message();
    if (!(*store)->save_checkpoint("orders", "1").ok()) return "first save failed";
    state_test::limit_file_size(0);  // from here on every write fails with EFBIG
    const Status saved = (*store)->save_checkpoint("orders", "2");
    if (saved.ok()) return "second save succeeded";
    return std::string(to_string(saved.error().kind())) + "|" + saved.error().message();
  });
  ASSERT_TRUE(WIFEXITED(child.wait_status)) << child.output;
  EXPECT_EQ(child.output.substr(0, child.output.find('|')), to_string(ErrorKind::kPermanent))
      << child.output;
  // SQLite does not keep errno for a failed WAL write at commit, so the reason is its own.
  EXPECT_EQ(
      child.output.substr(child.output.find('|') + 1),
      "state store " + path + ": save checkpoint for pipeline 'orders': disk I/O error (write)");

  // The failed save lost nothing that had been acknowledged.
  auto store = open_or_fail(path);
  ASSERT_TRUE(store);
  auto loaded = store->load_checkpoint("orders");
  ASSERT_TRUE(loaded.ok() && loaded->has_value());
  EXPECT_EQ((*loaded)->position, "1");
}

}  // namespace
}  // namespace weft
