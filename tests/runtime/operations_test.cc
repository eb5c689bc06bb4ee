// What an operator does to a running pipeline: pause and resume it, tap its records, watch its
// freshness.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "runtime/pipeline_fixture.h"

namespace weft {
namespace {

std::uint64_t delivered_count(testing::SinkLog& log) {
  std::lock_guard lock(log.mutex);
  return log.delivered.size();
}

// Waits until the stream has `count` lines or has ended; returns what it got.
std::vector<nlohmann::json> read_lines(TapStream& stream, std::size_t count) {
  std::vector<nlohmann::json> lines;
  eventually([&] {
    for (auto& line : stream.take()) lines.push_back(nlohmann::json::parse(line));
    return lines.size() >= count || stream.done();
  });
  return lines;
}

TEST_F(PipelineTest, PauseDeliversWhatWasReadCommitsItAndReadsNothingMore) {
  auto p = make_pipeline(0, 10);  // endless
  p->start();
  ASSERT_TRUE(eventually([&] { return delivered_count(*sink_log_) >= 50; }));
  p->set_paused(true);
  ASSERT_TRUE(eventually([&] {
    auto s = p->snapshot();
    return s.state == PipelineState::kPaused && s.in_flight == 0 &&
           s.checkpoint == std::to_string(s.records_in);
  })) << "the read under way ends, and what was read is delivered and committed";
  const auto snapshot = p->snapshot();
  EXPECT_EQ(snapshot.state, PipelineState::kPaused);
  ASSERT_TRUE(snapshot.paused_since.has_value());
  EXPECT_TRUE(snapshot.to_json()["paused"].get<std::string>().starts_with(
      "paused by an operator since "));
  const std::uint64_t produced = source_log_->produced;
  const auto checkpoint = saved_checkpoint();
  ASSERT_TRUE(eventually([&] {
    std::lock_guard lock(source_log_->mutex);
    return !source_log_->commits.empty() && source_log_->commits.back() == checkpoint;
  })) << "the source is told about the last commit even while paused";

  std::this_thread::sleep_for(300ms);  // 30 checkpoint intervals
  EXPECT_EQ(source_log_->produced, produced) << "nothing is read while paused";
  EXPECT_EQ(saved_checkpoint(), checkpoint) << "the position does not move";
  EXPECT_EQ(metrics_handles_->operator_paused.Value(), 1);

  p->set_paused(false);
  EXPECT_EQ(p->snapshot().state, PipelineState::kRunning);
  ASSERT_TRUE(eventually([&] { return source_log_->produced > produced + 50; }));
  EXPECT_EQ(metrics_handles_->operator_paused.Value(), 0);
  stop_and_wait(*p);
}

TEST_F(PipelineTest, APauseSavedInTheStateStoreHoldsThePipelineFromItsStart) {
  ASSERT_TRUE(state_->set_paused("p", true).ok());
  auto p = make_pipeline(100, 10);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kPaused; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(source_log_->produced, 0u);
  p->set_paused(false);
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  EXPECT_EQ(delivered_count(*sink_log_), 100u);
}

constexpr const char* kPiiMapping = R"y(model:
  name: contact
  fields:
    n: {type: int, required: true}
    phone: {type: string, pii: true}
    api_token: {type: string}
map:
  n: $.n
  phone: {from: $.n, fn: [to_string]}
  api_token: {value: sk_live_123}
)y";

TEST_F(PipelineTest, TapStreamsEachStageWithSecretsAndPiiHidden) {
  auto p = make_pipeline(0, 5, 2, kPiiMapping);
  sink_log_->gate_closed = true;  // nothing passes until the taps are in place
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kRunning; }));
  auto source = p->tap(TapStage::kSource, 3);
  auto mapped = p->tap(TapStage::kMapped, 3);
  auto sink = p->tap(TapStage::kSink, 3);
  sink_log_->gate_closed = false;

  auto at_source = read_lines(*source, 3);
  ASSERT_EQ(at_source.size(), 3u);
  EXPECT_EQ(at_source[0]["pipeline"], "p");
  EXPECT_EQ(at_source[0]["stage"], "source");
  EXPECT_EQ(at_source[0]["record"]["value"]["n"], "***")
      << "the source field that feeds a pii field is hidden too: " << at_source[0].dump();

  auto at_mapped = read_lines(*mapped, 3);
  ASSERT_EQ(at_mapped.size(), 3u);
  const auto& value = at_mapped[0]["record"]["value"];
  EXPECT_EQ(value["phone"], "***") << value.dump();
  EXPECT_EQ(value["api_token"], "***") << "a secret by its name";
  EXPECT_TRUE(value["n"] == "***") << "n is the pii field's source name, hidden everywhere";

  auto at_sink = read_lines(*sink, 3);
  ASSERT_EQ(at_sink.size(), 3u);
  EXPECT_EQ(at_sink[0]["stage"], "sink");
  EXPECT_FALSE(at_sink[0].dump().find("sk_live_123") != std::string::npos);
  EXPECT_TRUE(source->done() && mapped->done() && sink->done()) << "each ends at its limit";
  stop_and_wait(*p);
}

TEST_F(PipelineTest, TapStreamsEndWhenThePipelineStops) {
  auto p = make_pipeline(0, 5);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kRunning; }));
  auto stream = p->tap(TapStage::kSink, 1000000);
  stop_and_wait(*p);
  EXPECT_TRUE(eventually([&] {
    stream->take();
    return stream->done();
  }));
}

TEST_F(PipelineTest, FreshnessBreachesWhenNothingIsDeliveredWithinMaxAge) {
  sink_log_->gate_closed = true;  // the destination takes nothing
  auto p = make_pipeline(0, 5, 2, "freshness: {max_age: 1s}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().freshness.breached; }));
  auto s = p->snapshot();
  EXPECT_TRUE(s.freshness.reason.starts_with(
      "freshness SLO breached: the newest delivered data is "))
      << s.freshness.reason;
  EXPECT_TRUE(s.freshness.reason.ends_with(" old (max_age 1s)")) << s.freshness.reason;
  EXPECT_TRUE(eventually([&] { return metrics_handles_->freshness_breached.Value() == 1; }));
  sink_log_->gate_closed = false;
  EXPECT_TRUE(eventually([&] { return !p->snapshot().freshness.breached; }));
  EXPECT_TRUE(eventually([&] { return metrics_handles_->freshness_breached.Value() == 0; }));
  stop_and_wait(*p);
}

TEST_F(PipelineTest, APausedPipelineIsNeverStale) {
  auto p = make_pipeline(0, 5, 2, "freshness: {max_age: 1s}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().records_out > 0; }));
  p->set_paused(true);
  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(p->snapshot().freshness.breached);
  EXPECT_GE(p->snapshot().freshness.age, 1s) << "the age is still measured";
  stop_and_wait(*p);
}

}  // namespace
}  // namespace weft
