// The mapper inside a running pipeline: filtered records are acknowledged and counted, records
// that break the model are dead-lettered with stage "map" and their original value, the sink
// gets mapped records, and a replay maps the original again.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "mapper/crosswalk.h"
#include "runtime/pipeline_fixture.h"

namespace weft {
namespace {

// 200 records {"n": 1..200}: 100..109 are filtered; codes containing a 7 break the model's
// pattern (19 in 1..99, 18 in 110..200; 107 is filtered): 37 dead letters, 153 delivered.
constexpr const char* kMapping = R"y(model:
  name: numbered
  fields:
    n: {type: int, required: true}
    code: {type: string, pattern: '^[^7]*$'}
filter: {drop: "$.n >= 100 and $.n < 110"}
map:
  n: $.n
  code: {from: $.n, fn: [to_string, "concat('')"]}
)y";

TEST_F(PipelineTest, MapsFiltersAndDeadLettersRecordsThatBreakTheModel) {
  auto p = make_pipeline(200, 50, 2, kMapping);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  {
    std::lock_guard lock(sink_log_->mutex);
    EXPECT_EQ(sink_log_->delivered.size(), 153u);
    EXPECT_EQ(std::count(sink_log_->delivered.begin(), sink_log_->delivered.end(), "105"), 0);
    EXPECT_EQ(std::count(sink_log_->delivered.begin(), sink_log_->delivered.end(), "17"), 0);
  }
  EXPECT_EQ(saved_checkpoint(), "200") << "filtered and dead-lettered records are settled too";
  auto snapshot = p->snapshot();
  EXPECT_EQ(snapshot.delivery.filtered, 10u);
  EXPECT_EQ(metrics_handles_->filtered.Value(), 10);
  EXPECT_EQ(metrics_handles_->dead_lettered_map.Value(), 37);
  EXPECT_EQ(snapshot.model, "numbered@v1");
  EXPECT_EQ(snapshot.to_json()["mapping"]["model"], "numbered@v1");

  auto letters = dead_letters();
  ASSERT_EQ(letters.size(), 37u);
  const DeadLetter& seven = letters[0];
  EXPECT_EQ(seven.stage, "map");
  EXPECT_EQ(seven.error_kind, "permanent");
  EXPECT_EQ(seven.error, "field 'code' [pattern]: '7' does not match '^[^7]*$'");
  EXPECT_EQ(seven.record.value.text(), "{\"n\":7}") << "the DLQ keeps the record as read";
  EXPECT_EQ(seven.record.position, "7");
}

TEST_F(PipelineTest, TheSinkGetsMappedRecords) {
  std::vector<std::string> values;
  sink_log_->script = [&](const Batch& batch) {
    for (const auto& r : batch) values.push_back(r.value.text());
    return WriteResult::all_delivered();
  };
  auto p = make_pipeline(3, 10, 2, "map:\n  id: {from: $.n, fn: [to_string]}\n  kind: {value: test}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(values, (std::vector<std::string>{R"({"id":"1","kind":"test"})",
                                              R"({"id":"2","kind":"test"})",
                                              R"({"id":"3","kind":"test"})"}));
}

TEST_F(PipelineTest, AReplayedMapFailureIsMappedAgain) {
  auto p = make_pipeline(0, 20, 2, std::string(kMapping) + "dlq: {max_dlq_rate: 0}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return !dead_letters().empty(); }));
  DeadLetterFilter first;
  first.id = dead_letters()[0].id;
  ASSERT_EQ(*state_->request_replay(first), 1u);
  ASSERT_TRUE(eventually([&] {
    for (const auto& letter : dead_letters()) {
      if (letter.id == *first.id) return !letter.replay_requested && letter.attempts == 2;
    }
    return false;
  })) << "the model still rejects it, so it stays queued with a second attempt";
  stop_and_wait(*p);
  for (const auto& letter : dead_letters()) {
    if (letter.id == *first.id) {
      EXPECT_EQ(letter.stage, "map");
    }
  }
}

TEST_F(PipelineTest, SourceFieldsTheMappingIgnoresAreReportedAsDrift) {
  auto p = make_pipeline(40, 10, 2, "map:\n  kind: {value: test}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  auto snapshot = p->snapshot();
  EXPECT_EQ(snapshot.unknown_fields, (std::map<std::string, std::uint64_t>{{"n", 40}}));
  EXPECT_EQ(snapshot.to_json()["mapping"]["unknown_fields"]["n"], 40);
  ASSERT_TRUE(eventually([&] {
    return metrics_.unknown_fields.Add({{"pipeline", "p"}, {"field", "n"}}).Value() == 40;
  }));
}

// A sink writes back the id its target assigned (an upserted Account's Id) and translates
// canonical ids into its target's ids through its context.
TEST_F(PipelineTest, SinksReachTheCrosswalkThroughTheirContext) {
  Crosswalk crosswalk(*state_);
  shared_.crosswalk = &crosswalk;
  auto p = make_pipeline(1);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  ASSERT_TRUE(sink_context_.crosswalk.link);
  ASSERT_TRUE(sink_context_.crosswalk.link("customer", "salesforce", "001Dn0000", "c-9"));
  auto found = sink_context_.crosswalk.external_id("customer", "c-9", "salesforce");
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::optional<std::string>("001Dn0000"));
  auto stored = state_->crosswalk_find("customer", "salesforce", "001Dn0000");
  ASSERT_TRUE(stored.ok());
  EXPECT_EQ(*stored, std::optional<std::string>("c-9")) << "the write-back is durable";
}

}  // namespace
}  // namespace weft
