// The delivery middleware's settings: defaults, checks between fields, and the daemon's shared
// rate limits (a map of named objects).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "config/daemon_config.h"
#include "config/delivery_spec.h"
#include "config/pipeline_config.h"
#include "config_test_util.h"

namespace weft {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class DeliveryConfig : public ::testing::Test {
 protected:
  Loaded<PipelineConfig> pipeline(const std::string& extra) {
    dir_.write("orders.yaml", "name: orders\nsource: {type: generate}\nsink: {type: file, path: "
                              "out.jsonl}\n" + extra);
    return load_pipeline_file((dir_.path() / "orders.yaml").string(), registry_, env_);
  }
  Loaded<DaemonConfig> daemon(const std::string& yaml) {
    dir_.write("weft.yaml", yaml);
    return load_daemon_config((dir_.path() / "weft.yaml").string(), env_);
  }

  testing::TempDir dir_;
  Registry registry_ = testing::test_registry();
  Environment env_ = testing::fake_env();
};

TEST_F(DeliveryConfig, EveryLayerHasWorkingDefaults) {
  auto loaded = pipeline("");
  ASSERT_TRUE(loaded.ok());
  const Settings& runtime = loaded.value->runtime;
  EXPECT_EQ(runtime.object("retry").integer("max_attempts"), 10);
  EXPECT_EQ(runtime.object("retry").duration("initial").count(), 100);
  EXPECT_EQ(runtime.object("retry").number("multiplier"), 2.0);
  EXPECT_TRUE(runtime.object("circuit_breaker").boolean("enabled"));
  EXPECT_EQ(runtime.object("circuit_breaker").duration("open_for").count(), 30000);
  EXPECT_FALSE(runtime.object("idempotency").has("key")) << "no dedupe unless asked";
  EXPECT_EQ(runtime.object("idempotency").duration("ttl").count(), 7 * 24 * 3600 * 1000LL);
  EXPECT_TRUE(runtime.object("dlq").boolean("enabled"));
  EXPECT_EQ(runtime.object("dlq").string("target"), "state");
  EXPECT_FALSE(runtime.object("rate_limit").has("per_second"));
}

TEST_F(DeliveryConfig, AFileDlqNeedsAPath) {
  auto loaded = pipeline("dlq:\n  target: file\n");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(HasSubstr("orders.yaml:5:11: error: field 'dlq.path' is required when "
                                    "dlq.target is file")));
}

TEST_F(DeliveryConfig, ARateLimitIsEitherOwnOrShared) {
  auto loaded = pipeline("rate_limit: {per_second: 10, shared: crm}\n");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(HasSubstr("rate_limit: set either 'per_second'")));
  auto burst_only = pipeline("rate_limit: {burst: 10}\n");
  EXPECT_THAT(testing::formatted(burst_only.errors),
              ElementsAre(HasSubstr("'rate_limit.burst' needs 'rate_limit.per_second'")));
}

TEST_F(DeliveryConfig, AnIdempotencyKeyThatDoesNotParseIsAConfigError) {
  auto loaded = pipeline("idempotency:\n  key: \"{$.id\"\n");
  ASSERT_FALSE(loaded.ok());
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(HasSubstr("orders.yaml:5:8: error: field 'idempotency.key': ")));
}

TEST_F(DeliveryConfig, RetryMaxBelowInitialIsAConfigError) {
  auto loaded = pipeline("retry: {initial: 5s, max: 1s}\n");
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(HasSubstr("field 'retry.max' must not be less than 'retry.initial'")));
}

TEST_F(DeliveryConfig, OutOfRangeValuesNameTheField) {
  auto loaded = pipeline("circuit_breaker: {failure_rate: 1.5}\ndlq: {max_dlq_rate: -1}\n");
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(HasSubstr("field 'circuit_breaker.failure_rate': 1.5 is above"),
                          HasSubstr("field 'dlq.max_dlq_rate': -1 is below")));
}

TEST_F(DeliveryConfig, TheDaemonDefinesSharedRateLimitsByName) {
  auto loaded = daemon("rate_limits:\n  salesforce_api: {per_second: 20, burst: 40}\n"
                       "  stripe: {per_second: 2.5}\n");
  ASSERT_TRUE(loaded.ok()) << testing::formatted(loaded.errors)[0];
  const auto& limits = loaded.value->rate_limits;
  ASSERT_EQ(limits.size(), 2u);
  EXPECT_EQ(limits.at("salesforce_api").per_second, 20);
  EXPECT_EQ(limits.at("salesforce_api").burst, 40u);
  EXPECT_EQ(limits.at("stripe").burst, 0u) << "0: one second's worth";
}

TEST_F(DeliveryConfig, ABadSharedRateLimitIsReportedWithItsName) {
  auto loaded = daemon("rate_limits:\n  crm: {burst: 5}\n  erp: fast\n");
  EXPECT_THAT(testing::formatted(loaded.errors),
              ElementsAre(HasSubstr("weft.yaml:2:8: error: missing required field "
                                    "'rate_limits.crm.per_second'"),
                          HasSubstr("weft.yaml:3:8: error: field 'rate_limits.erp': expected "
                                    "mapping")));
}

TEST_F(DeliveryConfig, APipelineNamingAnUndefinedSharedLimitIsAnError) {
  auto daemon_config = daemon("rate_limits: {crm: {per_second: 5}}\n");
  ASSERT_TRUE(daemon_config.ok());
  auto good = pipeline("rate_limit: {shared: crm}\n");
  auto bad = pipeline("rate_limit: {shared: erp}\n");
  ASSERT_TRUE(good.ok() && bad.ok());
  PipelineSet set;
  set.pipelines.push_back(std::move(*good.value));
  set.pipelines.push_back(std::move(*bad.value));
  check_shared_rate_limits(set, *daemon_config.value);
  EXPECT_EQ(set.pipelines.size(), 1u);
  EXPECT_THAT(testing::formatted(set.errors),
              ElementsAre(HasSubstr("rate_limit.shared: no shared rate limit named 'erp' "
                                    "(hint: the daemon config defines: crm)")));
}

}  // namespace
}  // namespace weft
