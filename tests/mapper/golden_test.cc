// Golden tests: realistic records from three systems mapped into one canonical `customer` model
// (tests/mapper/golden/). Each input line's expected outcome is a line of expected/<name>.jsonl:
// the mapped value, {"filtered": true}, or {"error": "<the DLQ message>"}.
//
// Regenerate after an intended change with WEFT_UPDATE_GOLDEN=1 and review the diff.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "config/pipeline_config.h"
#include "mapper/crosswalk.h"
#include "mapper/mapping.h"
#include "state/state_store.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft {
namespace {

const std::string kGolden = WEFT_GOLDEN_DIR;

std::vector<std::string> read_lines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(line);
  }
  return lines;
}

// Input lines are record values, or with `envelope` whole records: {"op", "key", "value",
// "before", "headers"} (what a CDC source emits).
Record to_record(const std::string& line, bool envelope) {
  Record record;
  if (!envelope) {
    record.value = Payload::from_text(line);
    return record;
  }
  auto doc = nlohmann::json::parse(line);
  record.value = Payload::from_json(doc.at("value"));
  if (doc.contains("before")) record.before = Payload::from_json(doc["before"]);
  record.key = doc.value("key", "");
  record.op = parse_operation(doc.value("op", "")).value_or(Operation::kNone);
  const nlohmann::json headers = doc.value("headers", nlohmann::json::object());
  for (const auto& item : headers.items()) {
    record.headers.set(item.key(), item.value().get<std::string>());
  }
  return record;
}

nlohmann::json outcome(const MapResult& result) {
  switch (result.verdict) {
    case MapVerdict::kMapped:
      return result.record.value.json();
    case MapVerdict::kFiltered:
      return {{"filtered", true}};
    case MapVerdict::kFailed:
      return {{"error", result.error->message()}};
  }
  return nullptr;
}

struct GoldenCase {
  std::string name;
  bool envelope;
};

void PrintTo(const GoldenCase& c, std::ostream* os) { *os << c.name; }

class GoldenMapping : public ::testing::TestWithParam<GoldenCase> {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_state_store(dir_.file("state.db"));
    ASSERT_TRUE(opened.ok()) << opened.error().message();
    store_ = std::move(*opened);
    crosswalk_ = std::make_unique<Crosswalk>(*store_);
  }

  test::TempDir dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Crosswalk> crosswalk_;
};

TEST_P(GoldenMapping, MapsEveryRecordAsExpected) {
  const GoldenCase& c = GetParam();
  auto loaded = load_pipeline_file(kGolden + "/pipelines/" + c.name + ".yaml", builtin_registry(),
                                   Environment{});
  ASSERT_TRUE(loaded.ok()) << (loaded.errors.empty() ? "" : loaded.errors[0].format());
  ASSERT_NE(loaded.value->mapping, nullptr);
  Mapper mapper(loaded.value->mapping, crosswalk_.get());

  std::vector<nlohmann::json> actual;
  for (const auto& line : read_lines(kGolden + "/input/" + c.name + ".jsonl")) {
    actual.push_back(outcome(mapper.apply(to_record(line, c.envelope))));
  }
  const std::string expected_path = kGolden + "/expected/" + c.name + ".jsonl";
  if (std::getenv("WEFT_UPDATE_GOLDEN") != nullptr) {
    std::ofstream out(expected_path);
    for (const auto& value : actual) out << value.dump() << "\n";
  }
  auto expected = read_lines(expected_path);
  ASSERT_EQ(expected.size(), actual.size()) << expected_path;
  for (std::size_t i = 0; i < actual.size(); ++i) {
    EXPECT_EQ(actual[i], nlohmann::json::parse(expected[i]))
        << c.name << " input line " << i + 1;
  }
}

INSTANTIATE_TEST_SUITE_P(Customer, GoldenMapping,
                         ::testing::Values(GoldenCase{"stripe", false},
                                           GoldenCase{"salesforce", false},
                                           GoldenCase{"postgres", true}),
                         [](const auto& info) { return info.param.name; });

// The same customer met in two systems is one canonical entity once the crosswalk links them:
// what a Salesforce sink writes back after upserting a Stripe customer.
TEST_F(GoldenMapping, LinkedIdsTranslateAcrossSystems) {
  // The Stripe pipeline has met the customer (and minted its canonical id)...
  auto minted = crosswalk_->to_canonical("customer", "stripe", "cus_P5qXyZ1a2b3c", OnMissing::kCreate);
  ASSERT_TRUE(minted.ok() && *minted);
  const std::string canonical = **minted;
  // ...and a Salesforce sink wrote back the Account it upserted for it.
  ASSERT_TRUE(crosswalk_->put("customer", "salesforce", "001Dn00000XyZabIAB", canonical).ok());
  auto loaded = load_pipeline_file(kGolden + "/pipelines/salesforce.yaml", builtin_registry(),
                                   Environment{});
  ASSERT_TRUE(loaded.ok());
  Mapper mapper(loaded.value->mapping, crosswalk_.get());
  auto lines = read_lines(kGolden + "/input/salesforce.jsonl");
  MapResult result = mapper.apply(to_record(lines[0], false));
  ASSERT_EQ(result.verdict, MapVerdict::kMapped);
  EXPECT_EQ(result.record.value.json()["id"], canonical);
  auto back = crosswalk_->to_external("customer", canonical, "stripe");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, std::optional<std::string>("cus_P5qXyZ1a2b3c"));
}

}  // namespace
}  // namespace weft
