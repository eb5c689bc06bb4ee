// The mapper as a pipeline runs it: filter, map, model contract, route, drift, crosswalk.
#include "mapper/mapping.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "config/pipeline_config.h"
#include "state/state_store.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft {
namespace {

using nlohmann::json;

constexpr const char* kHeader = R"y(name: p
source: {type: generate}
sink: {type: file, path: /dev/null}
)y";

class MappingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = open_sqlite_state_store(dir_.file("state.db"));
    ASSERT_TRUE(opened.ok());
    store_ = std::move(*opened);
    crosswalk_ = std::make_unique<Crosswalk>(*store_);
  }

  // A mapper for the pipeline-file lines `body` (below name/source/sink).
  std::unique_ptr<Mapper> mapper(const std::string& body) {
    const std::string path = dir_.write("pipelines/p.yaml", std::string(kHeader) + body);
    auto loaded = load_pipeline_file(path, builtin_registry(), Environment{});
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
    if (!loaded.ok() || !loaded.value->mapping) return nullptr;
    return std::make_unique<Mapper>(loaded.value->mapping, crosswalk_.get());
  }

  void model(const std::string& file, const std::string& text) {
    dir_.write("models/" + file, text);
  }

  static Record record(const json& value) {
    Record r;
    r.value = Payload::from_json(value);
    return r;
  }

  test::TempDir dir_;
  std::unique_ptr<StateStore> store_;
  std::unique_ptr<Crosswalk> crosswalk_;
};

TEST_F(MappingTest, ReadsPathsConstantsCoalesceDefaultsAndFunctionChains) {
  auto m = mapper(R"y(map:
  email: {from: $.contact.email, fn: [trim, lower]}
  name: {coalesce: [$.name, $.company, $.login], default: anonymous}
  plan: {value: pro}
  zero: {value: 0}
  nickname: {from: $.missing, default: none}
  slug: {from: $.name, fn: ["replace(' ', '-')", lower, "concat('-', $.id)"]}
  address.city: $.city
  skus: $.items[*].sku
)y");
  ASSERT_NE(m, nullptr);
  MapResult r = m->apply(record({{"contact", {{"email", " Ann@Example.COM "}}},
                                 {"name", nullptr},
                                 {"company", "Ann Co"},
                                 {"id", 7},
                                 {"city", "Oslo"},
                                 {"items", json::array({{{"sku", "A"}}, {{"sku", "B"}}})}}));
  ASSERT_EQ(r.verdict, MapVerdict::kMapped) << (r.error ? r.error->message() : "");
  const json& out = r.record.value.json();
  EXPECT_EQ(out["email"], "ann@example.com");
  EXPECT_EQ(out["name"], "Ann Co");
  EXPECT_EQ(out["plan"], "pro");
  EXPECT_EQ(out["zero"], 0);
  EXPECT_EQ(out["nickname"], "none");
  EXPECT_EQ(out["slug"], "-7") << "replace and lower pass the null name through; concat reads "
                                  "null as ''";
  EXPECT_EQ(out["address"], json({{"city", "Oslo"}}));
  EXPECT_EQ(out["skus"], json::array({"A", "B"}));
}

TEST_F(MappingTest, CasesPickTheFirstMatchingAlternative) {
  auto m = mapper(R"y(map:
  status:
    cases:
      - {when: "@op == 'delete'", value: deleted}
      - {when: "$.trial", from: $.trial_status}
      - {value: active}
)y");
  ASSERT_NE(m, nullptr);
  auto status = [&](Operation op, const json& value) {
    Record r = record(value);
    r.op = op;
    return m->apply(r).record.value.json().value("status", "<absent>");
  };
  EXPECT_EQ(status(Operation::kDelete, {{"trial", true}}), "deleted");
  EXPECT_EQ(status(Operation::kUpdate, {{"trial", true}, {"trial_status", "trialing"}}),
            "trialing");
  EXPECT_EQ(status(Operation::kUpdate, {{"trial", true}}), "<absent>")
      << "a matching case whose path is absent leaves the field absent";
  EXPECT_EQ(status(Operation::kCreate, {{"trial", false}}), "active");
}

TEST_F(MappingTest, KeepsRecordMetadataAndMapsTheBeforeImage) {
  auto m = mapper("map:\n  email: {from: $.email, fn: [lower]}\n");
  ASSERT_NE(m, nullptr);
  Record in = record({{"email", "NEW@X.IO"}});
  in.before = Payload::from_json(json{{"email", "OLD@X.IO"}});
  in.key = "42";
  in.op = Operation::kUpdate;
  in.position = "0/1";
  in.headers.set("table", "customers");
  MapResult r = m->apply(in);
  ASSERT_EQ(r.verdict, MapVerdict::kMapped);
  EXPECT_EQ(r.record.key, "42");
  EXPECT_EQ(r.record.op, Operation::kUpdate);
  EXPECT_EQ(r.record.position, "0/1");
  EXPECT_EQ(r.record.headers.at("table"), "customers");
  ASSERT_TRUE(r.record.before.has_value());
  EXPECT_EQ(r.record.before->json(), json({{"email", "old@x.io"}}));
}

