// The /api/dlq routes through AdminRouter (token, path and method checks included), on a real
// SQLite state store in a temporary directory.
#include "admin/dlq_routes.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/admin_routes.h"
#include "admin/dead_letter_fixtures.h"
#include "admin/fake_status_provider.h"
#include "admin/time_text.h"
#include "state/dead_letter_json.h"
#include "state/state_store.h"
#include "support/temp_dir.h"

namespace weft::admin {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::string header(const AdminResponse& response, const std::string& name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return {};
}

std::string error_of(const AdminResponse& response) {
  const json body = json::parse(response.body, nullptr, false);
  return body.is_object() && body.contains("error") ? body["error"].get<std::string>() : "";
}

class DlqRoutesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = open_sqlite_state_store(dir_.file("weft.db"));
    ASSERT_TRUE(store.ok()) << store.error().message();
    store_ = std::move(*store);
    // orders: failed 3h, 2h and 30 min ago; users: 10 min ago.
    const auto now = Clock::now();
    letters_ = {test::make_dead_letter("orders", "e1", now - 3h),
                test::make_dead_letter("orders", "e2", now - 2h),
                test::make_dead_letter("orders", "e3", now - 30min),
                test::make_dead_letter("users", "e4", now - 10min)};
    ASSERT_TRUE(store_->add_dead_letters(letters_).ok());
    router_ = std::make_unique<AdminRouter>(registry_, status_, "tok", store_.get());
  }

  AdminResponse get(const std::string& target) {
    return router_->handle({"GET", target, "Bearer tok"});
  }
  AdminResponse post(const std::string& target, const std::string& body) {
    return router_->handle({"POST", target, "Bearer tok", body});
  }

  // Entries left in the store, ordered by id.
  std::vector<DeadLetter> stored(DeadLetterFilter filter = {}) {
    auto entries = store_->list_dead_letters(filter);
    EXPECT_TRUE(entries.ok()) << entries.error().message();
    return entries.ok() ? *entries : std::vector<DeadLetter>{};
  }
  std::vector<std::int64_t> marked_ids() {
    DeadLetterFilter filter;
    filter.replay_requested_only = true;
    std::vector<std::int64_t> ids;
    for (const auto& entry : stored(filter)) ids.push_back(entry.id);
    return ids;
  }
  std::int64_t id(std::size_t index) const { return letters_[index].id; }

  test::TempDir dir_;
  std::unique_ptr<StateStore> store_;
  std::vector<DeadLetter> letters_;
  prometheus::Registry registry_;
  test::FakeStatusProvider status_;
  std::unique_ptr<AdminRouter> router_;
};

// ---- GET /api/dlq ----

TEST_F(DlqRoutesTest, ListReturnsEveryEntryInIdOrderWithoutRecords) {
  const auto response = get("/api/dlq");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  const json body = json::parse(response.body);
  ASSERT_EQ(body["entries"].size(), 4u);
  for (std::size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(body["entries"][i], dead_letter_to_json(stored()[i], false)) << i;
    EXPECT_FALSE(body["entries"][i].contains("record"));
  }
  EXPECT_EQ(body["entries"][0]["id"], id(0));
  EXPECT_EQ(body["entries"][3]["pipeline"], "users");
  EXPECT_TRUE(body["next_after_id"].is_null());
}

TEST_F(DlqRoutesTest, ListFiltersByPipelineAndSince) {
  auto body = json::parse(get("/api/dlq?pipeline=orders").body);
  ASSERT_EQ(body["entries"].size(), 3u);
  for (const auto& entry : body["entries"]) EXPECT_EQ(entry["pipeline"], "orders");

  body = json::parse(get("/api/dlq?pipeline=orders&since=1h").body);  // a duration ago
  ASSERT_EQ(body["entries"].size(), 1u);
  EXPECT_EQ(body["entries"][0]["id"], id(2));

  const std::string since = format_rfc3339(letters_[1].last_failure);  // inclusive
  body = json::parse(get("/api/dlq?since=" + since).body);
  ASSERT_EQ(body["entries"].size(), 3u);
  EXPECT_EQ(body["entries"][0]["id"], id(1));

  EXPECT_EQ(json::parse(get("/api/dlq?pipeline=nobody").body)["entries"], json::array());
}

