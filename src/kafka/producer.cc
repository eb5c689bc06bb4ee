#include "kafka/producer.h"

#include <fcntl.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace weft::kafka {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
// How long a send waits before trying again when librdkafka's local queue is full.
constexpr auto kQueueFullPause = std::chrono::milliseconds(5);
// How often queued messages are given up while the brokers refuse the client.
constexpr auto kRefusalCheck = std::chrono::seconds(1);

// One send()'s messages waiting for their reports. Reports run on whichever thread serves the
// queue; the sender waits on `done`. Each message's opaque is its slot: no allocation per
// message.
struct Waiting {
  Waiting(const asio::any_io_executor& executor, std::size_t count)
      : slots(count, this), outstanding(count), done(executor, 1) {}
  std::vector<Waiting*> slots;  // message i's opaque is &slots[i]
  std::atomic<std::size_t> outstanding;
  // Only what went wrong is kept: a batch is mostly delivered, and a report per message
  // would be written, read and freed for nothing. Added to by the thread serving reports
  // and by the sender (messages librdkafka refused), hence the lock.
  std::mutex failing;
  std::vector<Undelivered> undelivered;
  asio::experimental::concurrent_channel<void(boost::system::error_code)> done;
  // Holds the Waiting until its last report, should the sender be gone by then (the pipeline
  // was torn down while librdkafka still had the messages).
  std::shared_ptr<Waiting> keep_alive;

  // Message `index` was not delivered: a failed report, or librdkafka refused it (then it
  // gets no report but this one).
  void fail(std::size_t index, rd_kafka_resp_err_t err, std::string_view topic);
  void fail(std::size_t index, DeliveryReport report);

  void report_done() {
    if (outstanding.fetch_sub(1) == 1) {
      auto self = std::move(keep_alive);  // freed on return, after `done` is signalled
      done.try_send(boost::system::error_code{});
    }
  }
};

DeliveryReport failed(rd_kafka_resp_err_t err, const std::string& topic) {
  return DeliveryReport{Status(classify_delivery_error(err, topic)), rd_kafka_err2name(err)};
}

// What librdkafka's error callback said that the producer acts on, shared with its callbacks
// as the configuration's opaque.
//
// The brokers refusing the client (a wrong password, an untrusted certificate): librdkafka
// keeps reconnecting, and queued messages would wait out message.timeout.ms (5 minutes by
// default) before failing as merely timed out. Instead they are given up at once, their
// reports saying why, and the runtime sends them again later (its breaker counting).
//
// A fatal error (the idempotent producer lost its sequence with a broker): this producer can
// send nothing more. What it has queued is given up the same way, so no send waits on it, and
// its owner replaces it (fatal_error()).
struct ClientErrors {
  std::atomic<bool> refused = false;  // cleared by the next delivered message
  std::atomic<bool> purge = false;    // queued messages are to be given up
  std::atomic<bool> fatal = false;
  std::mutex lock;
  // librdkafka's words (they name the mechanism, never the password), then what to check.
  std::string reason;
  std::string fatal_reason;  // set once, before `fatal`

  static bool is_refusal(int err) {
    return err == RD_KAFKA_RESP_ERR__AUTHENTICATION || err == RD_KAFKA_RESP_ERR__SSL;
  }
  // The report of a message given up for one of these reasons, or none.
  std::optional<DeliveryReport> report(rd_kafka_resp_err_t err, const std::string& topic) {
    if (err != RD_KAFKA_RESP_ERR__PURGE_QUEUE || !(fatal || refused)) return std::nullopt;
    std::lock_guard hold(lock);
    if (fatal) {
      return DeliveryReport{Status(Error::retryable("kafka topic " + topic +
                                                    ": not sent: the producer stopped on a "
                                                    "fatal error: " + fatal_reason)),
                            "FATAL"};
    }
    return DeliveryReport{
        Status(Error::retryable("kafka topic " + topic + ": not sent: the brokers refused the "
                                "client: " + reason)),
        "REFUSED"};
  }
};

