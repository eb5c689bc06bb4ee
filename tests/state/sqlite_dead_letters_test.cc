// The dead-letter queue of the SQLite state store: what `weft dlq list|show|replay|purge` and
// the pipeline see, across reopen, and how failures leave the queue.

#include <gtest/gtest.h>

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

const Clock::time_point kT0 = Clock::time_point(1'795'000'000'000ms);  // November 2026

DeadLetter letter(const std::string& pipeline, const std::string& key,
                  Clock::time_point last_failure = kT0) {
  DeadLetter letter;
  letter.pipeline = pipeline;
  letter.stage = "sink";
  letter.error_kind = "permanent";
  letter.error = "HTTP 422: field 'email' is invalid";
  letter.attempts = 1;
  letter.first_failure = last_failure - 2s;
  letter.last_failure = last_failure;
  letter.record.key = key;
  letter.record.value = Payload::from_text(R"({"id":")" + key + R"(","email":"nope"})");
  letter.record.op = Operation::kCreate;
  letter.record.position = "pos-" + key;
  return letter;
}

std::vector<std::int64_t> ids_of(const std::vector<DeadLetter>& letters) {
  std::vector<std::int64_t> ids;
  for (const DeadLetter& letter : letters) ids.push_back(letter.id);
  return ids;
}

std::vector<std::int64_t> list_ids(StateStore& store, const DeadLetterFilter& filter) {
  auto listed = store.list_dead_letters(filter);
  EXPECT_TRUE(listed.ok()) << listed.error().message();
  return listed.ok() ? ids_of(*listed) : std::vector<std::int64_t>{};
}

void expect_same_letter(const DeadLetter& actual, const DeadLetter& expected) {
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.pipeline, expected.pipeline);
  EXPECT_EQ(actual.stage, expected.stage);
  EXPECT_EQ(actual.error_kind, expected.error_kind);
  EXPECT_EQ(actual.error, expected.error);
  EXPECT_EQ(actual.attempts, expected.attempts);
  EXPECT_EQ(actual.first_failure, expected.first_failure);
  EXPECT_EQ(actual.last_failure, expected.last_failure);
  EXPECT_EQ(actual.replay_requested, expected.replay_requested);
  state_test::expect_same_record(actual.record, expected.record,
                                 "dead letter " + std::to_string(expected.id));
}

// A store holding, in this order: a1 a2 b1 a3 (pipelines "a" and "b"), failing 1 s apart.
class DeadLetterStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store_or_fail(path_);
    ASSERT_TRUE(store_);
    letters_ = {letter("a", "a1", kT0), letter("a", "a2", kT0 + 1s), letter("b", "b1", kT0 + 2s),
                letter("a", "a3", kT0 + 3s)};
    const Status added = store_->add_dead_letters(letters_);
    ASSERT_TRUE(added.ok()) << added.error().message();
  }

  std::int64_t id(std::size_t index) const { return letters_[index].id; }

  TempDir dir_;
  const std::string path_ = dir_.file("state.db");
  std::unique_ptr<StateStore> store_;
  std::vector<DeadLetter> letters_;
};

TEST_F(DeadLetterStoreTest, AddAssignsIncreasingIdsAndGetReturnsEveryField) {
  for (std::size_t i = 0; i < letters_.size(); ++i) {
    EXPECT_GT(id(i), i == 0 ? 0 : id(i - 1)) << i;
  }
  DeadLetter full = letter("a", "full");
  full.stage = "map";
  full.error_kind = "retryable";
  full.attempts = 7;
  full.replay_requested = true;
  full.record.before = Payload::from_text(R"({"id":"full","email":"old@example.com"})");
  full.record.headers = {{"_lsn", "0/16B3748"}, {"binary", "\x01\xff"s}};
  full.record.id = "evt-42";
  full.record.event_time = kT0 - 1h;
  full.record.ingest_time = kT0 - 59min;
  full.record.position = "\0\xff\xfe 'quoted' \"double\""s;
  std::vector<DeadLetter> batch{full};
  ASSERT_TRUE(store_->add_dead_letters(batch).ok());
  full.id = batch[0].id;
  EXPECT_GT(full.id, id(3));

  auto got = store_->get_dead_letter(full.id);
  ASSERT_TRUE(got.ok()) << got.error().message();
  ASSERT_TRUE(got->has_value());
  expect_same_letter(**got, full);
}

TEST_F(DeadLetterStoreTest, GetOfUnknownIdIsEmpty) {
  auto got = store_->get_dead_letter(id(3) + 100);
  ASSERT_TRUE(got.ok()) << got.error().message();
  EXPECT_FALSE(got->has_value());
}

