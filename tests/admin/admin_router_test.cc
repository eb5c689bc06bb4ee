// AdminRouter without sockets: what each request gets back.
#include "admin/admin_routes.h"

#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <nlohmann/json.hpp>

#include "admin/fake_status_provider.h"

namespace weft::admin {
namespace {

using nlohmann::json;

std::string header(const AdminResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

class AdminRouterTest : public ::testing::Test {
 protected:
  AdminResponse get(std::string_view target, std::string_view authorization = {}) {
    return router_.handle({"GET", target, authorization});
  }

  prometheus::Registry registry_;
  test::FakeStatusProvider status_;
  AdminRouter router_{registry_, status_, ""};
};

TEST_F(AdminRouterTest, QueryStringIsIgnored) {
  const auto response = get("/healthz?verbose=1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body), json({{"status", "ok"}}));
}

TEST_F(AdminRouterTest, PipelineNameIsPercentDecoded) {
  status_.add_pipeline("orders to s3", json{{"name", "orders to s3"}});
  const auto response = get("/api/pipelines/orders%20to%20s3");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body)["name"], "orders to s3");
}

TEST_F(AdminRouterTest, UnknownPipelineNameIsEchoedAsValidJson) {
  const auto response = get("/api/pipelines/a%22b%FF");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(response.content_type, "application/json");
  // The quote is escaped and the invalid UTF-8 byte replaced instead of throwing.
  EXPECT_EQ(json::parse(response.body)["error"], "no pipeline named 'a\"b\xEF\xBF\xBD'");
}

TEST_F(AdminRouterTest, NestedPathUnderPipelinesIsNotFound) {
  EXPECT_EQ(get("/api/pipelines/orders/extra").status, 404);
  EXPECT_EQ(get("/api/pipelines/").status, 404);
}

TEST_F(AdminRouterTest, ProviderExceptionBecomesGeneric500) {
  status_.set_throws(true);
  for (const char* target : {"/readyz", "/api/pipelines", "/api/pipelines/x"}) {
    const auto response = get(target);
    EXPECT_EQ(response.status, 500) << target;
    EXPECT_EQ(response.content_type, "application/json");
    EXPECT_EQ(response.body.find("secret internals"), std::string::npos) << response.body;
  }
  EXPECT_EQ(get("/healthz").status, 200);  // liveness does not depend on the provider
}

TEST_F(AdminRouterTest, MethodIsCheckedAfterThePath) {
  const auto unknown = router_.handle({"DELETE", "/nowhere", ""});
  EXPECT_EQ(unknown.status, 404);
  const auto wrong_method = router_.handle({"HEAD", "/metrics", ""});
  EXPECT_EQ(wrong_method.status, 405);
  EXPECT_EQ(header(wrong_method, "Allow"), "GET");
}

class AdminRouterTokenTest : public AdminRouterTest {
 protected:
  AdminRouter guarded_{registry_, status_, "tok-123"};
};

TEST_F(AdminRouterTokenTest, UnauthorisedClientCannotProbePaths) {
  EXPECT_EQ(guarded_.handle({"GET", "/nowhere", ""}).status, 401);
  EXPECT_EQ(guarded_.handle({"POST", "/metrics", ""}).status, 401);
}

TEST_F(AdminRouterTokenTest, SchemeIsCaseInsensitive) {
  EXPECT_EQ(guarded_.handle({"GET", "/api/pipelines", "bearer tok-123"}).status, 200);
  EXPECT_EQ(guarded_.handle({"GET", "/api/pipelines", "BEARER  tok-123"}).status, 200);
}

TEST_F(AdminRouterTokenTest, OtherSchemesPrefixesAndEmptyTokensAreRejected) {
  for (const char* authorization :
       {"Basic dG9rLTEyMw==", "tok-123", "Bearer", "Bearer ", "Bearer tok-12", "Bearer tok-1234",
        "Bearertok-123"}) {
    const auto response = guarded_.handle({"GET", "/api/pipelines", authorization});
    EXPECT_EQ(response.status, 401) << authorization;
    EXPECT_EQ(response.body.find("tok-12"), std::string::npos) << response.body;
    EXPECT_TRUE(header(response, "WWW-Authenticate").starts_with("Bearer")) << authorization;
  }
}

TEST(ConstantTimeEquals, ComparesWholeStrings) {
  EXPECT_TRUE(constant_time_equals("secret", "secret"));
  EXPECT_TRUE(constant_time_equals("", ""));
  EXPECT_FALSE(constant_time_equals("secreT", "secret"));
  EXPECT_FALSE(constant_time_equals("secret", "secret2"));
  EXPECT_FALSE(constant_time_equals("secret2", "secret"));
  EXPECT_FALSE(constant_time_equals("", "secret"));
  EXPECT_FALSE(constant_time_equals(std::string_view("secret\0", 7), "secret"));
}

}  // namespace
}  // namespace weft::admin