void on_error(rd_kafka_t* handle, int err, const char* reason, void* opaque) {
  if (opaque == nullptr) return;
  auto& errors = *static_cast<ClientErrors*>(opaque);
  if (err == RD_KAFKA_RESP_ERR__FATAL) {
    char underlying[512];
    rd_kafka_fatal_error(handle, underlying, sizeof underlying);
    {
      std::lock_guard hold(errors.lock);
      if (errors.fatal) return;
      errors.fatal_reason = underlying;
    }
    errors.fatal = true;
    errors.purge = true;
    return;
  }
  if (!ClientErrors::is_refusal(err)) return;
  {
    std::lock_guard hold(errors.lock);
    errors.reason = std::string(reason) +
                    (err == RD_KAFKA_RESP_ERR__AUTHENTICATION
                         ? "; check the connector's sasl mechanism, username and password"
                         : "; check `tls` and the CA the connector trusts "
                           "(librdkafka: {ssl.ca.location: ...})");
  }
  errors.refused = true;
  errors.purge = true;
}

void Waiting::fail(std::size_t index, rd_kafka_resp_err_t err, std::string_view topic) {
  fail(index, failed(err, std::string(topic)));
}

void Waiting::fail(std::size_t index, DeliveryReport report) {
  {
    std::lock_guard lock(failing);
    undelivered.push_back({index, std::move(report)});
  }
  report_done();
}

bool is_permanent(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG:
    case RD_KAFKA_RESP_ERR_INVALID_RECORD:
    case RD_KAFKA_RESP_ERR_RECORD_LIST_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return true;
    default:
      return false;  // timeouts, transport, purges, leader changes: the broker may be back
  }
}

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* message, void* opaque) {
  auto* slot = static_cast<Waiting**>(message->_private);
  if (slot == nullptr) return;
  Waiting& w = **slot;
  auto& errors = *static_cast<ClientErrors*>(opaque);
  if (message->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
    if (errors.refused.load(std::memory_order_relaxed)) errors.refused = false;
    w.report_done();
    return;
  }
  const auto index = static_cast<std::size_t>(slot - w.slots.data());
  const std::string topic = rd_kafka_topic_name(message->rkt);
  if (auto refused = errors.report(message->err, topic)) {
    w.fail(index, std::move(*refused));
  } else {
    w.fail(index, message->err, topic);
  }
}

// Where delivery reports are served: a strand of their own on the sender's io_context, so the
// reports of one batch are handled on another thread while the sender produces the next (the
// sender's thread is the busiest). The sender's executor when it is not an io_context's (or a
// strand of one).
asio::any_io_executor serving_executor(const asio::any_io_executor& sender) {
  using IoExecutor = asio::io_context::executor_type;
  if (const auto* strand = sender.target<asio::strand<IoExecutor>>()) {
    return asio::make_strand(strand->get_inner_executor());
  }
  if (const auto* plain = sender.target<IoExecutor>()) return asio::make_strand(*plain);
  return sender;
}

}  // namespace

Error classify_delivery_error(int librdkafka_error, const std::string& topic) {
  const auto err = static_cast<rd_kafka_resp_err_t>(librdkafka_error);
  std::string message = "kafka topic " + topic + ": " + rd_kafka_err2str(err) + " (" +
                        rd_kafka_err2name(err) + ")";
  return is_permanent(err) ? Error::permanent(std::move(message))
                           : Error::retryable(std::move(message));
}

struct Producer::Impl {
  Impl(const asio::any_io_executor& executor, rd_kafka_t* handle,
       std::unique_ptr<ClientErrors> errors, int wake_read)
      : executor(executor), handle(handle), errors(std::move(errors)),
        wake(executor, wake_read), refusal_check(executor) {}
  ~Impl() {
    for (const auto& [name, topic] : topics) rd_kafka_topic_destroy(topic);
    if (handle != nullptr) rd_kafka_destroy(handle);
    if (wake_write >= 0) ::close(wake_write);
  }

