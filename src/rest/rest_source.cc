#include "rest/rest_source.h"

#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <functional>
#include <nlohmann/json.hpp>
#include <unordered_set>

#include "net/url.h"
#include "rest/page_fetcher.h"
#include "rest/page_parser.h"
#include "rest/paginator.h"
#include "rest/rest_position.h"

namespace weft::rest {
namespace {

namespace asio = boost::asio;
using SystemClock = std::chrono::system_clock;

// The longest read_batch waits for the next run before returning an empty batch, so the
// pipeline can commit and notice a stop or a trigger.
constexpr auto kIdleSlice = std::chrono::milliseconds(250);

// A page fetch running on its own coroutine, so the next page can be on the wire while this
// one is turned into records (and several pages at once with `concurrency`).
struct InFlight {
  using Done = asio::experimental::channel<void(boost::system::error_code)>;
  explicit InFlight(const asio::any_io_executor& executor) : done(executor, 1) {}
  PageRequest request;
  std::optional<Result<FetchedPage>> result;
  Done done;
  asio::cancellation_signal cancel;
};

asio::awaitable<void> run_fetch(std::shared_ptr<PageFetcher> fetcher,
                                std::shared_ptr<InFlight> slot, std::string body) {
  auto result = co_await fetcher->fetch(slot->request, std::move(body));
  slot->result.emplace(std::move(result));
  slot->done.try_send(boost::system::error_code{});
}

std::string replace_all(std::string text, std::string_view from, const std::string& to) {
  for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
  }
  return text;
}

std::string key_text(const nlohmann::json& value) {
  if (value.is_null()) return {};
  if (value.is_string()) return value.get<std::string>();
  return value.dump();
}

Clock::time_point event_time_of(const nlohmann::json& value, Clock::time_point fallback) {
  if (value.is_number()) {
    double v = value.get<double>();
    // Epoch seconds, or milliseconds once the number is too large to be seconds.
    auto ms = static_cast<std::int64_t>(v > 1e11 ? v : v * 1000);
    return Clock::time_point(std::chrono::milliseconds(ms));
  }
  if (value.is_string()) {
    if (auto t = parse_timestamp(value.get<std::string>())) {
      return std::chrono::time_point_cast<Clock::duration>(*t);
    }
  }
  return fallback;
}

std::int64_t unix_seconds(SystemClock::time_point t) {
  return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

class RestSource final : public Source {
 public:
  RestSource(RestConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)),
        ctx_(ctx),
        log_(ctx.logger),
        paginator_(config_.paginator),
        parser_(config_.records) {
    if (config_.incremental) next_from_ = config_.incremental->initial_value;
  }

  ~RestSource() override { cancel_fetches(); }

  asio::awaitable<Status> connect(std::optional<Position> checkpoint) override {
    executor_ = co_await asio::this_coro::executor;
    if (!fetcher_) {
      auto fetcher = PageFetcher::create(config_, executor_, ctx_);
      if (!fetcher.ok()) co_return fetcher.error();
      fetcher_ = std::move(*fetcher);
    }
    next_run_at_ = SystemClock::now();
    if (checkpoint) {
      Status restored = restore(*checkpoint);
      if (!restored.ok()) co_return restored;
    }
    log_->info("rest source: {} {}, {}{}", config_.method,
               net::redact_url(config_.url, config_.secret_query_params()),
               config_.once ? "once" : config_.schedule.describe(),
               config_.incremental
                   ? ", incremental on " + config_.incremental->cursor_field.display()
                   : ", full refresh");
    co_return Status{};
  }

  asio::awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    while (true) {
      if (!pending_.empty()) co_return take(max_records);
      if (running_) {
        Status step = co_await next_page();
        if (!step.ok()) co_return step.error();
        continue;
      }
      if (finished_) co_return Batch{};
      if (config_.once && runs_completed_ > 0) {
        finished_ = true;
        co_return Batch{};
      }
      const auto now = SystemClock::now();
      if (trigger_.exchange(false) || now >= next_run_at_) {
        start_run(now);
        continue;
      }
      asio::steady_timer timer(executor_);
      timer.expires_after(std::min<SystemClock::duration>(next_run_at_ - now, kIdleSlice));
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return Error::cancelled("rest source: stopped while waiting for the next run");
      co_return Batch{};
    }
  }

