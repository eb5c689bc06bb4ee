#include "kafka/kafka_sink.h"

#include <algorithm>
#include <deque>

#include <boost/asio/this_coro.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "kafka/producer.h"

namespace weft::kafka {
namespace {

namespace asio = boost::asio;

// How long close() waits for the broker to confirm what is in flight before purging it (what
// is purged was not acknowledged, so it is read again after a restart).
constexpr auto kCloseTimeout = std::chrono::seconds(10);

struct KafkaMetrics {
  explicit KafkaMetrics(const ConnectorContext& ctx)
      : pipeline(ctx.pipeline),
        produce(prometheus::BuildHistogram()
                    .Name("weft_kafka_produce_seconds")
                    .Help("From handing a batch to the producer until the broker confirmed (or "
                          "refused) its last message")
                    .Register(*ctx.metrics)
                    .Add({{"pipeline", ctx.pipeline}},
                         prometheus::Histogram::BucketBoundaries{0.001, 0.005, 0.01, 0.05, 0.1,
                                                                 0.5, 1, 5, 30})),
        errors(prometheus::BuildCounter()
                   .Name("weft_kafka_delivery_errors_total")
                   .Help("Messages the broker did not confirm, by librdkafka error code")
                   .Register(*ctx.metrics)) {}
  std::string pipeline;
  prometheus::Histogram& produce;
  prometheus::Family<prometheus::Counter>& errors;
};

class KafkaSink final : public Sink {
 public:
  KafkaSink(KafkaSinkConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)),
        log_(ctx.logger),
        metrics_(ctx.metrics ? std::make_unique<KafkaMetrics>(ctx) : nullptr),
        batches_in_flight_(config_.batches_in_flight != 0
                               ? config_.batches_in_flight
                               : batches_in_flight_for(ctx.batch_max_records)) {}
  ~KafkaSink() override {
    if (producer_) producer_->close(std::chrono::milliseconds(0));
  }

  asio::awaitable<Status> connect() override {
    if (producer_) co_return Status{};
    auto producer = Producer::create(co_await asio::this_coro::executor, config_.properties());
    if (!producer) co_return producer.error();
    producer_ = std::move(*producer);
    co_return Status{};
  }

  asio::awaitable<WriteResult> write_batch(const Batch& batch) override {
    if (producer_) replace_if_failed();
    if (!producer_) {
      Status connected = co_await connect();
      if (!connected) co_return WriteResult::failed(connected.error());
    }
    WriteResult result;
    std::vector<OutgoingMessage> messages;
    std::vector<std::size_t> sent;  // messages[i] is batch[sent[i]]
    Rendered rendered;              // what the messages view besides the records
    messages.reserve(batch.size());
    sent.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto message = to_message(batch[i], rendered);
      if (!message) {
        result.failures.push_back({i, message.error()});
        continue;
      }
      messages.push_back(std::move(*message));
      sent.push_back(i);
    }
    const auto started = std::chrono::steady_clock::now();
    const std::vector<Undelivered> undelivered = co_await producer_->send(std::move(messages));
    if (metrics_ && !sent.empty()) {
      metrics_->produce.Observe(
          std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    }
    std::size_t retryable = 0;
    for (const auto& [m, report] : undelivered) {
      if (report.status.error().retryable()) ++retryable;
      if (metrics_) {
        metrics_->errors.Add({{"pipeline", metrics_->pipeline}, {"code", report.code}})
            .Increment();
      }
      result.failures.push_back({sent[m], report.status.error()});
    }
    // Nothing got through and the broker is the reason: an outage, for the breaker to count.
    if (!sent.empty() && retryable == sent.size()) {
      co_return WriteResult::failed(Error::retryable(
          "no message of the batch was confirmed by " + config_.client.broker_list() + "; the first: " +
          undelivered.front().report.status.error().message()));
    }
    co_return result;
  }

  // Every record reported delivered had its broker acknowledgement (acks=all) already.
  asio::awaitable<Status> flush() override { co_return Status{}; }

  // Later batches are produced while earlier ones await their reports: the idempotent
  // producer keeps the order of everything it is handed, across batches, as within one.
  std::size_t max_concurrent_writes() const override { return batches_in_flight_; }

  asio::awaitable<void> close() override {
    if (producer_) producer_->close(kCloseTimeout);
    producer_.reset();
    co_return;
  }

 private:
  // Topics and keys rendered for one batch's messages, which view them. Deques: adding one
  // moves none of the others.
  struct Rendered {
    std::deque<std::string> topics;
    std::deque<std::string> keys;
  };

  // A producer that hit a fatal error delivers nothing more: it is closed (what it still held
  // is reported undelivered, and sent again by the runtime) and the next write creates another,
  // as a restarted Kafka Connect task would.
  void replace_if_failed() {
    const std::optional<std::string> fatal = producer_->fatal_error();
    if (!fatal) return;
    if (log_) {
      log_->warn("kafka: the producer stopped on a fatal error ({}); a new producer sends the "
                 "records it did not deliver",
                 *fatal);
    }
    producer_->close(std::chrono::milliseconds(0));
    producer_.reset();
  }

  // A message viewing the record's key and value (and `rendered`): no copy until librdkafka's.
  Result<OutgoingMessage> to_message(const Record& record, Rendered& rendered) const {
    OutgoingMessage m;
    if (config_.topic->is_constant()) {
      m.topic = config_.topic->text();
    } else {
      auto topic = config_.topic->render(record);
      if (!topic) return Error::permanent("topic: " + topic.error().message());
      m.topic = rendered.topics.emplace_back(std::move(*topic));
    }
    if (config_.key) {
      auto key = config_.key->render(record);
      if (!key) return Error::permanent("key: " + key.error().message());
      m.key = rendered.keys.emplace_back(std::move(*key));
    } else if (!record.key.empty()) {
      m.key = record.key;
    }
    if (!(config_.tombstones && record.op == Operation::kDelete)) m.value = record.value.text();
    const bool all = config_.headers.size() == 1 && config_.headers.front() == "*";
    if (all) {
      for (const auto& [name, value] : record.headers) m.headers.emplace_back(name, value);
    } else {
      for (const std::string& name : config_.headers) {
        if (auto it = record.headers.find(name); it != record.headers.end()) {
          m.headers.emplace_back(name, it->second);
        }
      }
    }
    return m;
  }

  KafkaSinkConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  std::unique_ptr<KafkaMetrics> metrics_;
  std::shared_ptr<Producer> producer_;
  const std::size_t batches_in_flight_;
};

}  // namespace

std::map<std::string, std::string> KafkaSinkConfig::properties() const {
  std::map<std::string, std::string> p = client.properties();
  const auto unless_set = [&](const std::string& name, std::string value) {
    if (!client.librdkafka.contains(name)) p[name] = std::move(value);
  };
  unless_set("compression.type", compression);
  unless_set("linger.ms", std::to_string(linger.count()));
  p["enable.idempotence"] = "true";  // implies acks=all and ordered retries
  return p;
}

std::size_t batches_in_flight_for(std::size_t batch_max_records) {
  constexpr std::size_t kAtLeast = 2;
  constexpr std::size_t kAtMost = 64;
  if (batch_max_records == 0) return 4;
  const std::size_t batches = (kRecordsInFlight + batch_max_records - 1) / batch_max_records;
  return std::clamp(batches, kAtLeast, kAtMost);
}

std::unique_ptr<Sink> make_kafka_sink(KafkaSinkConfig config, const ConnectorContext& ctx) {
  return std::make_unique<KafkaSink>(std::move(config), ctx);
}

}  // namespace weft::kafka