  // Serves the main queue whenever librdkafka signals it, until close().
  awaitable<void> serve() {
    for (;;) {
      drain_queue();
      auto [ec] = co_await wake.async_wait(asio::posix::descriptor_base::wait_read, kNoThrow);
      if (ec || closed) co_return;
      char bytes[64];
      while (::read(wake.native_handle(), bytes, sizeof bytes) > 0) {
      }
    }
  }

  // While the brokers refuse the client, gives up what is queued every kRefusalCheck: librdkafka
  // reports an unchanged refusal only now and then, and messages queued since its last report
  // would otherwise wait out message.timeout.ms. Until close().
  awaitable<void> give_up_while_refused() {
    for (;;) {
      refusal_check.expires_after(kRefusalCheck);
      auto [ec] = co_await refusal_check.async_wait(kNoThrow);
      if (ec || closed) co_return;
      if (errors->refused) {
        errors->purge = true;
        drain_queue();
      }
    }
  }

  // Serves reports and errors; when the brokers refused the client, gives up the queued
  // messages (their reports follow, saying why).
  void drain_queue() {
    std::lock_guard lock(serving);
    for (;;) {
      while (rd_kafka_poll(handle, 0) > 0) {
      }
      if (!errors->purge.exchange(false)) return;
      rd_kafka_purge(handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_NON_BLOCKING);
    }
  }

  // The topic's handle, created on first use: producing by handle spares librdkafka a lookup
  // by name per message. Used by send() only, on the sender's executor.
  rd_kafka_topic_t* topic(std::string_view name) {
    if (last_topic != nullptr && name == last_topic_name) return last_topic;
    auto it = topics.find(name);
    if (it == topics.end()) {
      it = topics.emplace(std::string(name), rd_kafka_topic_new(handle, std::string(name).c_str(),
                                                               nullptr))
               .first;
    }
    last_topic_name = it->first;
    last_topic = it->second;
    return last_topic;
  }

  asio::any_io_executor executor;
  rd_kafka_t* handle = nullptr;
  std::unique_ptr<ClientErrors> errors;  // librdkafka's callbacks' opaque: outlives `handle`
  std::map<std::string, rd_kafka_topic_t*, std::less<>> topics;
  std::string_view last_topic_name;  // views a key of `topics`
  rd_kafka_topic_t* last_topic = nullptr;
  asio::posix::stream_descriptor wake;  // read end of the pipe librdkafka writes to
  asio::steady_timer refusal_check;
  int wake_write = -1;
  std::mutex serving;  // one thread serves the queue at a time
  std::atomic<bool> closed = false;
};

