// Idempotency keys in the SQLite state store: what the pipeline's dedupe step sees (found or
// not, expiry, per pipeline), what maintenance removes, and that both hold across a restart (the
// store looks keys up in memory and rebuilds that index from the file).

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <vector>

#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;
using state_test::open_store_or_fail;
using state_test::RawDatabase;
using state_test::TempDir;

const Clock::time_point kNow = Clock::time_point(1'795'000'000'000ms);

class IdempotencyStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store_or_fail(path_);
    ASSERT_TRUE(store_);
  }

  std::vector<bool> find(const std::string& pipeline, const std::vector<std::string>& keys,
                         Clock::time_point now = kNow) {
    auto found = store_->find_keys(pipeline, keys, now);
    EXPECT_TRUE(found.ok()) << found.error().message();
    return found.ok() ? *found : std::vector<bool>{};
  }

  void remember(const std::string& pipeline, const std::vector<std::string>& keys,
                Clock::time_point expires_at) {
    const Status remembered = store_->remember_keys(pipeline, keys, expires_at);
    EXPECT_TRUE(remembered.ok()) << remembered.error().message();
  }

  std::size_t purge(const std::string& pipeline, std::size_t max_keys, std::size_t limit) {
    auto purged = store_->purge_keys(pipeline, kNow, max_keys, limit);
    EXPECT_TRUE(purged.ok()) << purged.error().message();
    return purged.ok() ? *purged : 0;
  }

  // Entries in the file: a key remembered again may still have its older entry.
  std::string stored_count() {
    return RawDatabase(path_).query("SELECT count(*) FROM idempotency_log");
  }

  // Closes and reopens the store, as a restart of the daemon does.
  void reopen() {
    store_.reset();
    store_ = open_store_or_fail(path_);
    ASSERT_TRUE(store_);
  }

  TempDir dir_;
  const std::string path_ = dir_.file("state.db");
  std::unique_ptr<StateStore> store_;
};

TEST_F(IdempotencyStoreTest, UnknownKeysAreNotFound) {
  EXPECT_EQ(find("orders", {"a", "b"}), (std::vector<bool>{false, false}));
  EXPECT_EQ(find("orders", {}), (std::vector<bool>{}));
}

TEST_F(IdempotencyStoreTest, RememberedKeysAreFoundInTheOrderAsked) {
  remember("orders", {"k1", "k3"}, kNow + 1h);
  EXPECT_EQ(find("orders", {"k1", "k2", "k3", "k1", "K1"}),
            (std::vector<bool>{true, false, true, true, false}));
}

TEST_F(IdempotencyStoreTest, KeysAreBytes) {
  remember("orders", {"k\0a"s, "\xff\xfe"s, ""}, kNow + 1h);
  EXPECT_EQ(find("orders", {"k\0a"s, "k\0b"s, "k"s, "\xff\xfe"s, ""}),
            (std::vector<bool>{true, false, false, true, true}));
}

TEST_F(IdempotencyStoreTest, AKeyExpiresAtItsExpiryTime) {
  remember("orders", {"k"}, kNow);
  EXPECT_EQ(find("orders", {"k"}, kNow - 1ms), (std::vector<bool>{true}));
  EXPECT_EQ(find("orders", {"k"}, kNow), (std::vector<bool>{false}));
  EXPECT_EQ(find("orders", {"k"}, kNow + 1s), (std::vector<bool>{false}));
}

TEST_F(IdempotencyStoreTest, RememberingAgainSetsTheNewExpiry) {
  remember("orders", {"k", "other"}, kNow + 1min);
  remember("orders", {"k"}, kNow + 1h);
  EXPECT_EQ(find("orders", {"k", "other"}, kNow + 30min), (std::vector<bool>{true, false}));
  // An expired key remembered again is found again.
  remember("orders", {"other"}, kNow + 2h);
  EXPECT_EQ(find("orders", {"other"}, kNow + 30min), (std::vector<bool>{true}));
}

TEST_F(IdempotencyStoreTest, PipelinesDoNotSeeEachOthersKeys) {
  remember("orders", {"k"}, kNow + 1h);
  EXPECT_EQ(find("invoices", {"k"}), (std::vector<bool>{false}));
  remember("invoices", {"k"}, kNow + 2h);
  EXPECT_EQ(find("orders", {"k"}, kNow + 90min), (std::vector<bool>{false}));
  EXPECT_EQ(find("invoices", {"k"}, kNow + 90min), (std::vector<bool>{true}));
}

