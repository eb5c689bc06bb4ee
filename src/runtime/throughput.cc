#include "runtime/throughput.h"

namespace weft {
namespace {
// Samples closer together than this are not kept: they add nothing but memory.
constexpr std::chrono::milliseconds kMinSpacing{500};
}  // namespace

Rates ThroughputMeter::sample(TimePoint now, std::uint64_t records_in,
                              std::uint64_t records_out) {
  std::lock_guard lock(mutex_);
  while (samples_.size() > 1 && samples_[1].at <= now - kWindow) samples_.pop_front();
  Rates rates;
  if (!samples_.empty() && now > samples_.front().at) {
    const Sample& base = samples_.front();
    const double seconds = std::chrono::duration<double>(now - base.at).count();
    rates.in_per_second = static_cast<double>(records_in - base.in) / seconds;
    rates.out_per_second = static_cast<double>(records_out - base.out) / seconds;
  }
  if (samples_.empty() || now - samples_.back().at >= kMinSpacing) {
    samples_.push_back({now, records_in, records_out});
  }
  return rates;
}

}  // namespace weft