TEST_F(DlqRoutesTest, ListPagesWithLimitAndAfterId) {
  auto first = json::parse(get("/api/dlq?limit=3").body);
  ASSERT_EQ(first["entries"].size(), 3u);
  EXPECT_EQ(first["next_after_id"], id(2));
  auto second = json::parse(
      get("/api/dlq?limit=3&after_id=" + std::to_string(first["next_after_id"].get<int>())).body);
  ASSERT_EQ(second["entries"].size(), 1u);
  EXPECT_EQ(second["entries"][0]["id"], id(3));
  EXPECT_TRUE(second["next_after_id"].is_null());
  // A page that ends exactly at the last entry says there is nothing more.
  EXPECT_TRUE(json::parse(get("/api/dlq?limit=4").body)["next_after_id"].is_null());
}

TEST_F(DlqRoutesTest, ListDecodesThePipelineName) {
  std::vector<DeadLetter> spaced = {test::make_dead_letter("orders to s3", "e5", Clock::now())};
  ASSERT_TRUE(store_->add_dead_letters(spaced).ok());
  for (const char* query : {"pipeline=orders%20to%20s3", "pipeline=orders+to+s3"}) {
    const auto body = json::parse(get(std::string("/api/dlq?") + query).body);
    ASSERT_EQ(body["entries"].size(), 1u) << query;
    EXPECT_EQ(body["entries"][0]["pipeline"], "orders to s3");
  }
}

TEST_F(DlqRoutesTest, ListRejectsBadQueriesNamingTheParameter) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"colour=red", "unknown query parameter 'colour'"},
      {"limit=0", "query parameter 'limit' must be an integer from 1 to 1000, got '0'"},
      {"limit=1001", "query parameter 'limit'"},
      {"limit=ten", "query parameter 'limit'"},
      {"after_id=-1", "query parameter 'after_id' must be a non-negative integer, got '-1'"},
      {"since=yesterday", "query parameter 'since' must be an RFC 3339 time"},
      {"pipeline=", "query parameter 'pipeline' is empty"},
      {"pipeline=a&pipeline=b", "query parameter 'pipeline' is given more than once"},
      {"pipeline=%zz", "malformed percent-escape in query string"},
  };
  for (const auto& [query, message] : cases) {
    const auto response = get("/api/dlq?" + query);
    EXPECT_EQ(response.status, 400) << query;
    EXPECT_NE(error_of(response).find(message), std::string::npos)
        << query << ": " << response.body;
  }
}

// ---- GET /api/dlq/{id} ----

TEST_F(DlqRoutesTest, ShowReturnsTheEntryWithItsRecord) {
  const auto response = get("/api/dlq/" + std::to_string(id(1)));
  ASSERT_EQ(response.status, 200) << response.body;
  const json body = json::parse(response.body);
  EXPECT_EQ(body, dead_letter_to_json(stored()[1], true));
  EXPECT_EQ(body["error"], "e2");
  EXPECT_EQ(body["record"]["key"], "key-e2");
  EXPECT_EQ(body["record"]["value"], json({{"order", "e2"}, {"total", 12.5}}));
}

TEST_F(DlqRoutesTest, ShowUnknownOrMalformedId) {
  auto response = get("/api/dlq/999");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(json::parse(response.body), json({{"error", "dead letter 999 not found"}}));
  for (const char* id : {"abc", "0", "-1", "1.5", "99999999999999999999"}) {
    response = get(std::string("/api/dlq/") + id);
    EXPECT_EQ(response.status, 400) << id;
    EXPECT_EQ(error_of(response),
              std::string("dead letter id must be a positive integer, got '") + id + "'");
  }
  EXPECT_EQ(get("/api/dlq/1/record").status, 404);
}

// ---- POST /api/dlq/replay ----

TEST_F(DlqRoutesTest, ReplayByPipelineMarksOnlyThatPipeline) {
  const auto response = post("/api/dlq/replay", R"({"pipeline":"orders"})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body), json({{"matched", 3}, {"marked", 3}}));
  EXPECT_EQ(marked_ids(), (std::vector<std::int64_t>{id(0), id(1), id(2)}));
}

TEST_F(DlqRoutesTest, ReplayByIdAndAll) {
  auto response = post("/api/dlq/replay", json{{"id", id(3)}}.dump());
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body), json({{"matched", 1}, {"marked", 1}}));
  EXPECT_EQ(marked_ids(), std::vector<std::int64_t>{id(3)});

  response = post("/api/dlq/replay", R"({"all": true})");
  EXPECT_EQ(json::parse(response.body), json({{"matched", 4}, {"marked", 4}}));
  EXPECT_EQ(marked_ids().size(), 4u);
}

