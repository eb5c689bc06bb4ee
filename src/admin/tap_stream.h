#pragma once

// One `weft tap` client's stream of records: the pipeline pushes JSON lines, the admin server
// takes them and writes them to the client. Plain C++ (no Asio), so the runtime and the server
// share it without sharing an executor.

#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

// Where in a pipeline records are tapped: as read, as mapped, as the sink accepted them.
enum class TapStage { kSource, kMapped, kSink };
inline constexpr std::size_t kTapStages = 3;
const char* to_string(TapStage stage);
// "source", "mapped", "sink"; nullopt for anything else.
std::optional<TapStage> parse_tap_stage(std::string_view text);

// Thread-safe.
class TapStream {
 public:
  // `limit`: lines after which the stream ends. `max_buffered`: lines kept for a client that
  // reads slower than records arrive; the rest are skipped (a tap is a sample, and must never
  // hold the pipeline back).
  explicit TapStream(std::size_t limit, std::size_t max_buffered = 1024);

  // ---- the pipeline's side
  // False once the stream ended (limit reached, client gone, pipeline stopped): stop pushing.
  bool wants_more() const;
  // Queues one line (JSON without the newline); counts toward the limit.
  void push(std::string line);
  // Ends the stream (the pipeline stopped or was removed); the client gets what is queued.
  void finish();

  // ---- the server's side
  // Lines queued since the last call, oldest first.
  std::vector<std::string> take();
  // True when nothing more will come: ended and every queued line taken.
  bool done() const;
  // The client went away: the pipeline stops feeding this stream.
  void cancel();
  // `notify` runs (on the pushing thread, without the lock) whenever lines or the end arrive;
  // it must only schedule work, not call back into the stream.
  void on_ready(std::function<void()> notify);

 private:
  void notify_ready(std::unique_lock<std::mutex>& lock);

  const std::size_t limit_;
  const std::size_t max_buffered_;
  mutable std::mutex mutex_;
  std::deque<std::string> lines_;
  std::size_t accepted_ = 0;
  bool ended_ = false;
  std::function<void()> notify_;
};

}  // namespace weft