TEST_F(IdempotencyStoreTest, KeysAndTheirExpirySurviveReopen) {
  remember("orders", {"k1", "k2"}, kNow + 1h);
  remember("orders", {"short"}, kNow + 1min);
  remember("invoices", {"k3"}, kNow + 1h);
  remember("orders", {"k1"}, kNow + 2h);  // remembered again: the later expiry counts
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(find("orders", {"k1", "k2", "k3", "short"}),
            (std::vector<bool>{true, true, false, true}));
  EXPECT_EQ(find("orders", {"k1", "k2", "short"}, kNow + 90min),
            (std::vector<bool>{true, false, false}));
  EXPECT_EQ(find("invoices", {"k3", "k1"}), (std::vector<bool>{true, false}));
}

TEST_F(IdempotencyStoreTest, AShortenedExpiryHoldsAfterPurgeAndReopen) {
  remember("orders", {"k"}, kNow + 2h);
  remember("orders", {"k"}, kNow - 1min);  // already expired: forgets the key
  EXPECT_EQ(find("orders", {"k"}), (std::vector<bool>{false}));
  EXPECT_EQ(purge("orders", 0, 0), 1u);
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(find("orders", {"k"}), (std::vector<bool>{false}));
  EXPECT_EQ(stored_count(), "0");
}

TEST_F(IdempotencyStoreTest, PurgeDeletesExpiredKeysOfEveryPipelineUpToTheLimit) {
  remember("a", {"a1", "a2", "a3", "a4", "a5"}, kNow - 1h);
  remember("b", {"b1", "b2", "b3"}, kNow);  // expires_at == now: expired
  remember("a", {"live-a"}, kNow + 1h);
  remember("b", {"live-b"}, kNow + 1ms);

  EXPECT_EQ(purge("a", 0, 6), 6u);
  EXPECT_EQ(stored_count(), "4");
  EXPECT_EQ(purge("a", 0, 0), 2u);  // 0: no limit
  EXPECT_EQ(stored_count(), "2");
  EXPECT_EQ(purge("a", 0, 0), 0u);
  EXPECT_EQ(find("a", {"live-a"}), (std::vector<bool>{true}));
  EXPECT_EQ(find("b", {"live-b"}), (std::vector<bool>{true}));
}

TEST_F(IdempotencyStoreTest, PurgeAfterReopenReachesPipelinesNotUsedSince) {
  remember("a", {"a1"}, kNow - 1h);
  remember("b", {"b1", "b2"}, kNow - 1h);
  remember("b", {"live-b"}, kNow + 1h);
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(purge("a", 0, 0), 3u);
  EXPECT_EQ(stored_count(), "1");
  EXPECT_EQ(find("b", {"b1", "live-b"}), (std::vector<bool>{false, true}));
}

TEST_F(IdempotencyStoreTest, PurgeKeepsAKeyRememberedAgainAfterItExpired) {
  remember("orders", {"k", "gone"}, kNow - 1h);
  remember("orders", {"k"}, kNow + 1h);
  EXPECT_EQ(stored_count(), "3");
  EXPECT_EQ(purge("orders", 0, 0), 2u);  // the expired entries of "k" and "gone"
  EXPECT_EQ(find("orders", {"k", "gone"}), (std::vector<bool>{true, false}));
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(find("orders", {"k", "gone"}), (std::vector<bool>{true, false}));
}

