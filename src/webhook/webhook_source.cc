#include "webhook/webhook_source.h"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <deque>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <utility>

#include "webhook/form_body.h"
#include "webhook/intake.h"
#include "webhook/route.h"

namespace weft {
namespace {

namespace asio = boost::asio;
using Wakeup = asio::experimental::concurrent_channel<void(boost::system::error_code)>;

// How long read_batch waits for a new event before returning an empty batch.
constexpr auto kPollInterval = std::chrono::seconds(1);

// Positions are buffer seqs as 20 zero-padded digits, so they sort as text as they do as numbers.
Position to_position(std::int64_t seq) {
  char text[24];
  std::snprintf(text, sizeof text, "%020lld", static_cast<long long>(seq));
  return text;
}

std::optional<std::int64_t> parse_position(const Position& position) {
  std::int64_t seq = 0;
  const auto [end, ec] = std::from_chars(position.data(), position.data() + position.size(), seq);
  if (ec != std::errc() || end != position.data() + position.size() || seq < 0) {
    return std::nullopt;
  }
  return seq;
}

class WebhookSource final : public Source {
 public:
  WebhookSource(std::shared_ptr<const webhook::WebhookConfig> config, ConnectorContext context,
                WebhookIntake* intake)
      : config_(std::move(config)), context_(std::move(context)), intake_(intake) {}

  asio::awaitable<Status> connect(std::optional<Position> checkpoint) override {
    if (intake_ == nullptr) {
      co_return Error::invalid_config(
          "the webhook source needs the daemon's webhook listener; run it with `weft run`");
    }
    if (checkpoint) {
      auto seq = parse_position(*checkpoint);
      if (!seq) {
        co_return Error::invalid_config("checkpoint '" + *checkpoint +
                                        "' is not a webhook buffer position");
      }
      after_seq_ = *seq;
      // Acked before the crash but not yet deleted: delete now, or the buffer looks fuller
      // than it is.
      if (auto removed = store().webhook_remove_through(context_.pipeline, after_seq_);
          !removed) {
        co_return removed.error();
      }
    }
    auto depth = store().webhook_depth(context_.pipeline);
    if (!depth) co_return depth.error();

    wakeup_ = std::make_shared<Wakeup>(co_await asio::this_coro::executor, 1);
    route_ = std::make_shared<PipelineWebhookRoute>(
        context_.pipeline, config_, *intake_, context_.logger,
        [wakeup = wakeup_] { wakeup->try_send(boost::system::error_code()); });
    route_->set_depth(static_cast<std::int64_t>(*depth));
    auto claim = intake_->claim(config_->path, route_);
    if (!claim) co_return claim.error();
    claim_ = std::move(*claim);
    context_.logger->info("accepting webhooks at {} ({} buffered from before)", config_->path,
                          *depth);
    co_return Status::ok_status();
  }

  asio::awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    for (int attempt = 0; attempt < 2; ++attempt) {
      auto events = store().webhook_read(context_.pipeline, after_seq_, max_records);
      if (!events) co_return events.error();
      if (!events->empty()) co_return to_batch(*events);
      if (attempt == 1) break;
      // Nothing buffered: wait for the route's wake-up, or the poll interval.
      asio::steady_timer timer(co_await asio::this_coro::executor, kPollInterval);
      timer.async_wait([wakeup = wakeup_](boost::system::error_code ec) {
        if (!ec) wakeup->try_send(boost::system::error_code());
      });
      auto [ec] = co_await wakeup_->async_receive(asio::as_tuple(asio::use_awaitable));
      timer.cancel();
      if (ec) co_return Error::cancelled("webhook source: read cancelled");
    }
    co_return Batch{};
  }

  asio::awaitable<Status> commit(const Position& position) override {
    auto seq = parse_position(position);
    if (!seq) co_return Error::permanent("commit of a position that is not a webhook seq");
    intake_->trim(context_.pipeline, *seq);
    std::int64_t acked = 0;
    while (!handed_out_.empty() && handed_out_.front() <= *seq) {
      handed_out_.pop_front();
      ++acked;
    }
    if (route_) route_->add_depth(-acked);
    co_return Status::ok_status();
  }

  asio::awaitable<void> close() override {
    claim_.reset();  // new requests to the path get 503 until the pipeline is back
    co_return;
  }

  void set_paused(bool paused) override {
    if (route_) route_->set_paused(paused);
  }

 private:
  StateStore& store() { return intake_->store(); }

  Batch to_batch(std::vector<WebhookEvent>& events) {
    Batch batch;
    batch.reserve(events.size());
    for (auto& event : events) {
      Record record;
      switch (config_->format) {
        case webhook::BodyFormat::kJson:
          record.value = Payload::from_text(std::move(event.body));
          break;
        case webhook::BodyFormat::kForm:
          record.value = Payload::from_json(webhook::parse_form(event.body));
          break;
        case webhook::BodyFormat::kRaw:
          record.value = Payload::from_json(nlohmann::json(std::move(event.body)));
          break;
      }
      const auto headers = event.headers == "{}"
                               ? nlohmann::json::object()
                               : nlohmann::json::parse(event.headers, nullptr, false);
      if (headers.is_object()) {
        for (const auto& [name, value] : headers.items()) {
          if (value.is_string()) record.headers.set(name, value.get<std::string>());
        }
      }
      record.id = event.event_id;
      record.key = std::move(event.event_id);
      record.event_time = event.event_time;
      record.ingest_time = event.received_at;
      record.position = to_position(event.seq);
      after_seq_ = event.seq;
      handed_out_.push_back(event.seq);
      batch.push_back(std::move(record));
    }
    return batch;
  }

  const std::shared_ptr<const webhook::WebhookConfig> config_;
  const ConnectorContext context_;
  WebhookIntake* const intake_;
  std::int64_t after_seq_ = 0;  // the last seq handed to the pipeline
  std::deque<std::int64_t> handed_out_;  // seqs handed to the pipeline and not yet acked
  std::shared_ptr<Wakeup> wakeup_;
  std::shared_ptr<PipelineWebhookRoute> route_;
  std::unique_ptr<WebhookIntake::Claim> claim_;
};

}  // namespace

Result<std::unique_ptr<Source>> make_webhook_source(webhook::WebhookConfig config,
                                                    const ConnectorContext& context,
                                                    WebhookIntake* intake) {
  return std::unique_ptr<Source>(std::make_unique<WebhookSource>(
      std::make_shared<const webhook::WebhookConfig>(std::move(config)), context, intake));
}

}  // namespace weft
