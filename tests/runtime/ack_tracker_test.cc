#include "runtime/ack_tracker.h"

#include <gtest/gtest.h>

#include <string>

namespace weft {
namespace {

Batch batch_of(std::initializer_list<const char*> positions) {
  Batch b;
  for (const char* p : positions) {
    Record r;
    r.position = p;
    b.push_back(std::move(r));
  }
  return b;
}

TEST(AckTracker, NothingCommittableBeforeAnyAck) {
  AckTracker t;
  t.track(batch_of({"1", "2", "3"}));
  EXPECT_EQ(t.take_committable(), std::nullopt);
  EXPECT_EQ(t.in_flight(), 3u);
}

TEST(AckTracker, InOrderAcksAdvanceTheWatermark) {
  AckTracker t;
  Sequence first = t.track(batch_of({"a", "b", "c"}));
  t.ack(first);
  EXPECT_EQ(t.take_committable(), "a");
  t.ack_range(first + 1, 2);
  EXPECT_EQ(t.take_committable(), "c");
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(AckTracker, OutOfOrderAcksCommitOnlyUpToTheLowestUnacked) {
  AckTracker t;
  Sequence first = t.track(batch_of({"10", "11", "12", "13"}));
  t.ack(first + 3);
  t.ack(first + 1);
  EXPECT_EQ(t.take_committable(), std::nullopt) << "record 10 is not acknowledged yet";
  t.ack(first);
  EXPECT_EQ(t.take_committable(), "11") << "12 is still missing";
  t.ack(first + 2);
  EXPECT_EQ(t.take_committable(), "13");
}

TEST(AckTracker, PartialBatchFailureHoldsTheWatermarkAtTheFailedRecord) {
  AckTracker t;
  Sequence first = t.track(batch_of({"1", "2", "3", "4", "5"}));
  // The sink delivered everything except record 3 (index 2).
  for (Sequence s : {first, first + 1, first + 3, first + 4}) t.ack(s);
  EXPECT_EQ(t.take_committable(), "2");
  EXPECT_EQ(t.in_flight(), 1u);
  // A later batch is fully delivered: still nothing past the failed record.
  Sequence second = t.track(batch_of({"6", "7"}));
  t.ack_range(second, 2);
  EXPECT_EQ(t.take_committable(), std::nullopt);
  t.ack(first + 2);  // the retry succeeded
  EXPECT_EQ(t.take_committable(), "7");
}

TEST(AckTracker, ShutdownMidBatchCommitsOnlyTheContiguousPrefix) {
  AckTracker t;
  Sequence first = t.track(batch_of({"1", "2", "3"}));
  Sequence second = t.track(batch_of({"4", "5", "6"}));
  t.ack_range(first, 3);
  t.ack(second);  // the drain deadline hit while the rest of the second batch was in flight
  EXPECT_EQ(t.take_committable(), "4");
  EXPECT_EQ(t.in_flight(), 2u) << "records 5 and 6 are re-read after restart";
}

TEST(AckTracker, DuplicateAndUnknownAcksAreIgnored) {
  AckTracker t;
  Sequence first = t.track(batch_of({"1", "2"}));
  t.ack(first);
  t.ack(first);          // a retried write reported twice
  t.ack(first + 100);    // never tracked
  EXPECT_EQ(t.in_flight(), 1u);
  EXPECT_EQ(t.take_committable(), "1");
  EXPECT_EQ(t.take_committable(), std::nullopt) << "the watermark did not move again";
}

TEST(AckTracker, SequencesContinueAcrossBatches) {
  AckTracker t;
  Sequence a = t.track(batch_of({"1", "2"}));
  Sequence b = t.track(batch_of({"3"}));
  EXPECT_EQ(b, a + 2);
}

TEST(AckTracker, ARangeMaySpanBatches) {
  AckTracker t;
  Sequence first = t.track(batch_of({"1", "2"}));
  t.track(batch_of({"3", "4", "5"}));
  t.ack_range(first + 1, 3);  // 2, 3 and 4
  EXPECT_EQ(t.take_committable(), std::nullopt);
  t.ack(first);
  EXPECT_EQ(t.take_committable(), "4");
  EXPECT_EQ(t.in_flight(), 1u);
}

TEST(AckTracker, AcksOfCommittedRecordsAndEmptyBatchesChangeNothing) {
  AckTracker t;
  Sequence first = t.track(batch_of({"1", "2"}));
  t.ack_range(first, 2);
  EXPECT_EQ(t.take_committable(), "2");
  Sequence empty = t.track(Batch{});
  Sequence next = t.track(batch_of({"3"}));
  EXPECT_EQ(empty, next) << "an empty batch takes no sequence";
  t.ack_range(first, 2);  // reported again after the commit
  EXPECT_EQ(t.take_committable(), std::nullopt);
  EXPECT_EQ(t.in_flight(), 1u);
  t.ack_range(first, 3);  // the stale part is skipped, the new record counts
  EXPECT_EQ(t.take_committable(), "3");
  EXPECT_EQ(t.in_flight(), 0u);
}

TEST(AckTracker, PositionsOfDifferentLengthsComeBackWhole) {
  AckTracker t;
  const std::string long_position(300, 'p');
  Sequence first = t.track(batch_of({"", long_position.c_str(), "x"}));
  t.ack(first);
  EXPECT_EQ(t.take_committable(), "");
  t.ack(first + 1);
  EXPECT_EQ(t.take_committable(), long_position);
  t.ack(first + 2);
  EXPECT_EQ(t.take_committable(), "x");
}

}  // namespace
}  // namespace weft
