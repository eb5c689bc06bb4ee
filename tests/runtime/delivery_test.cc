// The delivery middleware inside a running pipeline: dead-letter queue, retries exhausted,
// circuit breaker pausing the source, idempotency across restarts, replay, the DLQ rate guard.

#include <algorithm>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "runtime/pipeline_fixture.h"

namespace weft {
namespace {

// What the scripted sink delivered, as a multiset-free check: every key once.
std::set<std::string> unique(const std::vector<std::string>& keys) {
  return {keys.begin(), keys.end()};
}

WriteResult reject_keys(const Batch& batch, const std::set<std::string>& keys, const Error& error) {
  WriteResult r;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    if (keys.count(batch[i].key) != 0) r.failures.push_back({i, error});
  }
  return r;
}

TEST_F(PipelineTest, APermanentlyRejectedRecordIsDeadLetteredAndThePipelineGoesOn) {
  sink_log_->script = [](const Batch& batch) {
    return reject_keys(batch, {"150"}, Error::permanent("field 'sku' rejected"));
  };
  auto p = make_pipeline(300);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  {
    std::lock_guard lock(sink_log_->mutex);
    EXPECT_EQ(sink_log_->delivered.size(), 299u);
    EXPECT_EQ(unique(sink_log_->delivered).count("150"), 0u);
  }
  EXPECT_EQ(saved_checkpoint(), "300") << "the dead letter counts as settled";
  auto letters = dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  const DeadLetter& d = letters[0];
  EXPECT_EQ(d.pipeline, "p");
  EXPECT_EQ(d.stage, "sink");
  EXPECT_EQ(d.error_kind, "permanent");
  EXPECT_NE(d.error.find("field 'sku' rejected"), std::string::npos) << d.error;
  EXPECT_EQ(d.attempts, 1);
  EXPECT_EQ(d.record.key, "150");
  EXPECT_EQ(d.record.position, "150");
  EXPECT_EQ(d.record.value.text(), "{\"n\":150}") << "the original payload is kept";
  EXPECT_EQ(metrics_handles_->dead_lettered_sink.Value(), 1);
}

TEST_F(PipelineTest, ARecordTheSourceRejectedGoesToTheDlqWithoutReachingTheSink) {
  source_log_->unparseable = {7, 8};
  auto p = make_pipeline(20);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  {
    std::lock_guard lock(sink_log_->mutex);
    EXPECT_EQ(sink_log_->delivered.size(), 18u);
    EXPECT_EQ(unique(sink_log_->delivered).count("7"), 0u);
  }
  EXPECT_EQ(saved_checkpoint(), "20");
  auto letters = dead_letters();
  ASSERT_EQ(letters.size(), 2u);
  EXPECT_EQ(letters[0].stage, "source");
  EXPECT_EQ(letters[0].error_kind, "permanent");
  EXPECT_EQ(letters[0].error, "row 7: 3 fields, expected 2");
  EXPECT_EQ(letters[0].record.value.text(), "7,x,y") << "the raw input, as read";
  EXPECT_EQ(letters[0].record.rejected, "row 7: 3 fields, expected 2");
  EXPECT_EQ(metrics_handles_->dead_lettered_source.Value(), 2);
}

TEST_F(PipelineTest, ARecordThatKeepsFailingIsDeadLetteredAfterMaxAttempts) {
  sink_log_->script = [](const Batch& batch) {
    return reject_keys(batch, {"42"}, Error::retryable("row locked"));
  };
  auto p = make_pipeline(100, 100, 2, "retry: {initial: 1ms, max: 5ms, max_attempts: 4}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  {
    std::lock_guard lock(sink_log_->mutex);
    EXPECT_EQ(sink_log_->delivered.size(), 99u);
    EXPECT_EQ(sink_log_->write_sizes.size(), 4u) << "one full write, then 3 retries of one record";
    EXPECT_EQ(sink_log_->write_sizes.back(), 1u) << "the 99 delivered records were not resent";
  }
  auto letters = dead_letters();
  ASSERT_EQ(letters.size(), 1u);
  EXPECT_EQ(letters[0].record.key, "42");
  EXPECT_EQ(letters[0].error_kind, "retryable");
  EXPECT_EQ(letters[0].attempts, 4);
  EXPECT_NE(letters[0].error.find("gave up after 4 attempt(s)"), std::string::npos)
      << letters[0].error;
  EXPECT_EQ(p->snapshot().state, PipelineState::kFinished);
  EXPECT_EQ(p->snapshot().delivery.breaker_state, 0) << "a record's failures never open it";
}

TEST_F(PipelineTest, AnOpenBreakerPausesTheSourceAndRecoveryLosesNothing) {
  std::atomic<bool> down{false};
  sink_log_->script = [&](const Batch&) {
    if (down) return WriteResult::failed(Error::retryable("connection refused"));
    return WriteResult::all_delivered();
  };
  auto p = make_pipeline(2000, 50, 2,
                         "retry: {initial: 1ms, max: 5ms, max_attempts: 3}\n"
                         "circuit_breaker: {failure_threshold: 3, open_for: 150ms}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().records_out >= 200; }));
  down = true;
  ASSERT_TRUE(eventually([&] { return p->snapshot().delivery.breaker_state == 2; }));
  // The gauges follow the breaker's state a moment later, on the writer.
  EXPECT_TRUE(eventually([&] { return metrics_handles_->breaker_state.Value() == 2; }));
  EXPECT_TRUE(eventually([&] { return metrics_handles_->source_paused.Value() == 1; }));
  PipelineSnapshot open = p->snapshot();
  EXPECT_NE(open.error.find("circuit breaker open for sink scripted"), std::string::npos)
      << open.error;
  EXPECT_NE(open.error.find("the last failure: connection refused"), std::string::npos)
      << "the status says what is wrong: " << open.error;

  // While open: no reads, no dead letters (the attempts do not count), only probe writes.
  std::this_thread::sleep_for(50ms);  // let a read that was already underway finish
  const auto produced = source_log_->produced.load();
  std::size_t writes_before = 0;
  {
    std::lock_guard lock(sink_log_->mutex);
    writes_before = sink_log_->write_sizes.size();
  }
  std::this_thread::sleep_for(600ms);
  EXPECT_EQ(source_log_->produced.load(), produced) << "the source is paused";
  {
    std::lock_guard lock(sink_log_->mutex);
    EXPECT_LE(sink_log_->write_sizes.size() - writes_before, 5u)
        << "one probe per open_for, not a retry storm";
  }
  EXPECT_TRUE(dead_letters().empty()) << "an outage is not a reason to dead-letter";

  down = false;
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(sink_log_->delivered.size(), 2000u) << "nothing lost, nothing twice";
  EXPECT_EQ(unique(sink_log_->delivered).size(), 2000u);
  EXPECT_EQ(saved_checkpoint(), "2000");
  EXPECT_EQ(p->snapshot().delivery.breaker_state, 0);
  EXPECT_EQ(metrics_handles_->source_paused.Value(), 0);
}

TEST_F(PipelineTest, DuplicatesAreSkippedAcrossARestart) {
  const std::string dedupe = "idempotency: {key: \"{key}\", ttl: 1h}\n";
  auto first = make_pipeline(100, 30, 2, dedupe);
  first->start();
  ASSERT_TRUE(eventually([&] { return first->snapshot().state == PipelineState::kFinished; }));
  first.reset();

  // The source forgets its position (as a re-sent webhook or a re-run export would) and the
  // daemon restarts: the first 100 records arrive again.
  ASSERT_TRUE(state_->delete_checkpoint("p").ok());
  open_state();
  auto second = make_pipeline(150, 30, 2, dedupe);
  second->start();
  ASSERT_TRUE(eventually([&] { return second->snapshot().state == PipelineState::kFinished; }))
      << second->snapshot().error;
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(sink_log_->delivered.size(), 150u) << "records 1-100 were not sent twice";
  EXPECT_EQ(unique(sink_log_->delivered).size(), 150u);
  EXPECT_EQ(metrics_handles_->duplicates.Value(), 100);
  EXPECT_EQ(second->snapshot().delivery.duplicates, 100u);
  EXPECT_EQ(saved_checkpoint(), "150");
}

TEST_F(PipelineTest, ARecordWithoutItsIdempotencyKeyIsDeadLettered) {
  auto p = make_pipeline(10, 100, 2, "idempotency: {key: $.order_id}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  auto letters = dead_letters();
  ASSERT_EQ(letters.size(), 10u);
  EXPECT_EQ(letters[0].stage, "idempotency");
  EXPECT_NE(letters[0].error.find("order_id"), std::string::npos) << letters[0].error;
  EXPECT_EQ(metrics_handles_->dead_lettered_idempotency.Value(), 10);
}

TEST_F(PipelineTest, ReplayDeliversMarkedDeadLettersAndRemovesThem) {
  std::atomic<bool> reject{true};
  sink_log_->script = [&](const Batch& batch) {
    if (!reject) return WriteResult::all_delivered();
    return reject_keys(batch, {"7", "8"}, Error::permanent("unknown customer"));
  };
  auto p = make_pipeline(0, 20, 2, "dlq: {max_dlq_rate: 0}\n");  // endless
  p->start();
  ASSERT_TRUE(eventually([&] { return dead_letters().size() == 2; }));
  reject = false;  // the customer now exists
  DeadLetterFilter only_7;
  only_7.pipeline = "p";
  only_7.id = dead_letters()[0].id;
  ASSERT_EQ(*state_->request_replay(only_7), 1u);
  ASSERT_TRUE(eventually([&] { return dead_letters().size() == 1; }));
  EXPECT_EQ(dead_letters()[0].record.key, "8") << "only the marked entry was replayed";
  ASSERT_TRUE(eventually([&] { return metrics_handles_->dlq_depth.Value() == 1; }));
  stop_and_wait(*p);
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(std::count(sink_log_->delivered.begin(), sink_log_->delivered.end(), "7"), 1);
  EXPECT_EQ(std::count(sink_log_->delivered.begin(), sink_log_->delivered.end(), "8"), 0);
  EXPECT_EQ(metrics_handles_->replayed.Value(), 1);
}

TEST_F(PipelineTest, AReplayThatFailsAgainKeepsTheEntryWithItsNewError) {
  sink_log_->script = [&](const Batch& batch) {
    return reject_keys(batch, {"3"}, Error::permanent("still unknown"));
  };
  auto p = make_pipeline(0, 20, 2, "dlq: {max_dlq_rate: 0}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return dead_letters().size() == 1; }));
  DeadLetterFilter all;
  ASSERT_EQ(*state_->request_replay(all), 1u);
  ASSERT_TRUE(eventually([&] {
    auto letters = dead_letters();
    return letters.size() == 1 && !letters[0].replay_requested && letters[0].attempts == 2;
  }));
  stop_and_wait(*p);
  EXPECT_EQ(metrics_handles_->replayed.Value(), 0);
}

TEST_F(PipelineTest, MostRecordsFailingPausesThePipelineInsteadOfDrainingItIntoTheDlq) {
  sink_log_->script = [](const Batch& batch) {
    WriteResult r;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      r.failures.push_back({i, Error::permanent("mapping misconfigured")});
    }
    return r;
  };
  auto p = make_pipeline(0, 10, 2, "dlq: {max_dlq_rate: 0.5, rate_window: 40}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return !p->snapshot().delivery.paused_reason.empty(); }));
  PipelineSnapshot s = p->snapshot();
  EXPECT_NE(s.error.find("dead-letter rate 100% of the last 40 records"), std::string::npos)
      << s.error;
  std::this_thread::sleep_for(100ms);  // batches already queued are still settled
  const auto dead = dead_letters().size();
  std::this_thread::sleep_for(300ms);
  EXPECT_EQ(dead_letters().size(), dead) << "paused: nothing more drains into the DLQ";
  EXPECT_LE(dead, 100u);
  EXPECT_EQ(metrics_handles_->source_paused.Value(), 1);
  stop_and_wait(*p);
  EXPECT_EQ(saved_checkpoint(), std::to_string(dead)) << "every dead letter is committed";
}

TEST_F(PipelineTest, ARateLimitedPipelineStillDeliversEverything) {
  auto p = make_pipeline(300, 50, 2, "rate_limit: {per_second: 2000, burst: 100}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  EXPECT_EQ(p->snapshot().records_out, 300u);
}

TEST_F(PipelineTest, ASharedRateLimitIsTheOneBucketTheDaemonDefines) {
  // A burst big enough that nobody waits, refilled slowly enough that what was taken shows.
  auto limits = RateLimiterRegistry::build({{"crm", RateLimit{1, 10000}}});
  ASSERT_TRUE(limits.ok());
  shared_.rate_limits = &*limits;
  auto p = make_pipeline(300, 50, 2, "rate_limit: {shared: crm}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  EXPECT_EQ(p->snapshot().records_out, 300u);
  // The pipeline took its tokens from the daemon's bucket, not from one of its own.
  EXPECT_LT(limits->find("crm")->tokens(std::chrono::steady_clock::now()), 9800.0);
}

TEST_F(PipelineTest, AnUnknownSharedRateLimitFailsThePipelineClearly) {
  auto p = make_pipeline(10, 50, 2, "rate_limit: {shared: crm_api}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFailed; }));
  EXPECT_NE(p->snapshot().error.find("no shared rate limit named 'crm_api'"), std::string::npos)
      << p->snapshot().error;
}

TEST_F(PipelineTest, TheFileDlqTargetAppendsJsonLines) {
  sink_log_->script = [](const Batch& batch) {
    return reject_keys(batch, {"5"}, Error::permanent("bad record"));
  };
  const std::string path = dir_.file("dlq/p.jsonl");
  auto p = make_pipeline(20, 100, 2, "dlq: {target: file, path: " + path + "}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  auto json = nlohmann::json::parse(line);
  EXPECT_EQ(json["record"]["key"], "5");
  EXPECT_EQ(json["error_kind"], "permanent");
  EXPECT_FALSE(std::getline(in, line)) << "one dead letter, one line";
  EXPECT_TRUE(dead_letters().empty());
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST_F(PipelineTest, ADrainDoesNotWaitForAnOpenBreakerAndLeavesTheRestForTheNextStart) {
  std::atomic<bool> down{false};
  sink_log_->script = [&](const Batch&) {
    if (down) return WriteResult::failed(Error::retryable("connection refused"));
    return WriteResult::all_delivered();
  };
  auto p = make_pipeline(0, 50, 2, "circuit_breaker: {failure_threshold: 2, open_for: 1h}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().records_out >= 200; }));
  down = true;
  ASSERT_TRUE(eventually([&] { return p->snapshot().delivery.breaker_state == 2; }));
  stop_and_wait(*p);  // open_for is an hour: the drain must not wait for the probe
  EXPECT_EQ(p->snapshot().state, PipelineState::kStopped);
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(saved_checkpoint(), sink_log_->delivered.back())
      << "only what was delivered is committed; the rest is read again after the restart";
  EXPECT_TRUE(dead_letters().empty());
}

}  // namespace
}  // namespace weft
