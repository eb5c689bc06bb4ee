#pragma once

// `weft tap`: live records sampled at a pipeline stage for whoever asks through the admin API,
// with secrets and personal data hidden. Costs one relaxed atomic load per batch and stage while
// nobody taps.

#include <array>
#include <atomic>
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "admin/tap_stream.h"
#include "weft/record.h"

namespace weft {

struct MappingSpec;

// Hides, at any depth of a record's value, before-image and headers, the value of every key
// whose name marks a secret (password, token, api_key, authorization, ...) or personal data:
// the fields a canonical model marks `pii: true`, and the source fields mapped into them. Names
// match case-insensitively, ignoring '_' and '-'. Hiding a same-named field elsewhere too is the
// price of never showing one that should be hidden.
class TapRedactor {
 public:
  explicit TapRedactor(const MappingSpec* mapping);  // null: the pipeline has no mapping

  // The record as `weft dlq show` prints it, with the hidden values replaced by "***".
  nlohmann::json render(const Record& record) const;

 private:
  bool hidden(std::string_view key) const;
  void redact(nlohmann::json& value) const;

  std::set<std::string, std::less<>> pii_names_;  // normalised
};

// A pipeline's taps. Thread-safe.
class TapHub {
 public:
  TapHub(std::string pipeline, TapRedactor redactor);

  // A stream of up to `limit` records seen at `stage` from now on.
  std::shared_ptr<TapStream> subscribe(TapStage stage, std::size_t limit);

  // True while someone taps `stage`; check before building anything to publish.
  bool tapping(TapStage stage) const {
    return active_[static_cast<std::size_t>(stage)].load(std::memory_order_relaxed);
  }

  // Offers `records` (only those at `indices`, when given) to the streams tapping `stage`.
  void publish(TapStage stage, const Batch& records,
               const std::vector<std::size_t>* indices = nullptr);

  // Ends every stream: the pipeline stopped.
  void close();

 private:
  void prune_locked(std::size_t stage);

  const std::string pipeline_;
  const TapRedactor redactor_;
  std::mutex mutex_;
  std::array<std::vector<std::shared_ptr<TapStream>>, kTapStages> streams_;
  std::array<std::atomic<bool>, kTapStages> active_{};
  bool closed_ = false;
};

}  // namespace weft
