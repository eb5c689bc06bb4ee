#include "admin/tap_stream.h"

#include <utility>

namespace weft {

const char* to_string(TapStage stage) {
  switch (stage) {
    case TapStage::kSource: return "source";
    case TapStage::kMapped: return "mapped";
    case TapStage::kSink: return "sink";
  }
  return "unknown";
}

std::optional<TapStage> parse_tap_stage(std::string_view text) {
  for (TapStage stage : {TapStage::kSource, TapStage::kMapped, TapStage::kSink}) {
    if (text == to_string(stage)) return stage;
  }
  return std::nullopt;
}

TapStream::TapStream(std::size_t limit, std::size_t max_buffered)
    : limit_(limit), max_buffered_(max_buffered) {}

bool TapStream::wants_more() const {
  std::lock_guard lock(mutex_);
  return !ended_ && accepted_ < limit_;
}

void TapStream::push(std::string line) {
  std::unique_lock lock(mutex_);
  if (ended_ || accepted_ >= limit_ || lines_.size() >= max_buffered_) return;
  lines_.push_back(std::move(line));
  if (++accepted_ == limit_) ended_ = true;
  notify_ready(lock);
}

void TapStream::finish() {
  std::unique_lock lock(mutex_);
  if (ended_) return;
  ended_ = true;
  notify_ready(lock);
}

std::vector<std::string> TapStream::take() {
  std::lock_guard lock(mutex_);
  std::vector<std::string> out(std::make_move_iterator(lines_.begin()),
                               std::make_move_iterator(lines_.end()));
  lines_.clear();
  return out;
}

bool TapStream::done() const {
  std::lock_guard lock(mutex_);
  return ended_ && lines_.empty();
}

void TapStream::cancel() {
  std::lock_guard lock(mutex_);
  ended_ = true;
  lines_.clear();
  notify_ = nullptr;
}

void TapStream::on_ready(std::function<void()> notify) {
  std::unique_lock lock(mutex_);
  notify_ = std::move(notify);
  if (!lines_.empty() || ended_) notify_ready(lock);
}

void TapStream::notify_ready(std::unique_lock<std::mutex>& lock) {
  auto notify = notify_;
  lock.unlock();
  if (notify) notify();
}

}  // namespace weft