  bool finished() const override { return finished_; }

  asio::awaitable<Status> commit(const Position&) override { co_return Status{}; }

  asio::awaitable<void> close() override {
    cancel_fetches();
    if (fetcher_) fetcher_->close_idle();
    co_return;
  }

  bool trigger() override {
    if (config_.once) return false;
    trigger_ = true;
    return true;
  }

 private:
  // ---- runs ---------------------------------------------------------------------------

  void start_run(SystemClock::time_point now) {
    running_ = true;
    run_started_ = now;
    run_from_ = next_from_;
    if (run_from_ && config_.incremental)
      run_from_ = run_from_->minus(config_.incremental->lookback);
    high_ = next_from_;
    seen_pages_.clear();
    pages_in_run_ = 0;
    records_in_run_ = 0;
    missing_cursor_warned_ = false;
    plan_remaining_ = paginator_.config().concurrency > 1;
    parallel_ = false;
    planned_.push_back(paginator_.first(first_url()));
    log_->info("rest source: run started{}",
               run_from_ ? " from cursor " + run_from_->text() : std::string{});
  }

  void end_run() {
    running_ = false;
    ++runs_completed_;
    if (config_.incremental && high_) next_from_ = high_;
    next_run_at_ = config_.schedule.next_run(run_started_);
    if (next_run_at_ < SystemClock::now()) next_run_at_ = SystemClock::now();
    log_->info("rest source: run finished: {} records in {} pages{}", records_in_run_,
               pages_in_run_, high_ ? "; cursor now " + high_->text() : std::string{});
    fetcher_->close_idle();
  }

  std::string run_text(const std::string& text) const {
    if (text.find("{cursor}") == std::string::npos) return text;
    return replace_all(text, "{cursor}", run_from_ ? run_from_->text() : std::string{});
  }

  std::string first_url() const {
    std::string templated = config_.url;
    if (run_from_) {
      templated = replace_all(templated, "{cursor}", net::percent_encode(run_from_->text()));
    }
    auto url = net::parse_url(templated);
    if (!url.ok()) return config_.url;  // RestConfig::from has parsed it
    net::QueryParams params;
    for (const auto& [name, value] : config_.query) params.emplace_back(name, run_text(value));
    if (config_.incremental && !config_.incremental->param.empty() && run_from_) {
      params.emplace_back(config_.incremental->param, run_from_->text());
    }
    url->target = net::with_query(url->target, params);
    return url->to_string();
  }

  Status restore(const Position& checkpoint) {
    auto position = RestPosition::decode(checkpoint);
    if (!position.ok()) return position.error();
    auto cursor = [this](const nlohmann::json& j) -> Result<std::optional<CursorValue>> {
      if (j.is_null() || !config_.incremental) return std::optional<CursorValue>{};
      auto v = CursorValue::from_json(j, config_.incremental->cursor_type);
      if (!v.ok()) return v.error();
      return std::optional<CursorValue>{std::move(*v)};
    };
    auto from = cursor(position->from);
    auto high = cursor(position->high);
    if (!from.ok()) return from.error();
    if (!high.ok()) return high.error();
    run_started_ = SystemClock::time_point(std::chrono::seconds(position->run_started));
    if (position->run_complete) {
      if (*high) next_from_ = *high;
      runs_completed_ = 1;
      next_run_at_ = config_.schedule.next_run(run_started_);
      return Status{};
    }
    // Inside a run: fetch the record's page again and continue after the record.
    running_ = true;
    run_from_ = *from;
    high_ = *high ? *high : *from;
    skip_ = Skip{position->key, position->index};
    plan_remaining_ = paginator_.config().concurrency > 1;
    parallel_ = false;
    planned_.push_back(position->page);
    log_->info("rest source: resuming a run inside page {}",
               net::redact_url(position->page.url, config_.secret_query_params()));
    return Status{};
  }

  // ---- pages --------------------------------------------------------------------------

  // Starts fetches for planned pages up to the concurrency limit.
  void fill_window() {
    const auto window = static_cast<std::size_t>(paginator_.config().concurrency);
    while (!planned_.empty() && in_flight_.size() < std::max<std::size_t>(window, 1)) {
      auto slot = std::make_shared<InFlight>(executor_);
      slot->request = std::move(planned_.front());
      planned_.pop_front();
      asio::co_spawn(executor_, run_fetch(fetcher_, slot, run_text(config_.body)),
                     asio::bind_cancellation_slot(slot->cancel.slot(), [](std::exception_ptr) {}));
      in_flight_.push_back(std::move(slot));
    }
  }