TEST_F(MappingTest, FilterKeepsOrDropsByCondition) {
  auto keep = mapper("filter: \"$.type == 'customer.created' and not $.livemode\"\n");
  ASSERT_NE(keep, nullptr);
  EXPECT_EQ(keep->apply(record({{"type", "customer.created"}, {"livemode", false}})).verdict,
            MapVerdict::kMapped);
  EXPECT_EQ(keep->apply(record({{"type", "invoice.paid"}})).verdict, MapVerdict::kFiltered);
  auto drop = mapper("filter: {drop: \"@op == 'delete'\"}\n");
  ASSERT_NE(drop, nullptr);
  Record deleted = record({{"id", 1}});
  deleted.op = Operation::kDelete;
  EXPECT_EQ(drop->apply(deleted).verdict, MapVerdict::kFiltered);
  deleted.op = Operation::kUpdate;
  MapResult kept = drop->apply(deleted);
  ASSERT_EQ(kept.verdict, MapVerdict::kMapped);
  EXPECT_EQ(kept.record.value.json(), json({{"id", 1}})) << "without map the value passes whole";
}

TEST_F(MappingTest, RouteWritesTheFirstMatchingRouteToTheRouteHeader) {
  auto m = mapper(R"y(map:
  country: {from: $.addr.country, fn: [upper]}
route:
  - {when: "$.country in ['DE', 'FR']", to: eu}
  - {when: "$.country == 'US'", to: us}
  - {to: rest}
)y");
  ASSERT_NE(m, nullptr);
  auto route_of = [&](const char* country) {
    MapResult r = m->apply(record({{"addr", {{"country", country}}}}));
    return r.record.headers.contains(kRouteHeader) ? r.record.headers.at(kRouteHeader) : "";
  };
  EXPECT_EQ(route_of("de"), "eu") << "routes read the mapped record";
  EXPECT_EQ(route_of("us"), "us");
  EXPECT_EQ(route_of("jp"), "rest");
}

TEST_F(MappingTest, ModelViolationsNameFieldRuleAndValueAndHidePii) {
  model("contact.yaml", R"y(name: contact
fields:
  email: {type: string, required: true, pattern: '@', pii: true}
  age: {type: int}
  tier: {type: string, enum: [free, pro]}
  code: {type: string, max_length: 3}
  seen_at: {type: timestamp}
)y");
  auto m = mapper(R"y(model: contact
map:
  email: $.email
  age: $.age
  tier: $.tier
  code: $.code
  seen_at: $.seen
)y");
  ASSERT_NE(m, nullptr);
  MapResult ok = m->apply(record(
      {{"email", "a@b"}, {"age", "41"}, {"tier", "pro"}, {"code", "abc"}, {"seen", 1700000000}}));
  ASSERT_EQ(ok.verdict, MapVerdict::kMapped) << ok.error->message();
  EXPECT_EQ(ok.record.value.json()["age"], 41) << "numeric strings coerce to the model's int";
  EXPECT_EQ(ok.record.value.json()["seen_at"], "2023-11-14T22:13:20Z");

  MapResult bad = m->apply(record({{"email", "secret-address"},
                                   {"age", "forty"},
                                   {"tier", "gold"},
                                   {"code", "abcdef"},
                                   {"seen", "31/02/2026"}}));
  ASSERT_EQ(bad.verdict, MapVerdict::kFailed);
  ASSERT_TRUE(bad.error.has_value());
  EXPECT_EQ(bad.error->kind(), ErrorKind::kPermanent);
  const std::string& why = bad.error->message();
  EXPECT_NE(why.find("field 'email' [pattern]"), std::string::npos) << why;
  EXPECT_EQ(why.find("secret-address"), std::string::npos) << "pii values never appear: " << why;
  EXPECT_NE(why.find("field 'age' [type int]: 'forty'"), std::string::npos) << why;
  EXPECT_NE(why.find("field 'tier' [enum]: 'gold' is not one of 'free', 'pro'"), std::string::npos)
      << why;
  EXPECT_NE(why.find("field 'code' [max_length]"), std::string::npos) << why;
  EXPECT_NE(why.find("field 'seen_at' [type timestamp]: '31/02/2026'"), std::string::npos) << why;
  EXPECT_EQ(bad.violations.size(), 5u);

  MapResult missing = m->apply(record({{"age", 3}}));
  ASSERT_EQ(missing.verdict, MapVerdict::kFailed);
  EXPECT_NE(missing.error->message().find("field 'email' [required]"), std::string::npos);
}

