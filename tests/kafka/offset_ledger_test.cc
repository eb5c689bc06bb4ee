// OffsetLedger: which offsets a consumer may commit as the pipeline settles records.

#include "kafka/offset_ledger.h"

#include <gtest/gtest.h>

namespace weft::kafka {
namespace {

const TopicPartition kA{"orders", 0};
const TopicPartition kB{"orders", 1};

std::string pos(const TopicPartition& tp, std::int64_t offset) {
  return OffsetLedger::position(tp, offset);
}

TEST(OffsetLedger, APositionNamesTopicPartitionAndOffset) {
  EXPECT_EQ(pos(TopicPartition{"dbserver1.public.customers", 3}, 42),
            "dbserver1.public.customers/3/42");
}

TEST(OffsetLedger, SettlingARecordCommitsEachPartitionUpToWhatWasReadBeforeIt) {
  OffsetLedger ledger;
  ledger.assign(kA);
  ledger.assign(kB);
  ledger.read(kA, 10);
  ledger.read(kB, 5);
  ledger.read(kA, 11);
  ledger.read(kB, 6);
  EXPECT_TRUE(ledger.take_commits().empty()) << "nothing settled yet";

  ASSERT_TRUE(ledger.settle(pos(kA, 11)));  // settles A/10, B/5, A/11 (read order)
  auto commits = ledger.take_commits();
  ASSERT_EQ(commits.size(), 2u);
  EXPECT_EQ(commits[0].partition, kA);
  EXPECT_EQ(commits[0].next_offset, 12) << "the next offset to read, one past the settled";
  EXPECT_EQ(commits[1].partition, kB);
  EXPECT_EQ(commits[1].next_offset, 6) << "B/6 was read after A/11: not settled";
  EXPECT_TRUE(ledger.take_commits().empty()) << "each advance is committed once";
  EXPECT_EQ(ledger.unsettled(), 1u);
}

TEST(OffsetLedger, AnUnknownPositionSettlesNothing) {
  OffsetLedger ledger;
  ledger.assign(kA);
  ledger.read(kA, 1);
  EXPECT_FALSE(ledger.settle(pos(kA, 7)));
  EXPECT_FALSE(ledger.settle(pos(kB, 1)));
  EXPECT_FALSE(ledger.settle("not a position"));
  EXPECT_FALSE(ledger.settle("orders/x/1"));
  EXPECT_EQ(ledger.unsettled(), 1u);
  EXPECT_TRUE(ledger.take_commits().empty());
}

TEST(OffsetLedger, RevokingHandsBackWhatWasSettledAndNotYetCommitted) {
  OffsetLedger ledger;
  ledger.assign(kA);
  ledger.read(kA, 1);
  ledger.read(kA, 2);
  ASSERT_TRUE(ledger.settle(pos(kA, 1)));
  auto last = ledger.revoke(kA);
  ASSERT_TRUE(last.has_value());
  EXPECT_EQ(last->next_offset, 2);
  EXPECT_FALSE(ledger.assigned(kA));
}

TEST(OffsetLedger, RecordsOfARevokedPartitionAreNotCommittedWhenTheySettleLater) {
  OffsetLedger ledger;
  ledger.assign(kA);
  ledger.read(kA, 1);
  ledger.read(kA, 2);
  EXPECT_FALSE(ledger.revoke(kA).has_value()) << "nothing settled before the revocation";
  // The partition comes back (another rebalance) and is read again from the group's offset.
  ledger.assign(kA);
  ledger.read(kA, 1);
  ASSERT_TRUE(ledger.settle(pos(kA, 2)));  // the old reads of 1 and 2 settle
  EXPECT_TRUE(ledger.take_commits().empty())
      << "reads from before the revocation belong to the previous assignment";
  ASSERT_TRUE(ledger.settle(pos(kA, 1)));  // the read of the new assignment
  auto commits = ledger.take_commits();
  ASSERT_EQ(commits.size(), 1u);
  EXPECT_EQ(commits[0].next_offset, 2);
}

TEST(OffsetLedger, APartitionNotAssignedIsNeverCommitted) {
  OffsetLedger ledger;
  ledger.read(kA, 3);
  ASSERT_TRUE(ledger.settle(pos(kA, 3)));
  EXPECT_TRUE(ledger.take_commits().empty());
}

}  // namespace
}  // namespace weft::kafka