TEST_F(DlqRoutesTest, ReplayDryRunCountsAndMarksNothing) {
  auto response = post("/api/dlq/replay", R"({"all":true,"dry_run":true})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body), json({{"matched", 4}, {"marked", 0}}));
  response = post("/api/dlq/replay", R"({"pipeline":"users","dry_run":true})");
  EXPECT_EQ(json::parse(response.body), json({{"matched", 1}, {"marked", 0}}));
  EXPECT_TRUE(marked_ids().empty());
}

TEST_F(DlqRoutesTest, ReplayOfAMissingIdIs404AndAMismatchMatchesNothing) {
  auto response = post("/api/dlq/replay", R"({"id": 999})");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_of(response), "dead letter 999 not found");
  response = post("/api/dlq/replay", R"({"id": 999, "dry_run": true})");
  EXPECT_EQ(response.status, 404);
  // The entry exists but in another pipeline: nothing matches, nothing is marked.
  response = post("/api/dlq/replay", json{{"id", id(3)}, {"pipeline", "orders"}}.dump());
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body), json({{"matched", 0}, {"marked", 0}}));
  EXPECT_TRUE(marked_ids().empty());
}

TEST_F(DlqRoutesTest, ReplayRefusesABodyThatSelectsNothing) {
  for (const char* body :
       {"", "  ", "{}", R"({"dry_run":true})", R"({"all":false})", R"({"pipeline":null})"}) {
    const auto response = post("/api/dlq/replay", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_NE(
        error_of(response).find(
            R"(say which dead letters to replay: send {"id": N}, {"pipeline": "name"} or {"all": true})"),
        std::string::npos)
        << body << ": " << response.body;
  }
  EXPECT_TRUE(marked_ids().empty());
}

TEST_F(DlqRoutesTest, ReplayRejectsMalformedBodiesNamingTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{not json", "request body is not valid JSON: parse error at line 1, column 3"},
      {"[1,2]", "request body must be a JSON object"},
      {R"({"id":"7"})", "field 'id' must be a positive integer"},
      {R"({"id":0})", "field 'id' must be a positive integer"},
      {R"({"id":1.5})", "field 'id' must be a positive integer"},
      {R"({"pipeline":""})", "field 'pipeline' must be a non-empty string"},
      {R"({"pipeline":7})", "field 'pipeline' must be a non-empty string"},
      {R"({"all":"yes"})", "field 'all' must be true or false"},
      {R"({"all":true,"dry_run":1})", "field 'dry_run' must be true or false"},
      {R"({"all":true,"colour":"red"})",
       "unknown field 'colour' (expected id, pipeline, all, dry_run)"},
      {R"({"all":true,"before":"1h"})", "unknown field 'before'"},
      {R"({"all":true,"pipeline":"orders"})",
       "field 'all' cannot be combined with 'id' or 'pipeline'"},
  };
  for (const auto& [body, message] : cases) {
    const auto response = post("/api/dlq/replay", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_NE(error_of(response).find(message), std::string::npos) << body << ": " << response.body;
  }
  EXPECT_TRUE(marked_ids().empty());
}

// ---- POST /api/dlq/purge ----

TEST_F(DlqRoutesTest, PurgeByPipelineAndById) {
  auto response = post("/api/dlq/purge", R"({"pipeline":"orders"})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body), json({{"purged", 3}}));
  ASSERT_EQ(stored().size(), 1u);
  EXPECT_EQ(stored()[0].pipeline, "users");

  response = post("/api/dlq/purge", json{{"id", id(3)}}.dump());
  EXPECT_EQ(json::parse(response.body), json({{"purged", 1}}));
  EXPECT_TRUE(stored().empty());

  response = post("/api/dlq/purge", json{{"id", id(3)}}.dump());
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(error_of(response), "dead letter " + std::to_string(id(3)) + " not found");
}

TEST_F(DlqRoutesTest, PurgeBeforeKeepsNewerEntries) {
  auto response = post("/api/dlq/purge", R"({"all":true,"before":"1h"})");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body), json({{"purged", 2}}));
  auto left = stored();
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].id, id(2));
  EXPECT_EQ(left[1].id, id(3));

  const std::string before = format_rfc3339(letters_[3].last_failure);  // exclusive
  response = post("/api/dlq/purge", json{{"pipeline", "users"}, {"before", before}}.dump());
  EXPECT_EQ(json::parse(response.body), json({{"purged", 0}}));
  EXPECT_EQ(stored().size(), 2u);
}