TEST_F(MappingTest, UnmappedPolicyKeepCopiesAndErrorRejectsUnreadSourceFields) {
  model("keep.yaml", "name: keep\nunmapped: keep\nfields:\n  id: {type: string}\n");
  model("strict.yaml", "name: strict\nunmapped: error\nfields:\n  id: {type: string}\n");
  auto keep = mapper("model: keep\nmap:\n  id: $.uid\n");
  ASSERT_NE(keep, nullptr);
  MapResult kept = keep->apply(record({{"uid", "u1"}, {"extra", 5}}));
  ASSERT_EQ(kept.verdict, MapVerdict::kMapped);
  EXPECT_EQ(kept.record.value.json(), json({{"id", "u1"}, {"extra", 5}}))
      << "`uid` is read by the map, so it is not unmapped";

  auto strict = mapper("model: strict\nmap:\n  id: $.uid\n");
  ASSERT_NE(strict, nullptr);
  MapResult rejected = strict->apply(record({{"uid", "u1"}, {"extra", 5}}));
  ASSERT_EQ(rejected.verdict, MapVerdict::kFailed);
  EXPECT_NE(rejected.error->message().find("field 'extra' [unmapped]"), std::string::npos)
      << rejected.error->message();

  // Without a map, the model itself is the contract: undeclared fields are dropped by default.
  model("plain.yaml", "name: plain\nfields:\n  id: {type: string}\n");
  auto plain = mapper("model: plain\n");
  ASSERT_NE(plain, nullptr);
  MapResult dropped = plain->apply(record({{"id", "x"}, {"debug", true}}));
  ASSERT_EQ(dropped.verdict, MapVerdict::kMapped);
  EXPECT_EQ(dropped.record.value.json(), json({{"id", "x"}}));
}

TEST_F(MappingTest, CountsSourceFieldsTheMappingDoesNotReadByDottedName) {
  auto m = mapper("filter: \"$.type != 'ping'\"\nmap:\n  email: $.data.object.email\n");
  ASSERT_NE(m, nullptr);
  json event = {{"type", "customer.updated"},
                {"data", {{"object", {{"email", "a@b.c"}, {"tax_exempt", "none"}}}}},
                {"livemode", false}};
  (void)m->apply(record(event));
  (void)m->apply(record(event));
  auto drift = m->unknown_fields();
  EXPECT_EQ(drift, (std::map<std::string, std::uint64_t>{{"data.object.tax_exempt", 2},
                                                         {"livemode", 2}}));
}

TEST_F(MappingTest, DriftTrackingIsBoundedSoHostileSourcesCannotGrowIt) {
  auto m = mapper("map:\n  id: $.id\n");
  ASSERT_NE(m, nullptr);
  for (int i = 0; i < 150; ++i) (void)m->apply(record({{"id", 1}, {"f" + std::to_string(i), 1}}));
  auto drift = m->unknown_fields();
  EXPECT_EQ(drift.size(), Mapper::kMaxDriftFields + 1);
  EXPECT_EQ(drift.at("(other)"), 50u);
}

TEST_F(MappingTest, CrosswalkMissesFollowOnMissing) {
  auto m = mapper(R"y(map:
  id: {crosswalk: {entity: customer, system: stripe, from: $.id, on_missing: error}}
  owner: {crosswalk: {entity: user, system: crm, from: $.owner, on_missing: "null"}}
  account: {crosswalk: {entity: account, system: erp, from: $.account}}
)y");
  ASSERT_NE(m, nullptr);
  MapResult miss = m->apply(record({{"id", "cus_1"}, {"owner", "u9"}, {"account", 77}}));
  ASSERT_EQ(miss.verdict, MapVerdict::kFailed);
  EXPECT_NE(miss.error->message().find("field 'id' [crosswalk]"), std::string::npos)
      << miss.error->message();
  EXPECT_NE(miss.error->message().find("cus_1"), std::string::npos) << miss.error->message();

  ASSERT_TRUE(crosswalk_->put("customer", "stripe", "cus_1", "c-1").ok());
  MapResult hit = m->apply(record({{"id", "cus_1"}, {"owner", "u9"}, {"account", 77}}));
  ASSERT_EQ(hit.verdict, MapVerdict::kMapped) << hit.error->message();
  const json& out = hit.record.value.json();
  EXPECT_EQ(out["id"], "c-1");
  EXPECT_FALSE(out.contains("owner")) << "on_missing: null leaves the field out";
  EXPECT_EQ(out["account"], Crosswalk::stable_id("account", "erp", "77"))
      << "create mints the stable id of the external id's text";
}

TEST_F(MappingTest, ValueThatIsNotJsonFailsWithTheParseError) {
  auto m = mapper("map:\n  id: $.id\n");
  ASSERT_NE(m, nullptr);
  Record r;
  r.value = Payload::from_text("{not json");
  MapResult result = m->apply(r);
  ASSERT_EQ(result.verdict, MapVerdict::kFailed);
  EXPECT_NE(result.error->message().find("not valid JSON"), std::string::npos);
}

}  // namespace
}  // namespace weft
