#pragma once

// Which Kafka offsets a consumer may commit, given that the pipeline acknowledges records in the
// order they were read, across partitions (the runtime's watermark: "everything read up to this
// record is done"). The ledger remembers each record handed out (partition, offset) in read
// order; an acknowledgement of a record's position settles it and every record read before it,
// and each partition's next offset to commit becomes one past its highest settled offset.
//
// Rebalances: a partition is committed only while it is assigned, and only for records read
// since it was assigned. Records read before a revocation that settle afterwards are forgotten:
// the partition's new owner reads them from the last commit, so they may be delivered twice
// but never skipped.
//
// Pure bookkeeping, no librdkafka: the source (kafka_source.cc) feeds it. Not thread-safe.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weft/record.h"

namespace weft::kafka {

struct TopicPartition {
  std::string topic;
  std::int32_t partition = 0;
  auto operator<=>(const TopicPartition&) const = default;
};

// One offset to commit: the next offset the group reads from the partition.
struct CommitOffset {
  TopicPartition partition;
  std::int64_t next_offset = 0;
};

class OffsetLedger {
 public:
  // "topic/partition/offset": a record's position (Kafka topic names cannot hold '/').
  static Position position(const TopicPartition& tp, std::int64_t offset);

  void assign(const TopicPartition& tp);
  // Returns the partition's settled progress not yet committed, to commit before letting go.
  std::optional<CommitOffset> revoke(const TopicPartition& tp);
  bool assigned(const TopicPartition& tp) const;

  // A record read from `tp` at `offset`, handed to the pipeline in this order.
  void read(const TopicPartition& tp, std::int64_t offset);

  // Every record read up to and including the one at `position` is done. False (and nothing
  // settled) when no unsettled record has that position.
  bool settle(const Position& position);

  // The assigned partitions whose settled progress moved since the last take, to commit now.
  std::vector<CommitOffset> take_commits();

  // Records read and not yet settled.
  std::size_t unsettled() const { return reads_.size(); }

 private:
  struct Partition {
    bool assigned = false;
    std::uint64_t generation = 0;  // which assignment the partition is in
    std::int64_t settled_next = -1;    // one past the highest settled offset; -1: none
    std::int64_t committed_next = -1;  // what take_commits() or revoke() last returned
  };
  struct Read {
    std::size_t partition;  // index into names_ / partitions_
    std::uint64_t generation;
    std::int64_t offset;
  };

  std::size_t index_of(const TopicPartition& tp);
  std::optional<CommitOffset> pending(std::size_t index);

  std::vector<TopicPartition> names_;
  std::vector<Partition> partitions_;
  std::map<TopicPartition, std::size_t> indices_;
  std::deque<Read> reads_;
  std::uint64_t next_generation_ = 1;
};

}  // namespace weft::kafka