TEST_F(DeadLetterStoreTest, ListWithoutFilterReturnsEverythingInIdOrder) {
  auto listed = store_->list_dead_letters({});
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), 4u);
  for (std::size_t i = 0; i < letters_.size(); ++i) expect_same_letter((*listed)[i], letters_[i]);
}

TEST_F(DeadLetterStoreTest, ListHonoursEachFilterField) {
  EXPECT_EQ(list_ids(*store_, {.pipeline = "a"}), (std::vector{id(0), id(1), id(3)}));
  EXPECT_EQ(list_ids(*store_, {.pipeline = "b"}), (std::vector{id(2)}));
  EXPECT_EQ(list_ids(*store_, {.pipeline = "nobody"}), (std::vector<std::int64_t>{}));
  EXPECT_EQ(list_ids(*store_, {.id = id(1)}), (std::vector{id(1)}));
  EXPECT_EQ(list_ids(*store_, {.since = kT0 + 2s}), (std::vector{id(2), id(3)}));
  EXPECT_EQ(list_ids(*store_, {.after_id = id(1)}), (std::vector{id(2), id(3)}));
  EXPECT_EQ(list_ids(*store_, {.limit = 2}), (std::vector{id(0), id(1)}));
  EXPECT_EQ(list_ids(*store_, {.replay_requested_only = true}), (std::vector<std::int64_t>{}));
  // Fields combine.
  EXPECT_EQ(list_ids(*store_, {.pipeline = "a", .since = kT0 + 1s}), (std::vector{id(1), id(3)}));
  EXPECT_EQ(list_ids(*store_, {.pipeline = "b", .id = id(1)}), (std::vector<std::int64_t>{}));
}

TEST_F(DeadLetterStoreTest, PagingWithAfterIdAndLimitVisitsEveryEntryOnce) {
  std::vector<std::int64_t> seen;
  DeadLetterFilter page{.pipeline = "a", .limit = 2};
  for (int pages = 0; pages < 10; ++pages) {
    const std::vector<std::int64_t> ids = list_ids(*store_, page);
    if (ids.empty()) break;
    seen.insert(seen.end(), ids.begin(), ids.end());
    page.after_id = ids.back();
  }
  EXPECT_EQ(seen, (std::vector{id(0), id(1), id(3)}));
}

