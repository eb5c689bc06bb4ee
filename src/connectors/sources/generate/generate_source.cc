#include "connectors/sources/generate/generate_source.h"

#include <algorithm>
#include <charconv>
#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>

namespace weft::generate {
namespace {

namespace asio = boost::asio;
using SteadyClock = std::chrono::steady_clock;

// The longest a read waits before returning an empty batch, so the pipeline can commit and
// notice a stop while the rate is low.
constexpr auto kMaxWait = std::chrono::milliseconds(500);

std::string to_decimal(std::uint64_t n) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
  return std::string(buf, end);
}

class GenerateSource final : public Source {
 public:
  GenerateSource(GenerateConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)),
        escaped_message_(nlohmann::json(config_.message).dump()),
        log_(ctx.logger) {}

  asio::awaitable<Status> connect(std::optional<Position> checkpoint) override {
    if (checkpoint) {
      std::uint64_t last = 0;
      auto [ptr, ec] = std::from_chars(checkpoint->data(), checkpoint->data() + checkpoint->size(),
                                       last);
      if (ec != std::errc() || ptr != checkpoint->data() + checkpoint->size()) {
        co_return Error::permanent("checkpoint '" + *checkpoint +
                                   "' is not a generate position (a record number)");
      }
      next_id_ = last + 1;
    }
    started_ = SteadyClock::now();
    first_id_ = next_id_;
    co_return Status{};
  }

  asio::awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    std::uint64_t want = max_records;
    if (config_.count > 0) want = std::min<std::uint64_t>(want, remaining());
    if (config_.rate > 0 && want > 0) {
      std::uint64_t due = due_now();
      if (due == 0) {
        asio::steady_timer timer(co_await asio::this_coro::executor);
        timer.expires_after(std::min<SteadyClock::duration>(time_until_next(), kMaxWait));
        auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
        if (ec) co_return Error::cancelled("generate: stopped while waiting for the next record");
        due = due_now();
      }
      want = std::min(want, due);
    }
    Batch batch;
    batch.reserve(want);
    const auto now = Clock::now();
    for (std::uint64_t i = 0; i < want; ++i, ++next_id_) {
      Record& r = batch.emplace_back();  // built in place: a Record is a few hundred bytes
      r.key = to_decimal(next_id_);
      r.value = Payload::from_text(render_value(next_id_, escaped_message_, config_.record_size));
      r.op = Operation::kCreate;
      r.event_time = now;
      r.ingest_time = now;
      r.position = r.key;
    }
    co_return std::move(batch);  // GCC 12 does not move implicitly in co_return
  }

  bool finished() const override { return config_.count > 0 && remaining() == 0; }

  asio::awaitable<Status> commit(const Position&) override { co_return Status{}; }
  asio::awaitable<void> close() override { co_return; }

 private:
  // Records `count` allows from next_id_ on (ids start at 1).
  std::uint64_t remaining() const {
    return next_id_ > config_.count ? 0 : config_.count - next_id_ + 1;
  }
  // Records whose time has come under `rate` and have not been produced yet.
  std::uint64_t due_now() const {
    double elapsed = std::chrono::duration<double>(SteadyClock::now() - started_).count();
    auto produced = next_id_ - first_id_;
    auto allowed = static_cast<std::uint64_t>(elapsed * config_.rate) + 1;
    return allowed > produced ? allowed - produced : 0;
  }
  SteadyClock::duration time_until_next() const {
    double at = static_cast<double>(next_id_ - first_id_) / config_.rate;
    auto when = started_ + std::chrono::duration_cast<SteadyClock::duration>(
                               std::chrono::duration<double>(at));
    return std::max(when - SteadyClock::now(), SteadyClock::duration(std::chrono::milliseconds(1)));
  }

  GenerateConfig config_;
  std::string escaped_message_;
  std::shared_ptr<spdlog::logger> log_;
  std::uint64_t next_id_ = 1;
  std::uint64_t first_id_ = 1;
  SteadyClock::time_point started_{};
};

}  // namespace

std::string render_value(std::uint64_t id, const std::string& escaped_message,
                         std::uint64_t record_size) {
  std::string out;
  out.reserve(std::max<std::uint64_t>(record_size, 64));
  out += "{\"id\":";
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, id);
  out.append(buf, end);
  out += ",\"message\":";
  out += escaped_message;
  constexpr std::string_view kPadOpen = ",\"pad\":\"";
  constexpr std::size_t kPadOverhead = kPadOpen.size() + 2;  // the closing quote and brace
  if (record_size > out.size() + kPadOverhead) {
    out += kPadOpen;
    out.append(record_size - out.size() - 2, 'x');
    out += '"';
  }
  out += '}';
  return out;
}

std::unique_ptr<Source> make_generate_source(GenerateConfig config, const ConnectorContext& ctx) {
  return std::make_unique<GenerateSource>(std::move(config), ctx);
}

}  // namespace weft::generate