TEST_F(IdempotencyStoreTest, PurgeEvictsThePipelinesOldestKeysBeyondMaxKeys) {
  for (int i = 1; i <= 6; ++i) remember("a", {"a" + std::to_string(i)}, kNow + i * 1h);
  remember("b", {"b1", "b2", "b3"}, kNow + 1h);

  EXPECT_EQ(purge("a", 4, 100), 2u);
  EXPECT_EQ(find("a", {"a1", "a2", "a3", "a4", "a5", "a6"}),
            (std::vector<bool>{false, false, true, true, true, true}));
  EXPECT_EQ(find("b", {"b1", "b2", "b3"}), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(purge("a", 4, 100), 0u);
  EXPECT_EQ(purge("a", 0, 100), 0u);  // 0: unbounded
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(find("a", {"a1", "a2", "a3", "a4", "a5", "a6"}),
            (std::vector<bool>{false, false, true, true, true, true}));
  EXPECT_EQ(purge("a", 4, 100), 0u);
}

TEST_F(IdempotencyStoreTest, EvictionCountsAKeyRememberedAgainAsRecent) {
  remember("a", {"a1"}, kNow + 1h);
  remember("a", {"a2"}, kNow + 1h);
  remember("a", {"a3"}, kNow + 1h);
  remember("a", {"a1"}, kNow + 2h);
  // Three keys, one too many: a2 is now the oldest. a1's older entry goes with it.
  EXPECT_EQ(purge("a", 2, 0), 2u);
  EXPECT_EQ(find("a", {"a1", "a2", "a3"}), (std::vector<bool>{true, false, true}));
  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(find("a", {"a1", "a2", "a3"}), (std::vector<bool>{true, false, true}));
  EXPECT_EQ(purge("a", 2, 0), 0u);
}

TEST_F(IdempotencyStoreTest, PurgeCountsExpiredAndEvictedKeysTogether) {
  remember("a", {"old1", "old2"}, kNow - 1min);
  remember("a", {"n1", "n2", "n3"}, kNow + 1h);
  remember("a", {"n4"}, kNow + 2h);
  // Expired ones go first, then the two earliest-expiring live ones exceed max_keys = 2.
  EXPECT_EQ(purge("a", 2, 10), 2u + 2u);
  const std::vector<bool> left = find("a", {"n1", "n2", "n3", "n4"});
  ASSERT_EQ(left.size(), 4u);
  EXPECT_EQ(std::count(left.begin(), left.end(), true), 2);
  EXPECT_TRUE(left[3]);
}

TEST_F(IdempotencyStoreTest, AFailedRememberRecordsNoneOfTheBatch) {
  // Refuses the second entry of any batch (its entries share one expiry).
  RawDatabase(path_).exec(
      "CREATE TRIGGER reject_second BEFORE INSERT ON idempotency_log WHEN EXISTS "
      "(SELECT 1 FROM idempotency_log WHERE expires_at = NEW.expires_at) "
      "BEGIN SELECT RAISE(ABORT, 'second entry refused'); END");
  const Status remembered = store_->remember_keys("orders", {"k1", "k2"}, kNow + 1h);
  ASSERT_FALSE(remembered.ok());
  EXPECT_EQ(remembered.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(remembered.error().message(),
            "state store " + path_ +
                ": remember idempotency keys for pipeline 'orders': second entry refused");
  EXPECT_EQ(find("orders", {"k1", "k2"}), (std::vector<bool>{false, false}));
  EXPECT_EQ(stored_count(), "0");
  // The connection is usable afterwards.
  remember("orders", {"k1"}, kNow + 1h);
  EXPECT_EQ(find("orders", {"k1", "k2"}), (std::vector<bool>{true, false}));
}

// The commit itself fails (every file write fails with EFBIG in the child): the keys must not
// be reported as recorded, neither by this store nor after a restart.
TEST_F(IdempotencyStoreTest, KeysOfAFailedCommitAreNotFound) {
  store_.reset();
  const auto child = state_test::run_in_child([&]() -> std::string {
    auto store = open_sqlite_state_store(path_);
    if (!store) return "open failed: " + store.error().message();
    if (!(*store)->remember_keys("orders", {"k1"}, kNow + 1h).ok()) return "first remember failed";
    state_test::limit_file_size(0);
    const Status remembered = (*store)->remember_keys("orders", {"k2", "k3"}, kNow + 1h);
    if (remembered.ok()) return "second remember succeeded";
    auto found = (*store)->find_keys("orders", {"k1", "k2", "k3"}, kNow);
    if (!found) return "find failed: " + found.error().message();
    std::string result = remembered.error().message() + "|";
    for (const bool hit : *found) result += hit ? '1' : '0';
    return result;
  });
  ASSERT_TRUE(WIFEXITED(child.wait_status)) << child.output;
  const std::size_t bar = child.output.find('|');
  ASSERT_NE(bar, std::string::npos) << child.output;
  EXPECT_EQ(child.output.substr(0, bar),
            "state store " + path_ +
                ": remember idempotency keys for pipeline 'orders': disk I/O error (write)");
  EXPECT_EQ(child.output.substr(bar + 1), "100");

  ASSERT_NO_FATAL_FAILURE(reopen());
  EXPECT_EQ(find("orders", {"k1", "k2", "k3"}), (std::vector<bool>{true, false, false}));
}

TEST_F(IdempotencyStoreTest, LockHeldByAnotherConnectionIsRetryableAndNamed) {
  store_.reset();
  store_ = open_store_or_fail(path_, {.busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(store_);
  remember("orders", {"k1"}, kNow + 1h);
  RawDatabase other(path_);
  other.exec("BEGIN IMMEDIATE");

  const Status remembered = store_->remember_keys("orders", {"k2"}, kNow + 1h);
  ASSERT_FALSE(remembered.ok());
  EXPECT_TRUE(remembered.error().retryable());
  EXPECT_EQ(remembered.error().message(),
            "state store " + path_ +
                ": remember idempotency keys for pipeline 'orders': database is locked");
  auto purged = store_->purge_keys("orders", kNow, 1, 10);
  ASSERT_FALSE(purged.ok());
  EXPECT_TRUE(purged.error().retryable());
  // In WAL mode readers do not wait for a writer.
  EXPECT_EQ(find("orders", {"k1", "k2"}), (std::vector<bool>{true, false}));

  other.exec("ROLLBACK");
  remember("orders", {"k2"}, kNow + 1h);
  EXPECT_EQ(find("orders", {"k1", "k2"}), (std::vector<bool>{true, true}));
}

}  // namespace
}  // namespace weft
