#include "kafka/kafka_source.h"

#include <fcntl.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <simdjson.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "common/json_validator.h"
#include "kafka/offset_ledger.h"

namespace weft::kafka {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// How long read_batch waits for a message before returning an empty batch.
constexpr auto kPollInterval = std::chrono::milliseconds(500);
// How long a consumer error counts against health() unless it is reported again.
constexpr auto kProblemLifetime = std::chrono::seconds(60);
// How often the lag gauges are brought up to date.
constexpr auto kLagInterval = std::chrono::seconds(1);

struct ConsumerMetrics {
  explicit ConsumerMetrics(const ConnectorContext& ctx)
      : pipeline(ctx.pipeline),
        lag(prometheus::BuildGauge()
                .Name("weft_kafka_consumer_lag")
                .Help("Messages in a partition after the last one weft read (the high "
                      "watermark minus the next offset to read)")
                .Register(*ctx.metrics)),
        rebalances(prometheus::BuildCounter()
                       .Name("weft_kafka_rebalances_total")
                       .Help("Consumer group rebalances seen, by what they did to this member: "
                             "assigned, revoked or lost partitions")
                       .Register(*ctx.metrics)) {}

  prometheus::Gauge& lag_of(const TopicPartition& tp) {
    return lag.Add({{"pipeline", pipeline},
                    {"topic", tp.topic},
                    {"partition", std::to_string(tp.partition)}});
  }
  void rebalanced(const char* event) {
    rebalances.Add({{"pipeline", pipeline}, {"event", event}}).Increment();
  }

  std::string pipeline;
  prometheus::Family<prometheus::Gauge>& lag;
  prometheus::Family<prometheus::Counter>& rebalances;
};

using PartitionList = std::unique_ptr<rd_kafka_topic_partition_list_t,
                                      decltype(&rd_kafka_topic_partition_list_destroy)>;

PartitionList new_list(int size) {
  return PartitionList(rd_kafka_topic_partition_list_new(size),
                       &rd_kafka_topic_partition_list_destroy);
}

std::vector<TopicPartition> partitions_of(const rd_kafka_topic_partition_list_t* list) {
  std::vector<TopicPartition> out;
  for (int i = 0; i < list->cnt; ++i) {
    out.push_back(TopicPartition{list->elems[i].topic, list->elems[i].partition});
  }
  return out;
}

std::string describe(const std::vector<TopicPartition>& partitions) {
  std::string out;
  for (const auto& tp : partitions) {
    out += (out.empty() ? "" : ", ") + tp.topic + "/" + std::to_string(tp.partition);
  }
  return out.empty() ? "none" : out;
}

class KafkaSource final : public Source {
 public:
  KafkaSource(KafkaSourceConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)),
        log_(ctx.logger),
        metrics_(ctx.metrics ? std::make_unique<ConsumerMetrics>(ctx) : nullptr) {}
  ~KafkaSource() override { shutdown(); }

  awaitable<Status> connect(std::optional<Position> checkpoint) override {
    if (handle_ != nullptr) co_return Status{};
    if (checkpoint) {
      log_->debug("kafka: the group's committed offsets say where to resume (the last "
                  "checkpoint was {})", *checkpoint);
    }
    co_return open(co_await asio::this_coro::executor);
  }

  awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    if (handle_ == nullptr) {
      Status opened = open(co_await asio::this_coro::executor);
      if (!opened) co_return opened.error();
    }
    Batch batch;
    take_messages(batch, max_records);
    if (batch.empty() && !fatal_) {
      co_await wait_for_messages();
      take_messages(batch, max_records);
    }
    if (fatal_) {
      Error error = std::move(*fatal_);
      fatal_.reset();
      shutdown();  // a fatal error leaves the handle unusable: the next read opens a new one
      co_return error;
    }
    refresh_lag();
    co_return std::move(batch);
  }

  awaitable<Status> commit(const Position& position) override {
    if (handle_ == nullptr) co_return Status{};
    if (!ledger_.settle(position)) {
      // Not read by this consumer (a checkpoint of a previous run): nothing of ours to commit.
      log_->debug("kafka: nothing read here up to {}", position);
      co_return Status{};
    }
    commit_offsets(ledger_.take_commits(), /*async=*/true);
    co_return Status{};
  }

  awaitable<void> close() override {
    shutdown();
    co_return;
  }

  Health health() const override {
    std::lock_guard lock(health_mutex_);
    if (problem_.empty() || std::chrono::steady_clock::now() - problem_at_ > kProblemLifetime) {
      return {};
    }
    return Health{false, problem_};
  }

  // The consumer lag summed over the assigned partitions, as of the last refresh.
  std::optional<Backlog> backlog() const override {
    const std::int64_t total = total_lag_;
    if (total < 0) return std::nullopt;
    return Backlog{static_cast<std::uint64_t>(total), std::nullopt};
  }

 private:
  Status open(const asio::any_io_executor& executor) {
    char error[512];
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    for (const auto& [name, value] : config_.properties()) {
      if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
          RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        return Error::invalid_config(std::string("kafka: ") + error);
      }
    }
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_rebalance_cb(conf, &KafkaSource::on_rebalance);
    rd_kafka_conf_set_offset_commit_cb(conf, &KafkaSource::on_commit);
    rd_kafka_conf_set_error_cb(conf, &KafkaSource::on_error);
    handle_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, error, sizeof error);
    if (handle_ == nullptr) {
      rd_kafka_conf_destroy(conf);
      return Error::invalid_config(std::string("kafka: ") + error);
    }
    // Every event (rebalances, commit results, errors) comes through the consumer queue, and
    // librdkafka writes to a pipe when that queue receives something on being empty: the
    // executor waits on the pipe instead of polling on a timer.
    rd_kafka_poll_set_consumer(handle_);
    queue_ = rd_kafka_queue_get_consumer(handle_);
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
      shutdown();
      return Error::retryable("kafka: cannot create the consumer's wake-up pipe");
    }
    wake_.emplace(executor, fds[0]);
    wake_write_ = fds[1];
    rd_kafka_queue_io_event_enable(queue_, wake_write_, "1", 1);

    PartitionList topics = new_list(static_cast<int>(config_.topics.size()));
    for (const auto& topic : config_.topics) {
      rd_kafka_topic_partition_list_add(topics.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
    }
    if (auto err = rd_kafka_subscribe(handle_, topics.get()); err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      shutdown();
      return Error::invalid_config(std::string("kafka: cannot subscribe to the topics: ") +
                                   rd_kafka_err2str(err));
    }
    log_->info("kafka: joining group {} for {} at {}", config_.group,
               describe_topics(), config_.client.broker_list());
    return Status{};
  }

  std::string describe_topics() const {
    std::string out;
    for (const auto& topic : config_.topics) out += (out.empty() ? "" : ", ") + topic;
    return out;
  }

  // Takes what the consumer queue holds, up to `max` messages; serves rebalances and commit
  // results on the way (their callbacks run here, on the source's coroutine).
  void take_messages(Batch& batch, std::size_t max) {
    char bytes[64];
    while (::read(wake_->native_handle(), bytes, sizeof bytes) > 0) {
    }
    while (batch.size() < max && handle_ != nullptr && !fatal_) {
      rd_kafka_message_t* message = rd_kafka_consumer_poll(handle_, 0);
      if (message == nullptr) break;
      if (message->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
        on_consumer_error(*message);
      } else {
        batch.push_back(to_record(*message));
      }
      rd_kafka_message_destroy(message);
    }
    if (!batch.empty()) set_problem({});
  }

  // Waits until librdkafka signals the consumer queue, the poll interval passes, or the
  // pipeline stops (cancellation).
  awaitable<void> wait_for_messages() {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    timer.expires_after(kPollInterval);
    timer.async_wait([wake = &*wake_](boost::system::error_code ec) {
      if (!ec) wake->cancel();
    });
    co_await wake_->async_wait(asio::posix::descriptor_base::wait_read, kNoThrow);
    timer.cancel();
  }

  Record to_record(const rd_kafka_message_t& m) {
    const TopicPartition tp{rd_kafka_topic_name(m.rkt), m.partition};
    ledger_.read(tp, m.offset);
    next_read_[tp] = m.offset + 1;
    Record r;
    r.position = OffsetLedger::position(tp, m.offset);
    r.id = r.position;
    if (m.key != nullptr) r.key.assign(static_cast<const char*>(m.key), m.key_len);
    rd_kafka_headers_t* headers = nullptr;
    if (rd_kafka_message_headers(&m, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR) {
      const char* name = nullptr;
      const void* value = nullptr;
      std::size_t size = 0;
      for (std::size_t i = 0;
           rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
           ++i) {
        r.headers.set(name, value ? std::string(static_cast<const char*>(value), size) : "");
      }
    }
    r.headers.set("_topic", tp.topic);
    r.headers.set("_partition", std::to_string(tp.partition));
    r.headers.set("_offset", std::to_string(m.offset));
    rd_kafka_timestamp_type_t kind;
    if (const std::int64_t ms = rd_kafka_message_timestamp(&m, &kind); ms >= 0) {
      r.event_time = Clock::time_point(std::chrono::milliseconds(ms));
    }
    r.ingest_time = Clock::now();
    if (m.payload == nullptr) {  // a tombstone: the key's entity is gone
      r.op = Operation::kDelete;
      r.value = Payload::from_text("null");
      return r;
    }
    std::string text(static_cast<const char*>(m.payload), m.len);
    if (config_.format == ValueFormat::kJson) {
      std::string invalid = validator_.check(text);
      if (!invalid.empty()) r.rejected = "kafka message " + r.position + ": value is " + invalid;
      r.value = Payload::from_text(std::move(text));
    } else if (!simdjson::validate_utf8(text.data(), text.size())) {
      r.rejected = "kafka message " + r.position + ": value is not UTF-8 text (format raw)";
      r.value = Payload::from_text(std::move(text));
    } else {
      r.value = Payload::from_json(nlohmann::json(std::move(text)));
    }
    return r;
  }

  void on_consumer_error(const rd_kafka_message_t& m) {
    if (m.err == RD_KAFKA_RESP_ERR__PARTITION_EOF) return;
    char reason[512];
    if (rd_kafka_fatal_error(handle_, reason, sizeof reason) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      fatal_ = Error::retryable(std::string("kafka consumer failed: ") + reason);
      return;
    }
    std::string problem = std::string("kafka: ") + rd_kafka_message_errstr(&m);
    if (m.rkt != nullptr) problem += std::string(" (topic ") + rd_kafka_topic_name(m.rkt) + ")";
    if (set_problem(problem)) log_->warn("{}", problem);
  }

  // Client-level errors (brokers unreachable, authentication): librdkafka reports them here,
  // not as messages, and retries on its own. Called while the queue is served, on the
  // source's coroutine.
  static void on_error(rd_kafka_t* handle, int err, const char* reason, void* opaque) {
    auto& self = *static_cast<KafkaSource*>(opaque);
    char fatal[512];
    if (rd_kafka_fatal_error(handle, fatal, sizeof fatal) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      self.fatal_ = Error::retryable(std::string("kafka consumer failed: ") + fatal);
      return;
    }
    const std::string problem = std::string("kafka: ") + reason + " (" +
                                rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err)) + ")";
    if (self.set_problem(problem)) self.log_->warn("{}", problem);
  }

  // True when the problem is new (so it is logged once, not once per poll).
  bool set_problem(std::string problem) {
    std::lock_guard lock(health_mutex_);
    problem_at_ = std::chrono::steady_clock::now();
    if (problem == problem_) return false;
    problem_ = std::move(problem);
    return !problem_.empty();
  }

  static void on_rebalance(rd_kafka_t*, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
    static_cast<KafkaSource*>(opaque)->rebalance(err, partitions);
  }

  void rebalance(rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* list) {
    const bool cooperative = std::strcmp(rd_kafka_rebalance_protocol(handle_), "COOPERATIVE") == 0;
    const std::vector<TopicPartition> partitions = partitions_of(list);
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
      for (const auto& tp : partitions) ledger_.assign(tp);
      set_problem({});  // the group is reachable again
      if (metrics_) metrics_->rebalanced("assigned");
      log_->info("kafka: group {} assigned {}", config_.group, describe(partitions));
      if (cooperative) {
        report(rd_kafka_incremental_assign(handle_, list));
      } else {
        rd_kafka_assign(handle_, list);
      }
      return;
    }
    const bool lost = err != RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS ||
                      rd_kafka_assignment_lost(handle_) != 0;
    std::vector<CommitOffset> last;
    for (const auto& tp : partitions) {
      if (auto offset = ledger_.revoke(tp)) last.push_back(std::move(*offset));
      forget_lag(tp);
    }
    // Lost partitions already have another owner: committing for them would be refused.
    if (!lost) commit_offsets(last, /*async=*/false);
    if (metrics_) metrics_->rebalanced(lost ? "lost" : "revoked");
    log_->info("kafka: group {} {} {}; records read from them and not yet delivered may be "
               "delivered again by their next owner",
               config_.group, lost ? "lost" : "revoked", describe(partitions));
    if (cooperative) {
      report(rd_kafka_incremental_unassign(handle_, list));
    } else {
      rd_kafka_assign(handle_, nullptr);
    }
  }

  void report(rd_kafka_error_t* error) {
    if (error == nullptr) return;
    log_->warn("kafka: rebalance: {}", rd_kafka_error_string(error));
    rd_kafka_error_destroy(error);
  }

  void commit_offsets(const std::vector<CommitOffset>& offsets, bool async) {
    if (offsets.empty()) return;
    PartitionList list = new_list(static_cast<int>(offsets.size()));
    for (const auto& c : offsets) {
      rd_kafka_topic_partition_list_add(list.get(), c.partition.topic.c_str(),
                                        c.partition.partition)
          ->offset = c.next_offset;
    }
    const rd_kafka_resp_err_t err = rd_kafka_commit(handle_, list.get(), async ? 1 : 0);
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) commit_failed(err);
  }

  static void on_commit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
                        void* opaque) {
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET) {
      static_cast<KafkaSource*>(opaque)->commit_failed(err);
    }
  }

  void commit_failed(rd_kafka_resp_err_t err) {
    log_->warn("kafka: offset commit to group {} failed: {}; the next commit carries it, and "
               "until then a restart reads those records again",
               config_.group, rd_kafka_err2str(err));
  }

  void refresh_lag() {
    const auto now = std::chrono::steady_clock::now();
    if (now < next_lag_refresh_) return;
    next_lag_refresh_ = now + kLagInterval;
    std::int64_t total = 0;
    for (const auto& [tp, next] : next_read_) {
      std::int64_t low = 0;
      std::int64_t high = 0;
      if (rd_kafka_get_watermark_offsets(handle_, tp.topic.c_str(), tp.partition, &low, &high) ==
              RD_KAFKA_RESP_ERR_NO_ERROR &&
          high >= 0) {
        const std::int64_t lag = std::max<std::int64_t>(0, high - next);
        total += lag;
        if (metrics_) metrics_->lag_of(tp).Set(static_cast<double>(lag));
      }
    }
    total_lag_ = total;
  }

  void forget_lag(const TopicPartition& tp) {
    if (next_read_.erase(tp) != 0 && metrics_) metrics_->lag.Remove(&metrics_->lag_of(tp));
  }

  // Commits what is settled, leaves the group (the revocation runs its callback here) and
  // frees the handle. Safe to call twice.
  void shutdown() {
    if (handle_ == nullptr) return;
    if (queue_ != nullptr) {
      commit_offsets(ledger_.take_commits(), /*async=*/false);
      rd_kafka_consumer_close(handle_);
      rd_kafka_queue_io_event_enable(queue_, -1, nullptr, 0);
      rd_kafka_queue_destroy(queue_);
      queue_ = nullptr;
    }
    rd_kafka_destroy(handle_);
    handle_ = nullptr;
    wake_.reset();
    if (wake_write_ >= 0) ::close(wake_write_);
    wake_write_ = -1;
    for (const auto& [tp, next] : next_read_) {
      if (metrics_) metrics_->lag.Remove(&metrics_->lag_of(tp));
    }
    next_read_.clear();
  }

  KafkaSourceConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<ConsumerMetrics> metrics_;
  rd_kafka_t* handle_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  std::optional<asio::posix::stream_descriptor> wake_;  // read end of librdkafka's pipe
  int wake_write_ = -1;
  OffsetLedger ledger_;
  std::map<TopicPartition, std::int64_t> next_read_;  // per partition read from: next offset
  std::chrono::steady_clock::time_point next_lag_refresh_{};
  std::atomic<std::int64_t> total_lag_{-1};  // -1: not measured yet
  JsonValidator validator_;
  std::optional<Error> fatal_;
  mutable std::mutex health_mutex_;
  // The consumer's last error, for health(): until messages arrive, partitions are assigned,
  // or kProblemLifetime passes without another (librdkafka recovered quietly).
  std::string problem_;
  std::chrono::steady_clock::time_point problem_at_{};
};

}  // namespace

std::map<std::string, std::string> KafkaSourceConfig::properties() const {
  std::map<std::string, std::string> p = client.properties();
  if (!client.librdkafka.contains("auto.offset.reset")) p["auto.offset.reset"] = start_from;
  p["group.id"] = group;
  p["enable.auto.commit"] = "false";
  p["enable.auto.offset.store"] = "false";
  return p;
}

std::unique_ptr<Source> make_kafka_source(KafkaSourceConfig config, const ConnectorContext& ctx) {
  return std::make_unique<KafkaSource>(std::move(config), ctx);
}

}  // namespace weft::kafka