  void cancel_fetches() {
    for (auto& slot : in_flight_) slot->cancel.emit(asio::cancellation_type::terminal);
    in_flight_.clear();
  }

  // Takes the next page off the wire and turns it into pending records, planning the page
  // after it first so that it is fetched meanwhile.
  asio::awaitable<Status> next_page() {
    fill_window();
    if (in_flight_.empty()) {
      end_run();
      co_return Status{};
    }
    std::shared_ptr<InFlight> slot = in_flight_.front();
    if (!slot->result) {
      auto [ec] = co_await slot->done.async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return Error::cancelled("rest source: stopped while fetching a page");
    }
    in_flight_.pop_front();
    if (!slot->result->ok()) {
      // Fetched again on the next read (the runtime waits its backoff first); pages after it
      // that are already in flight are fetched again too, to keep the order simple.
      planned_.push_front(std::move(slot->request));
      for (auto it = in_flight_.rbegin(); it != in_flight_.rend(); ++it) {
        (*it)->cancel.emit(asio::cancellation_type::terminal);
        planned_.push_front(std::move((*it)->request));
      }
      in_flight_.clear();
      co_return slot->result->error();
    }
    FetchedPage page = std::move(slot->result->value());
    co_return take_page(page);
  }

  Status take_page(FetchedPage& page) {
    const std::string shown = net::redact_url(page.request.url, config_.secret_query_params());
    const std::string where = config_.method + " " + shown + ": ";
    if (Status parsed = parser_.parse(page.response.body); !parsed.ok()) {
      std::string message = parsed.error().message();
      if (message.rfind("the response is not JSON", 0) == 0) {
        auto type = page.response.header("Content-Type");
        if (type) message += " (Content-Type " + std::string(*type) + ")";
        message += ": " + page.response.body.substr(0, 120);
      }
      return Error::permanent(where + message);
    }
    ++pages_in_run_;
    if (config_.max_pages_per_run > 0 && pages_in_run_ > config_.max_pages_per_run) {
      return Error::permanent("rest source: the run went past max_pages_per_run (" +
                              std::to_string(config_.max_pages_per_run) + ") at " + shown);
    }
    const auto& records = parser_.records();
    nlohmann::json last_record;
    if (!records.empty()) last_record = nlohmann::json::parse(records.back(), nullptr, false);
    const PageView view{page.response, parser_.rest(), records.size(), last_record};
    Status planned = plan_after(page.request, view);
    if (!planned.ok()) {
      Error e = planned.error();
      return e.with_context(config_.method + " " + shown);
    }
    const bool last_page = planned_.empty() && in_flight_.empty();
    emit(page.request, last_page);
    return Status{};
  }

  // Plans the pages after `current`: all of them at once when the total is known and pages
  // are fetched in parallel, otherwise the next one. Starts their fetches.
  Status plan_after(const PageRequest& current, const PageView& view) {
    if (plan_remaining_) {
      plan_remaining_ = false;
      if (auto rest = paginator_.remaining(current, view)) {
        for (auto& request : *rest) planned_.push_back(std::move(request));
        parallel_ = true;
      }
    }
    if (!parallel_) {
      auto next = paginator_.next(current, view);
      if (!next.ok()) return next.error();
      if (*next) {
        if (!seen_pages_.insert(std::hash<std::string>{}((*next)->url)).second) {
          return Error::permanent(
              "the API sent the same next page twice (" +
              net::redact_url((*next)->url, config_.secret_query_params()) +
              "): stopping the run instead of paging forever; check the paginator settings");
        }
        planned_.push_back(std::move(**next));
      }
    }
    fill_window();
    return Status{};
  }