namespace {

// How far an enqueue got: `count` messages were handed to librdkafka or failed for good (their
// reports are set); with `queue_full`, the next one was refused because librdkafka's local
// queue is full and is to be handed over again once reports have made room.
struct Handed {
  std::size_t count = 0;
  bool queue_full = false;
};

// Enqueues message `index` (one with headers) through rd_kafka_producev.
Handed enqueue_one(Producer::Impl& impl, const OutgoingMessage& m, std::size_t index,
                   Waiting& waiting) {
  if (impl.closed) {
    waiting.fail(index, RD_KAFKA_RESP_ERR__DESTROY, m.topic);
    return {1, false};
  }
  rd_kafka_headers_t* headers = rd_kafka_headers_new(m.headers.size());
  for (const auto& [name, value] : m.headers) {
    rd_kafka_header_add(headers, name.data(), static_cast<ssize_t>(name.size()), value.data(),
                        static_cast<ssize_t>(value.size()));
  }
  // librdkafka's macros paste their arguments unparenthesised: plain variables only. It copies
  // key and value (RD_KAFKA_MSG_F_COPY) and does not write to them.
  char* key = m.key ? const_cast<char*>(m.key->data()) : nullptr;
  const std::size_t key_size = m.key ? m.key->size() : 0;
  char* value = m.value ? const_cast<char*>(m.value->data()) : nullptr;
  const std::size_t value_size = m.value ? m.value->size() : 0;
  Waiting** slot = &waiting.slots[index];
  rd_kafka_topic_t* topic = impl.topic(m.topic);
  const rd_kafka_resp_err_t err = rd_kafka_producev(
      impl.handle, RD_KAFKA_V_RKT(topic), RD_KAFKA_V_KEY(key, key_size),
      RD_KAFKA_V_VALUE(value, value_size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
      RD_KAFKA_V_HEADERS(headers), RD_KAFKA_V_OPAQUE(slot), RD_KAFKA_V_END);
  if (err == RD_KAFKA_RESP_ERR_NO_ERROR) return {1, false};  // librdkafka owns the headers now
  rd_kafka_headers_destroy(headers);
  if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return {0, true};
  waiting.fail(index, err, m.topic);
  return {1, false};
}

// Enqueues the messages from `first` on that share its topic and have no headers, in one
// rd_kafka_produce_batch call: librdkafka then takes the topic's lock and reads the clocks
// once for the lot rather than once a message, which is most of what it spends enqueueing.
// `run` is scratch space, reused from call to call.
Handed enqueue_run(Producer::Impl& impl, const std::vector<OutgoingMessage>& messages,
                   std::size_t first, Waiting& waiting, std::vector<rd_kafka_message_t>& run) {
  const std::string_view topic_name = messages[first].topic;
  std::size_t end = first;
  while (end < messages.size() && messages[end].headers.empty() &&
         messages[end].topic == topic_name) {
    ++end;
  }
  if (impl.closed) {
    for (std::size_t i = first; i < end; ++i) {
      waiting.fail(i, RD_KAFKA_RESP_ERR__DESTROY, topic_name);
    }
    return {end - first, false};
  }
  run.assign(end - first, rd_kafka_message_t{});
  for (std::size_t i = first; i < end; ++i) {
    const OutgoingMessage& m = messages[i];
    rd_kafka_message_t& out = run[i - first];
    if (m.value) {  // librdkafka copies key and value (RD_KAFKA_MSG_F_COPY), never writes them
      out.payload = const_cast<char*>(m.value->data());
      out.len = m.value->size();
    }
    if (m.key) {
      out.key = const_cast<char*>(m.key->data());
      out.key_len = m.key->size();
    }
    out._private = &waiting.slots[i];
  }
  rd_kafka_produce_batch(impl.topic(topic_name), RD_KAFKA_PARTITION_UA, RD_KAFKA_MSG_F_COPY,
                         run.data(), static_cast<int>(run.size()));
  // Once the queue is full, librdkafka refuses every later message of the call too.
  for (std::size_t i = first; i < end; ++i) {
    const rd_kafka_resp_err_t err = run[i - first].err;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) return {i - first, true};
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) waiting.fail(i, err, topic_name);
  }
  return {end - first, false};
}

}  // namespace

Result<std::shared_ptr<Producer>> Producer::create(
    const asio::any_io_executor& executor, const std::map<std::string, std::string>& properties) {
  char error[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), error, sizeof error) !=
        RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      return Error::invalid_config(std::string("kafka: ") + error);
    }
  }
  auto errors = std::make_unique<ClientErrors>();
  rd_kafka_conf_set_opaque(conf, errors.get());
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_conf_set_error_cb(conf, on_error);
  rd_kafka_t* handle = rd_kafka_new(RD_KAFKA_PRODUCER, conf, error, sizeof error);
  if (handle == nullptr) {
    rd_kafka_conf_destroy(conf);
    return Error::invalid_config(std::string("kafka: ") + error);
  }
  int fds[2];
  if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    rd_kafka_destroy(handle);
    return Error::retryable("kafka: cannot create the delivery report pipe");
  }
  auto impl =
      std::make_shared<Impl>(serving_executor(executor), handle, std::move(errors), fds[0]);
  impl->wake_write = fds[1];
  rd_kafka_queue_t* main_queue = rd_kafka_queue_get_main(handle);
  rd_kafka_queue_io_event_enable(main_queue, fds[1], "1", 1);
  rd_kafka_queue_destroy(main_queue);
  asio::co_spawn(executor, [impl]() -> awaitable<void> { co_await impl->serve(); },
                 asio::detached);
  asio::co_spawn(impl->executor,
                 [impl]() -> awaitable<void> { co_await impl->give_up_while_refused(); },
                 asio::detached);
  return std::shared_ptr<Producer>(new Producer(std::move(impl)));
}