TEST_F(DlqRoutesTest, PurgeFollowsTheSameSelectionRules) {
  for (const char* body : {"{}", R"({"before":"1h"})", R"({"all":false})"}) {
    const auto response = post("/api/dlq/purge", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_NE(error_of(response).find("say which dead letters to purge"), std::string::npos)
        << response.body;
  }
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"all":true,"before":"last week"})", "field 'before' must be an RFC 3339 time"},
      {R"({"all":true,"before":5})", "field 'before' must be"},
      {R"({"all":true,"dry_run":true})",
       "unknown field 'dry_run' (expected id, pipeline, all, before)"},
  };
  for (const auto& [body, message] : cases) {
    const auto response = post("/api/dlq/purge", body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_NE(error_of(response).find(message), std::string::npos) << body << ": " << response.body;
  }
  EXPECT_EQ(stored().size(), 4u);
}

// ---- methods, token, no store, store errors ----

TEST_F(DlqRoutesTest, WrongMethodIs405WithAllow) {
  const std::vector<std::tuple<std::string, std::string, std::string>> cases = {
      {"GET", "/api/dlq/replay", "POST"},
      {"GET", "/api/dlq/purge", "POST"},
      {"POST", "/api/dlq", "GET"},
      {"DELETE", "/api/dlq/1", "GET"},
  };
  for (const auto& [method, target, allow] : cases) {
    const auto response = router_->handle({method, target, "Bearer tok", ""});
    EXPECT_EQ(response.status, 405) << method << " " << target;
    EXPECT_EQ(header(response, "Allow"), allow) << method << " " << target;
    EXPECT_EQ(error_of(response), "method " + method + " not allowed on " + target);
  }
  EXPECT_EQ(get("/api/dlqs").status, 404);
  EXPECT_EQ(get("/api/dlq/").status, 404);
}

TEST_F(DlqRoutesTest, TokenIsRequired) {
  for (const char* authorization : {"", "Bearer wrong"}) {
    EXPECT_EQ(router_->handle({"GET", "/api/dlq", authorization}).status, 401);
    EXPECT_EQ(router_->handle({"GET", "/api/dlq/1", authorization}).status, 401);
    EXPECT_EQ(router_->handle({"POST", "/api/dlq/replay", authorization, R"({"all":true})"}).status,
              401);
    EXPECT_EQ(router_->handle({"POST", "/api/dlq/purge", authorization, R"({"all":true})"}).status,
              401);
  }
  EXPECT_TRUE(marked_ids().empty());
  EXPECT_EQ(stored().size(), 4u);
}

TEST_F(DlqRoutesTest, WithoutAStoreTheRoutesSayTheQueueIsUnavailable) {
  const AdminRouter without(registry_, status_, "");
  for (const auto& [method, target] : std::vector<std::pair<std::string, std::string>>{
           {"GET", "/api/dlq"}, {"GET", "/api/dlq/1"}, {"POST", "/api/dlq/replay"}}) {
    const auto response = without.handle({method, target, "", R"({"all":true})"});
    EXPECT_EQ(response.status, 503) << target;
    EXPECT_EQ(error_of(response),
              "the dead-letter queue is not available: this admin server has no state store");
  }
  EXPECT_EQ(without.handle({"GET", "/api/pipelines", ""}).status, 200);  // the rest still works
}

TEST(DlqRoutesStoreErrorTest, StoreFailuresAre503WithTheStoreMessage) {
  test::FailingStateStore failing;
  const DlqRoutes routes(failing);
  const std::vector<AdminRequest> requests = {
      {"GET", "/api/dlq", ""},
      {"GET", "/api/dlq/1", ""},
      {"POST", "/api/dlq/replay", "", R"({"all":true})"},
      {"POST", "/api/dlq/replay", "", R"({"all":true,"dry_run":true})"},
      {"POST", "/api/dlq/purge", "", R"({"pipeline":"orders"})"},
      {"POST", "/api/dlq/purge", "", R"({"pipeline":"orders","before":"1h"})"},
  };
  for (const auto& request : requests) {
    const auto response = routes.handle(request);
    EXPECT_EQ(response.status, 503) << request.target << " " << request.body;
    EXPECT_EQ(json::parse(response.body), json({{"error", test::FailingStateStore::kMessage}}));
  }
}

}  // namespace
}  // namespace weft::admin
