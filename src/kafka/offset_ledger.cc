#include "kafka/offset_ledger.h"

#include <charconv>

namespace weft::kafka {
namespace {

// Splits "topic/partition/offset"; false when `position` is not one.
bool parse_position(const Position& position, TopicPartition& tp, std::int64_t& offset) {
  const auto last = position.rfind('/');
  if (last == std::string::npos || last == 0) return false;
  const auto middle = position.rfind('/', last - 1);
  if (middle == std::string::npos) return false;
  tp.topic = position.substr(0, middle);
  const char* begin = position.data();
  const auto p = std::from_chars(begin + middle + 1, begin + last, tp.partition);
  const auto o = std::from_chars(begin + last + 1, begin + position.size(), offset);
  return p.ec == std::errc{} && p.ptr == begin + last && o.ec == std::errc{} &&
         o.ptr == begin + position.size();
}

}  // namespace

Position OffsetLedger::position(const TopicPartition& tp, std::int64_t offset) {
  return tp.topic + '/' + std::to_string(tp.partition) + '/' + std::to_string(offset);
}

std::size_t OffsetLedger::index_of(const TopicPartition& tp) {
  auto [it, added] = indices_.try_emplace(tp, names_.size());
  if (added) {
    names_.push_back(tp);
    partitions_.emplace_back();
  }
  return it->second;
}

void OffsetLedger::assign(const TopicPartition& tp) {
  Partition& p = partitions_[index_of(tp)];
  p = Partition{};
  p.assigned = true;
  p.generation = next_generation_++;
}

std::optional<CommitOffset> OffsetLedger::revoke(const TopicPartition& tp) {
  const std::size_t index = index_of(tp);
  auto last = pending(index);
  partitions_[index] = Partition{};
  return last;
}

bool OffsetLedger::assigned(const TopicPartition& tp) const {
  auto it = indices_.find(tp);
  return it != indices_.end() && partitions_[it->second].assigned;
}

void OffsetLedger::read(const TopicPartition& tp, std::int64_t offset) {
  const std::size_t index = index_of(tp);
  reads_.push_back(Read{index, partitions_[index].generation, offset});
}

bool OffsetLedger::settle(const Position& position) {
  TopicPartition tp;
  std::int64_t offset = 0;
  if (!parse_position(position, tp, offset)) return false;
  auto found = indices_.find(tp);
  if (found == indices_.end()) return false;
  std::size_t through = 0;
  while (through < reads_.size() &&
         (reads_[through].partition != found->second || reads_[through].offset != offset)) {
    ++through;
  }
  if (through == reads_.size()) return false;
  for (std::size_t i = 0; i <= through; ++i) {
    const Read& r = reads_.front();
    Partition& p = partitions_[r.partition];
    // Only reads of the current assignment count: a revoked partition's records belong to its
    // next owner's replay.
    if (p.assigned && p.generation == r.generation && r.offset + 1 > p.settled_next) {
      p.settled_next = r.offset + 1;
    }
    reads_.pop_front();
  }
  return true;
}

std::optional<CommitOffset> OffsetLedger::pending(std::size_t index) {
  Partition& p = partitions_[index];
  if (!p.assigned || p.settled_next <= p.committed_next) return std::nullopt;
  p.committed_next = p.settled_next;
  return CommitOffset{names_[index], p.settled_next};
}

std::vector<CommitOffset> OffsetLedger::take_commits() {
  std::vector<CommitOffset> out;
  for (std::size_t i = 0; i < partitions_.size(); ++i) {
    if (auto c = pending(i)) out.push_back(std::move(*c));
  }
  return out;
}

}  // namespace weft::kafka