  void emit(const PageRequest& request, bool last_page) {
    const auto& records = parser_.records();
    std::size_t first = 0;
    if (skip_) {
      first = resume_index();
      skip_.reset();
    }
    const auto now = Clock::now();
    const PagePositions positions(unix_seconds(run_started_), request,
                                  run_from_ ? run_from_->to_json() : nlohmann::json());
    std::string high = high_ ? high_->to_json().dump() : std::string();
    for (std::size_t i = first; i < records.size(); ++i) {
      const std::string_view item = records[i];
      Record& r = pending_.emplace_back();
      if (config_.primary_key) r.key = key_text(parser_.field(item, *config_.primary_key));
      r.event_time =
          config_.event_time ? event_time_of(parser_.field(item, *config_.event_time), now) : now;
      r.ingest_time = now;
      if (config_.incremental && advance_cursor(item)) high = high_->to_json().dump();
      const bool run_complete = last_page && i + 1 == records.size();
      r.position = positions.record(static_cast<std::int64_t>(i), r.key, high, run_complete);
      r.value = Payload::from_text(std::string(item));
      ++records_in_run_;
    }
    if (last_page && pending_.empty()) end_run();
  }

  // Where to continue in a page fetched again after a restart: after the record with the
  // checkpoint's key, or, without a key, after its index. A key no longer on the page means
  // the page changed: everything on it is delivered again rather than risk skipping a record.
  std::size_t resume_index() {
    const auto& records = parser_.records();
    if (skip_->key.empty()) {
      return std::min<std::size_t>(static_cast<std::size_t>(skip_->index) + 1, records.size());
    }
    for (std::size_t i = 0; i < records.size(); ++i) {
      if (key_text(parser_.field(records[i], *config_.primary_key)) == skip_->key) return i + 1;
    }
    log_->warn(
        "rest source: record '{}' is no longer on the page it was delivered from; "
        "delivering the whole page again",
        skip_->key);
    return 0;
  }

  // Keeps the largest cursor value; true when `item` raised it.
  bool advance_cursor(std::string_view item) {
    const nlohmann::json value = parser_.field(item, config_.incremental->cursor_field);
    Result<CursorValue> cursor =
        value.is_null() ? Result<CursorValue>(Error::permanent("missing"))
                        : CursorValue::from_json(value, config_.incremental->cursor_type);
    if (!cursor.ok()) {
      if (!missing_cursor_warned_) {
        log_->warn(
            "rest source: a record's cursor field {} is unusable ({}); such records do "
            "not move the cursor",
            config_.incremental->cursor_field.display(), cursor.error().message());
        missing_cursor_warned_ = true;
      }
      return false;
    }
    if (high_ && !(*high_ < *cursor)) return false;
    high_ = std::move(*cursor);
    return true;
  }

  Batch take(std::size_t max_records) {
    Batch batch;
    const std::size_t n = std::min(max_records, pending_.size());
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(pending_.front()));
      pending_.pop_front();
    }
    if (pending_.empty() && running_ && planned_.empty() && in_flight_.empty()) end_run();
    return batch;
  }

  struct Skip {
    std::string key;
    std::int64_t index = 0;
  };

  RestConfig config_;
  ConnectorContext ctx_;
  std::shared_ptr<spdlog::logger> log_;
  Paginator paginator_;
  PageParser parser_;
  asio::any_io_executor executor_;
  std::shared_ptr<PageFetcher> fetcher_;

  std::deque<Record> pending_;
  std::deque<PageRequest> planned_;
  std::deque<std::shared_ptr<InFlight>> in_flight_;
  std::unordered_set<std::size_t> seen_pages_;  // hashes of next-page URLs of this run
  bool plan_remaining_ = false;  // the next page may tell the total: plan every page at once
  bool parallel_ = false;
  std::optional<Skip> skip_;

  bool running_ = false;
  bool finished_ = false;
  bool missing_cursor_warned_ = false;
  int runs_completed_ = 0;
  std::int64_t pages_in_run_ = 0;
  std::int64_t records_in_run_ = 0;
  SystemClock::time_point run_started_{};
  SystemClock::time_point next_run_at_{};
  std::optional<CursorValue> run_from_;   // the start value this run asks from
  std::optional<CursorValue> high_;       // the largest value seen in this run
  std::optional<CursorValue> next_from_;  // where the next run starts
  std::atomic<bool> trigger_{false};
};

}  // namespace

std::unique_ptr<Source> make_rest_source(RestConfig config, const ConnectorContext& ctx) {
  return std::make_unique<RestSource>(std::move(config), ctx);
}

}  // namespace weft::rest