TEST_F(DeadLetterStoreTest, RequestReplayMarksMatchingEntriesAndCountsAlreadyMarkedOnes) {
  auto marked = store_->request_replay({.pipeline = "a", .since = kT0 + 1s});
  ASSERT_TRUE(marked.ok()) << marked.error().message();
  EXPECT_EQ(*marked, 2u);
  EXPECT_EQ(list_ids(*store_, {.replay_requested_only = true}), (std::vector{id(1), id(3)}));
  EXPECT_EQ(list_ids(*store_, {.pipeline = "a", .replay_requested_only = true}),
            (std::vector{id(1), id(3)}));
  EXPECT_EQ(list_ids(*store_, {.pipeline = "b", .replay_requested_only = true}),
            (std::vector<std::int64_t>{}));

  auto again = store_->request_replay({.pipeline = "a"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, 3u);
  auto by_id = store_->request_replay({.id = id(2)});
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(*by_id, 1u);
  auto after = store_->request_replay({.after_id = id(3)});
  ASSERT_TRUE(after.ok());
  EXPECT_EQ(*after, 0u);
  auto got = store_->get_dead_letter(id(2));
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_TRUE((*got)->replay_requested);
}

TEST_F(DeadLetterStoreTest, RequestReplayWithEmptyFilterMarksEverything) {
  auto marked = store_->request_replay({});
  ASSERT_TRUE(marked.ok()) << marked.error().message();
  EXPECT_EQ(*marked, 4u);
  EXPECT_EQ(list_ids(*store_, {.replay_requested_only = true}), ids_of(letters_));
}

TEST_F(DeadLetterStoreTest, ReplayFailureRecordsTheNewErrorAndClearsTheMark) {
  ASSERT_TRUE(store_->request_replay({.id = id(1)}).ok());
  const Status recorded =
      store_->record_replay_failure(id(1), "retryable", "HTTP 503 after 5 attempts", 5, kT0 + 1h);
  ASSERT_TRUE(recorded.ok()) << recorded.error().message();

  auto got = store_->get_dead_letter(id(1));
  ASSERT_TRUE(got.ok() && got->has_value());
  DeadLetter expected = letters_[1];
  expected.error_kind = "retryable";
  expected.error = "HTTP 503 after 5 attempts";
  expected.attempts = 1 + 5;
  expected.last_failure = kT0 + 1h;
  expected.replay_requested = false;
  expect_same_letter(**got, expected);
  EXPECT_EQ(list_ids(*store_, {.replay_requested_only = true}), (std::vector<std::int64_t>{}));

  // Purged meanwhile: nothing to record, and no error.
  EXPECT_TRUE(store_->record_replay_failure(id(3) + 100, "permanent", "gone", 1, kT0).ok());
}

TEST_F(DeadLetterStoreTest, RemoveDeletesTheGivenIdsAndIgnoresUnknownOnes) {
  const Status removed = store_->remove_dead_letters({id(0), id(2), id(3) + 100});
  ASSERT_TRUE(removed.ok()) << removed.error().message();
  EXPECT_EQ(list_ids(*store_, {}), (std::vector{id(1), id(3)}));
  EXPECT_TRUE(store_->remove_dead_letters({}).ok());
}

TEST_F(DeadLetterStoreTest, PurgeDeletesMatchingEntriesAndSaysHowMany) {
  auto purged = store_->purge_dead_letters({.pipeline = "a", .since = kT0 + 1s});
  ASSERT_TRUE(purged.ok()) << purged.error().message();
  EXPECT_EQ(*purged, 2u);
  EXPECT_EQ(list_ids(*store_, {}), (std::vector{id(0), id(2)}));

  ASSERT_TRUE(store_->request_replay({.id = id(2)}).ok());
  auto replayed_only = store_->purge_dead_letters({.replay_requested_only = true});
  ASSERT_TRUE(replayed_only.ok());
  EXPECT_EQ(*replayed_only, 1u);

  auto everything = store_->purge_dead_letters({});
  ASSERT_TRUE(everything.ok());
  EXPECT_EQ(*everything, 1u);
  EXPECT_EQ(list_ids(*store_, {}), (std::vector<std::int64_t>{}));
}

TEST_F(DeadLetterStoreTest, CountIsPerPipeline) {
  for (const auto& [pipeline, expected] :
       {std::pair{"a", 3u}, std::pair{"b", 1u}, std::pair{"nobody", 0u}}) {
    auto count = store_->count_dead_letters(pipeline);
    ASSERT_TRUE(count.ok()) << count.error().message();
    EXPECT_EQ(*count, expected) << pipeline;
  }
}

TEST_F(DeadLetterStoreTest, IdsAreNeverReusedAfterPurgeNorAfterReopen) {
  const std::int64_t highest = id(3);
  ASSERT_TRUE(store_->purge_dead_letters({}).ok());
  std::vector<DeadLetter> next{letter("a", "after-purge")};
  ASSERT_TRUE(store_->add_dead_letters(next).ok());
  EXPECT_GT(next[0].id, highest);

  ASSERT_TRUE(store_->purge_dead_letters({}).ok());
  store_.reset();
  store_ = open_store_or_fail(path_);
  ASSERT_TRUE(store_);
  std::vector<DeadLetter> reopened{letter("a", "after-reopen")};
  ASSERT_TRUE(store_->add_dead_letters(reopened).ok());
  EXPECT_GT(reopened[0].id, next[0].id);
}

TEST_F(DeadLetterStoreTest, EntriesAndReplayMarksSurviveReopen) {
  ASSERT_TRUE(store_->request_replay({.id = id(2)}).ok());
  letters_[2].replay_requested = true;
  store_.reset();

  auto reopened = open_store_or_fail(path_);
  ASSERT_TRUE(reopened);
  auto listed = reopened->list_dead_letters({});
  ASSERT_TRUE(listed.ok()) << listed.error().message();
  ASSERT_EQ(listed->size(), letters_.size());
  for (std::size_t i = 0; i < letters_.size(); ++i) expect_same_letter((*listed)[i], letters_[i]);
}

TEST_F(DeadLetterStoreTest, AFailedAddStoresNoneOfTheBatchAndLeavesIdsUnset) {
  // The second entry of the batch fails inside the transaction.
  RawDatabase(path_).exec(
      "CREATE TRIGGER reject_poison BEFORE INSERT ON dead_letters WHEN NEW.stage = 'poison' "
      "BEGIN SELECT RAISE(ABORT, 'poison refused'); END");
  std::vector<DeadLetter> batch{letter("c", "good"), letter("c", "bad")};
  batch[1].stage = "poison";

  const Status added = store_->add_dead_letters(batch);
  ASSERT_FALSE(added.ok());
  EXPECT_EQ(added.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(added.error().message(),
            "state store " + path_ + ": add dead letters for pipeline 'c': poison refused");
  EXPECT_EQ(batch[0].id, 0);
  EXPECT_EQ(batch[1].id, 0);
  auto count = store_->count_dead_letters("c");
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(*count, 0u);
}

TEST_F(DeadLetterStoreTest, AFailedRemoveRemovesNothing) {
  RawDatabase(path_).exec("CREATE TRIGGER keep_b1 BEFORE DELETE ON dead_letters WHEN OLD.id = " +
                          std::to_string(id(2)) + " BEGIN SELECT RAISE(ABORT, 'kept'); END");
  const Status removed = store_->remove_dead_letters({id(0), id(2)});
  ASSERT_FALSE(removed.ok());
  EXPECT_EQ(removed.error().message(), "state store " + path_ + ": remove dead letters: kept");
  EXPECT_EQ(list_ids(*store_, {}), ids_of(letters_));
}

TEST_F(DeadLetterStoreTest, LockHeldByAnotherConnectionIsRetryableAndNamed) {
  store_.reset();
  store_ = open_store_or_fail(path_, {.busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(store_);
  RawDatabase other(path_);
  other.exec("BEGIN IMMEDIATE");

  std::vector<DeadLetter> batch{letter("a", "late")};
  const Status added = store_->add_dead_letters(batch);
  ASSERT_FALSE(added.ok());
  EXPECT_TRUE(added.error().retryable());
  EXPECT_EQ(added.error().message(),
            "state store " + path_ + ": add dead letters for pipeline 'a': database is locked");
  EXPECT_EQ(batch[0].id, 0);

  auto marked = store_->request_replay({.pipeline = "b"});
  ASSERT_FALSE(marked.ok());
  EXPECT_TRUE(marked.error().retryable());
  EXPECT_EQ(marked.error().message(),
            "state store " + path_ + ": request replay for pipeline 'b': database is locked");

  other.exec("ROLLBACK");
  EXPECT_TRUE(store_->add_dead_letters(batch).ok());
  EXPECT_GT(batch[0].id, id(3));
}

TEST_F(DeadLetterStoreTest, ACorruptStoredRecordIsReportedWithItsId) {
  RawDatabase(path_).exec("UPDATE dead_letters SET record = '{\"key\": ' WHERE id = " +
                          std::to_string(id(1)));
  auto listed = store_->list_dead_letters({.pipeline = "a"});
  ASSERT_FALSE(listed.ok());
  EXPECT_EQ(listed.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(listed.error().message(),
            "state store " + path_ + ": list dead letters for pipeline 'a': dead letter " +
                std::to_string(id(1)) + ": the stored record is not JSON");
  // The others can still be read one by one, and the broken one purged.
  EXPECT_TRUE(store_->get_dead_letter(id(0)).ok());
  auto purged = store_->purge_dead_letters({.id = id(1)});
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1u);
  EXPECT_EQ(list_ids(*store_, {.pipeline = "a"}), (std::vector{id(0), id(3)}));
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST_F(DeadLetterStoreTest, ARecordThatFailsAgainUpdatesItsEntryInsteadOfAddingOne) {
  // After a crash the source re-reads a record whose dead letter was written but whose position
  // was not committed; it fails again and must not appear twice.
  std::vector<DeadLetter> first{letter("orders", "7"), letter("orders", "8")};
  ASSERT_TRUE(store_->add_dead_letters(first).ok());
  DeadLetter again = letter("orders", "7", kT0 + 60s);
  again.error = "HTTP 422: still invalid";
  again.attempts = 3;
  std::vector<DeadLetter> second{again, letter("billing", "7")};  // another pipeline: its own
  ASSERT_TRUE(store_->add_dead_letters(second).ok());
  EXPECT_EQ(second[0].id, first[0].id);
  EXPECT_NE(second[1].id, first[0].id);

  DeadLetterFilter orders;
  orders.pipeline = "orders";
  auto listed = store_->list_dead_letters(orders);
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u) << "7 and 8, each once";
  const DeadLetter& updated = (*listed)[0];
  EXPECT_EQ(updated.record.key, "7");
  EXPECT_EQ(updated.error, "HTTP 422: still invalid");
  EXPECT_EQ(updated.attempts, 4);
  EXPECT_EQ(updated.first_failure, first[0].first_failure);
  EXPECT_EQ(updated.last_failure, kT0 + 60s);
}

}  // namespace
}  // namespace weft
