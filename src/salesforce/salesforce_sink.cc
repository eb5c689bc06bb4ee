#include "salesforce/salesforce_sink.h"

#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/channel.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <mutex>
#include <nlohmann/json.hpp>
#include <utility>

#include "salesforce/id_lookup.h"
#include "salesforce/response_error.h"
#include "salesforce/session.h"

namespace weft::salesforce {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);
using Done = asio::experimental::channel<void(boost::system::error_code)>;

// One write's requests, shared by the coroutines that send them: it outlives the write when
// the write is abandoned (the pipeline stops), since requests under way still finish.
struct Fanout {
  Fanout(asio::any_io_executor executor, std::size_t workers) : done(executor, workers) {}
  std::shared_ptr<Session> session;
  CollectionsTarget target;
  double slow_down_above = 0;
  std::chrono::milliseconds slow_down_delay{0};
  std::vector<std::vector<nlohmann::json>> requests;         // records per request
  std::vector<Result<std::vector<RecordOutcome>>> outcomes;  // per request
  std::size_t next = 0;                                      // the next request to send
  Done done;                                                 // one message per worker
};

// Sends the fanout's requests in turn until none is left, then reports on `done`.
awaitable<void> send_requests(std::shared_ptr<Fanout> f) {
  asio::steady_timer pause(co_await asio::this_coro::executor);
  while (f->next < f->requests.size()) {
    const std::size_t c = f->next++;
    if (f->session->usage().ratio() > f->slow_down_above) {
      pause.expires_after(f->slow_down_delay);
      co_await pause.async_wait(kNoThrow);
    }
    f->outcomes[c] = co_await send_collection(*f->session, f->target, f->requests[c]);
  }
  f->done.try_send(boost::system::error_code{});
}