namespace weft::admin {
namespace {

class AdminTriggerTest : public ::testing::Test {
 protected:
  AdminResponse post(std::string_view target) { return router_.handle({"POST", target, ""}); }

  prometheus::Registry registry_;
  test::FakeStatusProvider status_;
  AdminRouter router_{registry_, status_, ""};
};

TEST_F(AdminTriggerTest, APostStartsTheRunOfTheDecodedPipelineName) {
  const auto response = post("/api/pipelines/orders%20api/trigger");
  EXPECT_EQ(response.status, 202);
  EXPECT_EQ(json::parse(response.body), json({{"pipeline", "orders api"}, {"triggered", true}}));
  EXPECT_EQ(status_.triggered(), std::vector<std::string>{"orders api"});
}

TEST_F(AdminTriggerTest, RefusalsSayWhy) {
  using Outcome = StatusProvider::TriggerOutcome;
  status_.set_trigger_outcome(Outcome::kNoSuchPipeline);
  EXPECT_EQ(post("/api/pipelines/x/trigger").status, 404);
  status_.set_trigger_outcome(Outcome::kNotRunning);
  auto not_running = post("/api/pipelines/x/trigger");
  EXPECT_EQ(not_running.status, 409);
  EXPECT_NE(not_running.body.find("is not running"), std::string::npos);
  status_.set_trigger_outcome(Outcome::kNotScheduled);
  auto unscheduled = post("/api/pipelines/x/trigger");
  EXPECT_EQ(unscheduled.status, 409);
  EXPECT_NE(unscheduled.body.find("no scheduled runs"), std::string::npos);
}

TEST_F(AdminTriggerTest, OnlyPostTriggersAndOnlyDirectlyUnderAPipeline) {
  const auto get = router_.handle({"GET", "/api/pipelines/x/trigger", ""});
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(post("/api/pipelines//trigger").status, 404);
  EXPECT_EQ(post("/api/pipelines/a/b/trigger").status, 404);
  EXPECT_EQ(post("/api/pipelines/x").status, 405);
  EXPECT_TRUE(status_.triggered().empty());
}

}  // namespace
}  // namespace weft::admin

namespace weft::admin {
namespace {

// weft pause / resume / tap, and what the probes say about paused pipelines.
class AdminOperationsTest : public ::testing::Test {
 protected:
  void SetUp() override { status_.add_pipeline("orders api", json{{"name", "orders api"}}); }
  AdminResponse request(std::string_view method, std::string_view target,
                        std::string_view authorization = {}) {
    return router_.handle({method, target, authorization});
  }

