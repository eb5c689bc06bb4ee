// Idempotency keys in the SQLite state store: what the pipeline's dedupe step sees (found or
// not, expiry, per pipeline) and what maintenance removes.

#include <gtest/gtest.h>

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

  std::string stored_count() {
    return RawDatabase(path_).query("SELECT count(*) FROM idempotency_keys");
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

TEST_F(IdempotencyStoreTest, KeysSurviveReopen) {
  remember("orders", {"k1", "k2"}, kNow + 1h);
  store_.reset();
  store_ = open_store_or_fail(path_);
  ASSERT_TRUE(store_);
  EXPECT_EQ(find("orders", {"k1", "k2", "k3"}), (std::vector<bool>{true, true, false}));
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

TEST_F(IdempotencyStoreTest, PurgeEvictsThePipelinesEarliestExpiringKeysBeyondMaxKeys) {
  for (int i = 1; i <= 6; ++i) remember("a", {"a" + std::to_string(i)}, kNow + i * 1h);
  remember("b", {"b1", "b2", "b3"}, kNow + 1h);

  EXPECT_EQ(purge("a", 4, 100), 2u);
  EXPECT_EQ(find("a", {"a1", "a2", "a3", "a4", "a5", "a6"}),
            (std::vector<bool>{false, false, true, true, true, true}));
  EXPECT_EQ(find("b", {"b1", "b2", "b3"}), (std::vector<bool>{true, true, true}));
  EXPECT_EQ(purge("a", 4, 100), 0u);
  EXPECT_EQ(purge("a", 0, 100), 0u);  // 0: unbounded
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
  RawDatabase(path_).exec(
      "CREATE TRIGGER reject_poison BEFORE INSERT ON idempotency_keys WHEN NEW.key = 'poison' "
      "BEGIN SELECT RAISE(ABORT, 'poison refused'); END");
  const Status remembered = store_->remember_keys("orders", {"k1", "poison"}, kNow + 1h);
  ASSERT_FALSE(remembered.ok());
  EXPECT_EQ(remembered.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(remembered.error().message(),
            "state store " + path_ +
                ": remember idempotency keys for pipeline 'orders': " + "poison refused");
  EXPECT_EQ(find("orders", {"k1"}), (std::vector<bool>{false}));
  // The connection is usable afterwards.
  remember("orders", {"k1"}, kNow + 1h);
  EXPECT_EQ(find("orders", {"k1"}), (std::vector<bool>{true}));
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