Producer::~Producer() { close(std::chrono::milliseconds(0)); }

awaitable<std::vector<Undelivered>> Producer::send(std::vector<OutgoingMessage> messages) {
  // Held by the coroutine, not through `this`: a producer closed and dropped by its owner (after
  // a fatal error) while this send waits goes on existing until the send completes.
  const std::shared_ptr<Impl> keep = impl_;
  Impl& impl = *keep;
  auto waiting = std::make_shared<Waiting>(co_await asio::this_coro::executor, messages.size());
  if (messages.empty()) co_return std::vector<Undelivered>{};
  waiting->keep_alive = waiting;
  asio::steady_timer pause(co_await asio::this_coro::executor);
  std::vector<rd_kafka_message_t> run;
  std::size_t i = 0;
  while (i < messages.size()) {
    const Handed handed = messages[i].headers.empty()
                              ? enqueue_run(impl, messages, i, *waiting, run)
                              : enqueue_one(impl, messages[i], i, *waiting);
    i += handed.count;
    if (handed.queue_full) {  // make room: serve reports, then hand the rest over again
      impl.drain_queue();
      pause.expires_after(kQueueFullPause);
      co_await pause.async_wait(kNoThrow);
    }
  }
  auto [cancelled] = co_await waiting->done.async_receive(kNoThrow);
  if (cancelled) {
    // The sender stopped waiting (the pipeline is aborting) with reports still due, which go
    // on arriving into `waiting`: none of its messages counts as delivered, so a message that
    // did arrive is sent again rather than one that did not being lost.
    const DeliveryReport unconfirmed{
        Status(Error::retryable("kafka: stopped waiting for the broker's confirmation")),
        "CANCELLED"};
    std::vector<Undelivered> all;
    all.reserve(messages.size());
    for (std::size_t i = 0; i < messages.size(); ++i) all.push_back({i, unconfirmed});
    co_return all;
  }
  // Every report is in: no other thread touches the list any more.
  std::vector<Undelivered> undelivered = std::move(waiting->undelivered);
  std::sort(undelivered.begin(), undelivered.end(),
            [](const Undelivered& a, const Undelivered& b) { return a.index < b.index; });
  co_return undelivered;
}

std::optional<std::string> Producer::fatal_error() const {
  ClientErrors& errors = *impl_->errors;
  if (!errors.fatal) return std::nullopt;
  std::lock_guard hold(errors.lock);
  return errors.fatal_reason;
}

void Producer::close(std::chrono::milliseconds timeout) {
  Impl& impl = *impl_;
  if (impl.closed.exchange(true)) return;
  {
    std::lock_guard lock(impl.serving);
    const int wait_ms = static_cast<int>(timeout.count());
    if (rd_kafka_flush(impl.handle, wait_ms) != RD_KAFKA_RESP_ERR_NO_ERROR) {
      rd_kafka_purge(impl.handle, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
      rd_kafka_flush(impl.handle, 1000);  // serves the purged messages' reports
    }
  }
  asio::post(impl.executor, [impl = impl_] {
    impl->wake.cancel();
    impl->refusal_check.cancel();
  });
}

}  // namespace weft::kafka