class SalesforceSink final : public Sink {
 public:
  SalesforceSink(SalesforceConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)),
        log_(ctx.logger ? ctx.logger : spdlog::default_logger()),
        crosswalk_(ctx.crosswalk) {
    if (ctx.metrics != nullptr) {
      usage_gauge_ = &prometheus::BuildGauge()
                          .Name("weft_salesforce_api_usage_ratio")
                          .Help(
                              "The share of the org's daily API requests used, as Salesforce "
                              "reported it on the last response (Sforce-Limit-Info)")
                          .Register(*ctx.metrics)
                          .Add({{"pipeline", ctx.pipeline}});
    }
  }

  awaitable<Status> connect() override {
    auto executor = co_await asio::this_coro::executor;
    net::HttpClientOptions options;
    options.name = "salesforce sink";
    // A Bulk job's result file repeats its upload (up to kMaxJobBytes) with ids and errors added.
    if (config_.bulk_threshold > 0) {
      options.max_response_bytes = std::max(options.max_response_bytes, kMaxJobBytes * 3 / 2);
    }
    auto http = net::HttpClient::create(executor, options, log_);
    if (!http.ok()) co_return http.error();
    auto oauth = std::make_unique<OAuthClient>(*http, config_.auth);
    session_ = std::make_shared<Session>(*http, std::move(oauth), config_.api_version);
    // Logging in now turns wrong credentials into a clear start-up error.
    co_return co_await session_->login();
  }

  awaitable<WriteResult> write_batch(const Batch& batch) override {
    WriteResult result;
    std::vector<nlohmann::json> bodies(batch.size());
    std::vector<std::size_t> sendable;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      auto body = body_of(batch[i]);
      if (!body.ok()) {
        result.failures.push_back({i, body.error()});
        continue;
      }
      bodies[i] = std::move(*body);
      sendable.push_back(i);
    }
    // Updates by external id: the records' Salesforce Ids first.
    if (config_.target.operation == Operation::kUpdate &&
        !config_.target.external_id_field.empty()) {
      Status found = co_await add_ids(bodies, sendable, result);
      if (!found.ok()) co_return WriteResult::failed(found.error());
    }
    // The batch indexes each request carried (a Collections request, or the one Bulk job) and
    // what came of it.
    std::vector<std::vector<std::size_t>> requests;
    std::vector<Result<std::vector<RecordOutcome>>> outcomes;
    if (config_.bulk_threshold > 0 && sendable.size() >= config_.bulk_threshold) {
      // If weft stops or crashes while the job runs, the records are not acknowledged: they are
      // replayed and upserted again, which changes nothing (insert would duplicate, as with
      // Collections).
      auto job = co_await send_bulk(sendable, bodies);
      requests.push_back(std::move(sendable));
      outcomes.push_back(std::move(job));
    } else {
      // Requests of up to 200 records, skipping the records already refused.
      for (std::size_t i : sendable) {
        if (requests.empty() || requests.back().size() == kCollectionsLimit) {
          requests.emplace_back();
        }
        requests.back().push_back(i);
      }
      outcomes = co_await send_all(requests, bodies);
    }
    note_usage();
    co_return settle(batch, std::move(result), requests, outcomes);
  }

  // Every acknowledged record was acknowledged by Salesforce itself.
  awaitable<Status> flush() override { co_return Status{}; }

  std::size_t max_concurrent_writes() const override { return 1; }

  awaitable<void> close() override {
    session_.reset();
    co_return;
  }

  Health health() const override {
    std::lock_guard lock(health_mutex_);
    return health_;
  }

 private:
  // The record's value as Salesforce fields, checked against the operation.
  Result<nlohmann::json> body_of(const Record& record) const {
    const nlohmann::json& value = record.value.json();
    const auto& t = config_.target;
    if (t.operation == Operation::kDelete) {
      const nlohmann::json* source = &value;
      if ((!value.is_object() || !value.contains("Id")) && record.before &&
          record.before->json().is_object()) {
        source = &record.before->json();
      }
      if (!source->is_object() || !(*source).contains("Id") || !(*source)["Id"].is_string()) {
        return Error::permanent("a salesforce delete needs the record's Salesforce Id in field Id");
      }
      return nlohmann::json{{"Id", (*source)["Id"]}};
    }
    if (!value.is_object()) return Error::permanent("the record's value is not a JSON object");
    if (t.operation == Operation::kUpsert) {
      if (!value.contains(t.external_id_field) || value[t.external_id_field].is_null()) {
        return Error::permanent("no value for the external id field " + t.external_id_field);
      }
      if (value.contains("Id")) {
        return Error::permanent(
            "field Id must not be sent with an upsert: Salesforce matches "
            "records by " +
            t.external_id_field);
      }
    }
    if (t.operation == Operation::kUpdate && !value.contains("Id") &&
        (t.external_id_field.empty() || external_id_of(value).empty())) {
      return Error::permanent("a salesforce update needs the record's Salesforce Id in field Id" +
                              (t.external_id_field.empty()
                                   ? std::string()
                                   : " or its external id in " + t.external_id_field));
    }
    return value;
  }

  // Turns what Salesforce said about each request and record into the write's result: the
  // records it refused as failures (retryable when its code is transient), or, when every
  // request failed retryably (Salesforce unavailable or out of requests), the write as a whole
  // failed, which is what pauses the source through the circuit breaker rather than
  // dead-lettering records. Whichever transport carried them.
  WriteResult settle(const Batch& batch, WriteResult result,
                     const std::vector<std::vector<std::size_t>>& requests,
                     const std::vector<Result<std::vector<RecordOutcome>>>& outcomes) {
    std::size_t failed_requests = 0;
    std::optional<Error> request_error;
    for (std::size_t c = 0; c < requests.size(); ++c) {
      if (!outcomes[c].ok()) {
        ++failed_requests;
        if (!request_error) request_error = outcomes[c].error();
        for (std::size_t index : requests[c]) {
          result.failures.push_back({index, outcomes[c].error()});
        }
        continue;
      }
      for (std::size_t k = 0; k < requests[c].size(); ++k) {
        const RecordOutcome& o = (*outcomes[c])[k];
        if (o.success) {
          // A write-back that fails makes the record fail too: sent again, an upsert changes
          // nothing and the link is written then.
          if (Status linked = link(batch[requests[c][k]], o); !linked.ok()) {
            result.failures.push_back({requests[c][k], linked.error()});
          }
          continue;
        }
        std::string why = config_.target.object + " " + describe_failure(o);
        const bool retry = transient_code(o.code);
        result.failures.push_back({requests[c][k], retry ? Error::retryable(std::move(why))
                                                         : Error::permanent(std::move(why))});
      }
    }
    if (request_error && failed_requests == requests.size() && request_error->retryable()) {
      if (limit_exceeded(*request_error)) set_limit_reached(true);
      return WriteResult::failed(*request_error);
    }
    set_limit_reached(false);
    std::sort(result.failures.begin(), result.failures.end(),
              [](const auto& a, const auto& b) { return a.index < b.index; });
    return result;
  }

  // Runs one Bulk API 2.0 job for the records at `indexes`; their outcomes in that order.
  awaitable<Result<std::vector<RecordOutcome>>> send_bulk(
      const std::vector<std::size_t>& indexes, const std::vector<nlohmann::json>& bodies) {
    std::vector<nlohmann::json> records;
    records.reserve(indexes.size());
    for (std::size_t index : indexes) records.push_back(bodies[index]);
    // Held here so that close() during the job does not pull the session from under it.
    std::shared_ptr<Session> session = session_;
    if (session->usage().ratio() > config_.slow_down_above) {
      asio::steady_timer pause(co_await asio::this_coro::executor);
      pause.expires_after(config_.slow_down_delay);
      co_await pause.async_wait(kNoThrow);
    }
    auto outcomes = co_await run_bulk_job(*session, config_.target, records, config_.bulk);
    co_return std::move(outcomes);
  }

  // Sends the chunks with up to requests_in_flight requests at once; the outcome of chunk c.
  awaitable<std::vector<Result<std::vector<RecordOutcome>>>> send_all(
      const std::vector<std::vector<std::size_t>>& chunks,
      const std::vector<nlohmann::json>& bodies) {
    if (chunks.empty()) co_return std::vector<Result<std::vector<RecordOutcome>>>{};
    auto executor = co_await asio::this_coro::executor;
    const std::size_t workers = std::min(config_.requests_in_flight, chunks.size());
    auto f = std::make_shared<Fanout>(executor, workers);
    f->session = session_;
    f->target = config_.target;
    f->slow_down_above = config_.slow_down_above;
    f->slow_down_delay = config_.slow_down_delay;
    for (const auto& chunk : chunks) {
      std::vector<nlohmann::json> records;
      records.reserve(chunk.size());
      for (std::size_t index : chunk) records.push_back(bodies[index]);
      f->requests.push_back(std::move(records));
    }
    f->outcomes.assign(chunks.size(), Error::retryable("salesforce: the request was not sent"));
    for (std::size_t w = 0; w < workers; ++w) {
      asio::co_spawn(executor, send_requests(f), asio::detached);
    }
    for (std::size_t w = 0; w < workers; ++w) co_await f->done.async_receive(kNoThrow);
    co_return std::move(f->outcomes);
  }

  // The external id field's value as text; "" when the record has none.
  std::string external_id_of(const nlohmann::json& value) const {
    const auto found = value.find(config_.target.external_id_field);
    if (found == value.end() || found->is_null()) return {};
    return found->is_string() ? found->get<std::string>() : found->dump();
  }

  // Gives the sendable records without an Id the Id of the record their external id names;
  // a record whose external id names none is refused (an update creates nothing).
  awaitable<Status> add_ids(std::vector<nlohmann::json>& bodies, std::vector<std::size_t>& sendable,
                            WriteResult& result) {
    std::vector<std::string> wanted;
    for (std::size_t i : sendable) {
      if (!bodies[i].contains("Id")) wanted.push_back(external_id_of(bodies[i]));
    }
    if (wanted.empty()) co_return Status{};
    auto ids = co_await find_ids(*session_, config_.target.object, config_.target.external_id_field,
                                 wanted);
    if (!ids.ok()) co_return ids.error();
    std::vector<std::size_t> kept;
    for (std::size_t i : sendable) {
      if (!bodies[i].contains("Id")) {
        const std::string external = external_id_of(bodies[i]);
        const auto id = ids->find(external);
        if (id == ids->end()) {
          result.failures.push_back(
              {i, Error::permanent("no " + config_.target.object + " has " +
                                   config_.target.external_id_field + " '" + external +
                                   "' to update (operation update creates nothing)")});
          continue;
        }
        bodies[i]["Id"] = id->second;
      }
      kept.push_back(i);
    }
    sendable = std::move(kept);
    co_return Status{};
  }

  // Links the Salesforce Id of an accepted record to its canonical id (crosswalk write-back).
  Status link(const Record& record, const RecordOutcome& outcome) {
    if (config_.crosswalk_entity.empty() || !crosswalk_.link || outcome.id.empty()) return {};
    std::string canonical = record.key;
    if (config_.target.operation == Operation::kUpsert) {
      const auto& value = record.value.json();
      const auto& id = value[config_.target.external_id_field];
      canonical = id.is_string() ? id.get<std::string>() : id.dump();
    }
    if (canonical.empty()) return {};
    Status s =
        crosswalk_.link(config_.crosswalk_entity, config_.crosswalk_system, outcome.id, canonical);
    if (!s.ok()) {
      return Error::retryable(
          "salesforce: " + config_.target.object + " " + outcome.id +
          " was written but its crosswalk link was not: " + s.error().message());
    }
    return {};
  }

  void note_usage() {
    if (usage_gauge_ != nullptr && session_) usage_gauge_->Set(session_->usage().ratio());
  }

  void set_limit_reached(bool reached) {
    std::lock_guard lock(health_mutex_);
    if (reached) {
      const ApiUsage usage = session_ ? session_->usage() : ApiUsage{};
      health_ = {false,
                 "salesforce: the org's API request limit is used up "
                 "(REQUEST_LIMIT_EXCEEDED, api-usage=" +
                     std::to_string(usage.used) + "/" + std::to_string(usage.limit) +
                     "); waiting, nothing is lost"};
    } else {
      health_ = {};
    }
  }

  SalesforceConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  CrosswalkAccess crosswalk_;
  prometheus::Gauge* usage_gauge_ = nullptr;
  std::shared_ptr<Session> session_;
  mutable std::mutex health_mutex_;
  Health health_;
};

}  // namespace

std::unique_ptr<Sink> make_salesforce_sink(SalesforceConfig config, const ConnectorContext& ctx) {
  return std::make_unique<SalesforceSink>(std::move(config), ctx);
}

}  // namespace weft::salesforce
