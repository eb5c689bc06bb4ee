#pragma once

// A librdkafka producer whose delivery reports are served on an Asio executor, without polling
// on a timer: librdkafka writes a byte to a pipe when its main queue receives an event on being
// empty, the executor waits on the pipe, and serves the queue (rd_kafka_poll) until it is empty
// again, which runs the delivery report callback (protocols.md §5).
//
// A message counts as delivered only on a success report. The reports of messages that could
// not be confirmed (timed out, possibly persisted, purged at close) are retryable errors: the
// runtime sends them again, preferring a duplicate to a loss.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "weft/status.h"

namespace weft::kafka {

// One message to produce. It views bytes its sender owns, which must stay valid until send()
// completes (librdkafka copies them as it takes each message).
struct OutgoingMessage {
  std::string_view topic;
  std::optional<std::string_view> key;    // none: no key (the partitioner spreads such messages)
  std::optional<std::string_view> value;  // none: a null value (a tombstone)
  std::vector<std::pair<std::string, std::string>> headers;
};

// What the delivery report said about one message.
struct DeliveryReport {
  Status status;     // ok, or why the message was not delivered
  std::string code;  // librdkafka's error name ("MSG_TIMED_OUT"); empty on success
};

// A message send() did not deliver, by its index among the messages sent.
struct Undelivered {
  std::size_t index = 0;
  DeliveryReport report;
};

class Producer {
 public:
  // `properties` are librdkafka settings (bootstrap.servers, enable.idempotence, ...). An
  // invalid_config Error carries librdkafka's own message, which names the property.
  static Result<std::shared_ptr<Producer>> create(
      const boost::asio::any_io_executor& executor,
      const std::map<std::string, std::string>& properties);
  ~Producer();
  Producer(const Producer&) = delete;
  Producer& operator=(const Producer&) = delete;

  // Hands the messages to librdkafka in order and completes when every one has its delivery
  // report, with the messages that were not delivered, in index order; every other message
  // was confirmed by the broker. When librdkafka's local queue is full it waits for reports
  // to make room. Cancelled (the pipeline aborts), it completes at once with every message
  // undelivered and retryable: unconfirmed messages never count as delivered.
  boost::asio::awaitable<std::vector<Undelivered>> send(std::vector<OutgoingMessage> messages);

  // Waits up to `timeout` for the reports still due, then purges what is left (those reports
  // say so) and stops serving. The producer cannot send afterwards.
  void close(std::chrono::milliseconds timeout);

  // librdkafka's reason once it reported a fatal error (the idempotent producer lost its
  // sequence with a broker): the producer cannot deliver anything more, and its owner is to
  // close it and create another. Sends still waiting complete then, undelivered and retryable.
  std::optional<std::string> fatal_error() const;

  struct Impl;

 private:
  explicit Producer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

// What a delivery report's error means for the record: retryable (the broker may not have it,
// or may have it twice after a resend) or permanent (the broker refused this message).
Error classify_delivery_error(int librdkafka_error, const std::string& topic);

}  // namespace weft::kafka