  prometheus::Registry registry_;
  test::FakeStatusProvider status_;
  AdminRouter router_{registry_, status_, ""};
  AdminRouter guarded_{registry_, status_, "tok-123"};
};

TEST_F(AdminOperationsTest, PauseAndResumeReachTheDecodedPipeline) {
  auto paused = request("POST", "/api/pipelines/orders%20api/pause");
  EXPECT_EQ(paused.status, 200) << paused.body;
  EXPECT_EQ(json::parse(paused.body), json({{"pipeline", "orders api"}, {"paused", true}}));
  auto resumed = request("POST", "/api/pipelines/orders%20api/resume");
  EXPECT_EQ(json::parse(resumed.body), json({{"pipeline", "orders api"}, {"paused", false}}));
  const std::vector<std::pair<std::string, bool>> expected = {{"orders api", true},
                                                              {"orders api", false}};
  EXPECT_EQ(status_.pause_calls(), expected);
}

TEST_F(AdminOperationsTest, PauseRefusalsSayWhy) {
  auto unknown = request("POST", "/api/pipelines/nope/pause");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_EQ(json::parse(unknown.body)["error"], "no pipeline named 'nope'");
  status_.set_pause_error(Error::permanent("state store weft.db: disk I/O error"));
  auto unsaved = request("POST", "/api/pipelines/orders%20api/pause");
  EXPECT_EQ(unsaved.status, 500);
  EXPECT_EQ(json::parse(unsaved.body)["error"],
            "pause of pipeline 'orders api' not saved: state store weft.db: disk I/O error");
  EXPECT_EQ(request("GET", "/api/pipelines/orders%20api/pause").status, 405);
  EXPECT_EQ(request("POST", "/api/pipelines/orders%20api/halt").status, 404);
}

TEST_F(AdminOperationsTest, TapHandsOutAStreamForTheStageAndLimitAsked) {
  auto response = request("GET", "/api/pipelines/orders%20api/tap?stage=mapped&limit=3");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/x-ndjson");
  ASSERT_NE(response.stream, nullptr);
  auto [stream, stage] = status_.last_tap();
  EXPECT_EQ(stream, response.stream);
  EXPECT_EQ(stage, TapStage::kMapped);
  for (int i = 0; i < 3; ++i) stream->push("{}");
  EXPECT_FALSE(stream->wants_more()) << "the limit was 3";

  auto defaults = request("GET", "/api/pipelines/orders%20api/tap");
  ASSERT_NE(defaults.stream, nullptr);
  EXPECT_EQ(status_.last_tap().second, TapStage::kSource);
}

TEST_F(AdminOperationsTest, TapRejectsBadStagesAndLimits) {
  auto stage = request("GET", "/api/pipelines/orders%20api/tap?stage=middle");
  EXPECT_EQ(stage.status, 400);
  EXPECT_EQ(json::parse(stage.body)["error"],
            "stage: expected source, mapped or sink, got 'middle'");
  for (const char* limit : {"0", "-1", "ten", "1e3", "100001"}) {
    auto bad = request("GET", std::string("/api/pipelines/orders%20api/tap?limit=") + limit);
    EXPECT_EQ(bad.status, 400) << limit;
    EXPECT_EQ(bad.stream, nullptr);
  }
  EXPECT_EQ(request("GET", "/api/pipelines/nope/tap").status, 404);
  EXPECT_EQ(request("POST", "/api/pipelines/orders%20api/tap").status, 405);
}

TEST_F(AdminOperationsTest, WithATokenMutatingEndpointsAndTapNeedIt) {
  for (auto [method, target] : {std::pair{"POST", "/api/pipelines/orders%20api/pause"},
                                std::pair{"POST", "/api/pipelines/orders%20api/resume"},
                                std::pair{"POST", "/api/pipelines/orders%20api/trigger"},
                                std::pair{"GET", "/api/pipelines/orders%20api/tap"},
                                std::pair{"POST", "/api/dlq/replay"}}) {
    EXPECT_EQ(guarded_.handle({method, target, ""}).status, 401) << target;
  }
  EXPECT_TRUE(status_.pause_calls().empty());
  EXPECT_EQ(guarded_.handle({"POST", "/api/pipelines/orders%20api/pause", "Bearer tok-123"})
                .status,
            200);
}

TEST_F(AdminOperationsTest, ProbesStayOpenWithAToken) {
  EXPECT_EQ(guarded_.handle({"GET", "/healthz", ""}).status, 200);
  EXPECT_EQ(guarded_.handle({"GET", "/readyz", ""}).status, 200);
  EXPECT_EQ(guarded_.handle({"GET", "/metrics", ""}).status, 401);
  EXPECT_EQ(guarded_.handle({"GET", "/api/pipelines", ""}).status, 401);
}

TEST_F(AdminOperationsTest, APausedPipelineIsANoticeNotAFailure) {
  status_.add_notice("pipeline orders api: paused by an operator since 2026-11-28T07:00:00Z "
                     "(weft resume orders api); not an error");
  auto ready = request("GET", "/readyz");
  EXPECT_EQ(ready.status, 200);
  auto body = json::parse(ready.body);
  EXPECT_EQ(body["status"], "ready");
  ASSERT_EQ(body["reasons"].size(), 1u);
  EXPECT_TRUE(body["reasons"][0].get<std::string>().find("paused by an operator") !=
              std::string::npos);

  status_.set_not_ready({"pipeline billing: failed: sink http: 401"});
  auto not_ready = json::parse(request("GET", "/readyz").body);
  EXPECT_EQ(not_ready["status"], "not ready");
  EXPECT_EQ(not_ready["reasons"].size(), 2u) << "problems first, then notices";
  EXPECT_EQ(not_ready["reasons"][0], "pipeline billing: failed: sink http: 401");
}

}  // namespace
}  // namespace weft::admin
