// The fake REST API over real sockets: every pagination style yields every record once, the
// incremental filters, auth modes with OAuth refresh and expiry, faults, rate limits, gzip, the
// admin endpoints. The weft-fake-rest process is tested in fake_rest_process_test.cc.
#include "fakes/fake_rest_api.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "fakes/encoding.h"
#include "fakes/record_store.h"
#include "support/http_client.h"
#include "support/server_test_helpers.h"

namespace weft::fakes {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;
using Headers = std::map<std::string, std::string>;

constexpr std::int64_t kRecords = 1050;  // ten full pages of 100 and a short one

std::string gunzip(const std::string& packed) {
  z_stream stream{};
  if (inflateInit2(&stream, 15 + 16) != Z_OK) return {};
  std::string out(1 << 20, '\0');
  stream.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(packed.data()));
  stream.avail_in = static_cast<uInt>(packed.size());
  stream.next_out = reinterpret_cast<Bytef*>(out.data());
  stream.avail_out = static_cast<uInt>(out.size());
  const int result = inflate(&stream, Z_FINISH);
  out.resize(out.size() - stream.avail_out);
  inflateEnd(&stream);
  return result == Z_STREAM_END ? out : std::string();
}

class FakeRestApiTest : public ::testing::Test {
 protected:
  void start(FakeRestApiOptions options = {}) {
    if (options.records == FakeRestApiOptions{}.records) options.records = kRecords;
    auto api = FakeRestApi::start(io_, std::move(options));
    ASSERT_TRUE(api.ok()) << api.error().message();
    api_ = std::move(api).value();
    threads_ = std::make_unique<test::IoThreads>(io_, 2);
  }
  void SetUp() override { start(); }
  void TearDown() override {
    api_->stop();
    EXPECT_TRUE(threads_->exited_within(5s));
  }

  test::HttpResponse get(const std::string& target, const Headers& headers = {}) {
    return test::http_get("127.0.0.1", api_->port(), target, headers);
  }
  test::HttpResponse post(const std::string& target, const std::string& body,
                          Headers headers = {{"Content-Type", "application/json"}}) {
    return test::http_request("POST", "127.0.0.1", api_->port(), target, headers, body);
  }
  std::string strip_origin(const std::string& url) {
    const std::string origin = "http://127.0.0.1:" + std::to_string(api_->port());
    EXPECT_EQ(url.substr(0, origin.size()), origin);
    return url.substr(origin.size());
  }

  // Every record `api` lists, following its pagination to the end; `since` (epoch seconds, 0 for
  // none) goes into the API's incremental filter.
  std::vector<json> all(const std::string& api, std::int64_t since = 0) {
    std::vector<json> records;
    const auto add = [&](const json& page) {
      EXPECT_TRUE(page.is_array()) << page;
      for (const auto& record : page) records.push_back(record);
    };
    const auto page = [&](const std::string& target, const std::string& field) {
      const auto response = get(target);
      EXPECT_EQ(response.status, 200) << target << ": " << response.body;
      json body = json::parse(response.body);
      add(field.empty() ? body : body[field]);
      return std::pair{body, response};
    };
    const std::string iso = percent_encode(iso8601(since));
    const std::string filter = since == 0 ? "" : "&updated_since=" + iso;
    std::string next;                            // the link or next URL, or the cursor, to follow
    for (int guard = 0; guard < 100; ++guard) {  // the loops below end long before this
      if (api == "stripe") {
        std::string target = "/v1/customers?limit=100";
        if (since != 0) target += "&created%5Bgte%5D=" + std::to_string(since);
        if (!records.empty())
          target += "&starting_after=" + records.back()["id"].get<std::string>();
        if (!page(target, "data").first["has_more"].get<bool>()) break;
      } else if (api == "servicenow") {
        std::string target = "/api/now/table/incident?sysparm_limit=100&sysparm_offset=" +
                             std::to_string(records.size());
        if (since != 0) {
          target += "&sysparm_query=" + percent_encode("sys_updated_on>=" + servicenow_time(since) +
                                                       "^ORDERBYsys_updated_on");
        }
        const auto total = std::stoull(page(target, "result").second.header("X-Total-Count"));
        if (records.size() >= total) break;
      } else if (api == "link") {
        if (records.empty()) next = "/link/items?per_page=100" + (since ? "&since=" + iso : "");
        const std::string link = page(next, "").second.header("Link");
        const auto rel = link.find(">; rel=\"next\"");
        if (rel == std::string::npos) break;
        next = strip_origin(link.substr(1, rel - 1));
      } else if (api == "pages") {
        const auto number = records.size() / 100 + 1;
        const auto body =
            page("/pages/items?page_size=100&page=" + std::to_string(number) + filter, "items")
                .first;
        if (number >= body["total_pages"].get<std::size_t>()) break;
      } else if (api == "cursor") {
        const auto [body, response] =
            page("/cursor/items?limit=100&cursor=" + next + filter, "items");
        if (body["next_cursor"].is_null()) {
          EXPECT_EQ(response.header("X-Next-Cursor"), "");
          break;
        }
        next = body["next_cursor"].get<std::string>();
        EXPECT_EQ(response.header("X-Next-Cursor"), next);
      } else if (api == "next") {
        if (records.empty()) next = "/next/items?limit=100" + filter;
        const auto body = page(next, "results").first;
        if (body["next"].is_null()) break;
        next = strip_origin(body["next"].get<std::string>());
      } else if (api == "offset") {
        const auto body =
            page("/offset/items?limit=100&offset=" + std::to_string(records.size()) + filter,
                 "data")
                .first;
        if (records.size() >= body["total"].get<std::size_t>()) break;
      }
    }
    return records;
  }

  static std::vector<std::int64_t> numbers(const std::vector<json>& records) {
    std::vector<std::int64_t> out;
    for (const auto& record : records) out.push_back(record["number"].get<std::int64_t>());
    return out;
  }

  boost::asio::io_context io_;
  std::unique_ptr<FakeRestApi> api_;
  std::unique_ptr<test::IoThreads> threads_;
};

const std::vector<std::string> kApis = {"stripe", "servicenow", "link",  "pages",
                                        "cursor", "next",       "offset"};

TEST(FakeRestRecordsTest, GeneratedRecordsAreDeterministic) {
  std::string text;
  append_record(text, {42, nullptr});
  const json record = json::parse(text);
  EXPECT_EQ(record, json::parse(generated_record(42).dump()));
  EXPECT_EQ(record["id"], "cus_0000042");
  EXPECT_EQ(record["created"], 1700000042);
  EXPECT_EQ(record["updated_at"], "2023-11-14T22:14:02Z");
  EXPECT_EQ(record["sys_updated_on"], "2023-11-14 22:14:02");
  EXPECT_EQ(record["email"], "customer42@example.com");
  EXPECT_EQ(record["sys_id"].get<std::string>().size(), 32u);
  EXPECT_EQ(parse_time("2023-11-14T22:13:20Z"), 1700000000);
  EXPECT_EQ(parse_time("2023-11-14T23:13:20.5+01:00"), 1700000001);  // a fraction rounds up
  EXPECT_EQ(parse_time("yesterday"), std::nullopt);
}

TEST_F(FakeRestApiTest, EveryApiListsEveryRecordOnceWithUpsertsEverywhere) {
  ASSERT_TRUE(
      api_->upsert_record(json::parse(R"([{"number":7,"name":"Changed"},{"number":1051}])")).ok());
  for (const auto& api : kApis) {
    const auto records = all(api);
    auto seen = numbers(records);
    ASSERT_EQ(seen.size(), static_cast<std::size_t>(kRecords + 1)) << api;
    std::sort(seen.begin(), seen.end());
    for (std::int64_t i = 0; i <= kRecords; ++i) ASSERT_EQ(seen[i], i + 1) << api;
    for (const auto& record : records) {
      if (record["number"] == 7) {
        EXPECT_EQ(record["name"], "Changed") << api;
      }
    }
  }
  // Stripe lists newest first: upserts without a time were bumped past every other record.
  const auto newest = numbers(all("stripe"));
  EXPECT_EQ((std::vector<std::int64_t>{newest[0], newest[1]}),
            (std::vector<std::int64_t>{1051, 7}));
}

TEST_F(FakeRestApiTest, IncrementalFiltersSeeOnlyNewAndChangedRecords) {
  const std::int64_t since = kCreatedBase + kRecords - 4;  // the last five generated records
  ASSERT_TRUE(api_->upsert_record(json::parse(R"({"number":3,"email":"new@example.com"})")).ok());
  ASSERT_TRUE(api_->upsert_record(json{{"number", 9}, {"created", since - 100}}).ok());  // older
  for (const auto& api : kApis) {
    auto seen = numbers(all(api, since));
    std::sort(seen.begin(), seen.end());
    EXPECT_EQ(seen, (std::vector<std::int64_t>{3, kRecords - 4, kRecords - 3, kRecords - 2,
                                               kRecords - 1, kRecords}))
        << api;
  }
  // ORDERBYsys_updated_on is ascending time: the changed record comes last.
  EXPECT_EQ(numbers(all("servicenow", since)).back(), 3);
}

TEST_F(FakeRestApiTest, ApiSpecificAnswers) {
  auto response = get("/v1/customers?starting_after=cus_nope");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(json::parse(response.body)["error"]["message"], "No such customer: 'cus_nope'");
  EXPECT_EQ(json::parse(response.body)["error"]["type"], "invalid_request_error");

  response = get("/v1/customers?limit=2&ending_before=cus_0001000");
  EXPECT_EQ(numbers(json::parse(response.body)["data"]), (std::vector<std::int64_t>{1002, 1001}));

  EXPECT_EQ(get("/cursor/items?cursor=!!").status, 400);
  EXPECT_EQ(get("/offset/items?limit=abc").status, 400);
  EXPECT_EQ(get("/offset/items?limit=5000").body.size(),
            get("/offset/items?limit=1000").body.size());

  response = get("/pages/items?page=99");
  EXPECT_EQ(json::parse(response.body)["items"], json::array());
  EXPECT_EQ(json::parse(response.body)["total_pages"], 11);

  response = get("/link/items?page=11");
  EXPECT_EQ(response.header("Link").find("rel=\"next\""), std::string::npos);
  EXPECT_NE(response.header("Link").find("/link/items?page=11&per_page=100>; rel=\"last\""),
            std::string::npos);
  EXPECT_EQ(json::parse(response.body).size(), 50u);
  EXPECT_EQ(response.header("Content-Type"), "application/json");

  EXPECT_EQ(get("/nope").status, 404);
}

TEST_F(FakeRestApiTest, StaticAuthModes) {
  const auto basic = "Basic " + base64_encode("user:pa:ss");
  const std::vector<std::tuple<std::string, std::string, Headers>> modes = {
      {"bearer:s3cret", "", {{"Authorization", "Bearer s3cret"}}},
      {"basic:user:pa:ss", "", {{"Authorization", basic}}},
      {"api_key_header:X-Api-Key:k1", "", {{"X-Api-Key", "k1"}}},
      {"api_key_query:api_key:k2", "&api_key=k2", {}},
  };
  for (const auto& [auth, query, headers] : modes) {
    ASSERT_TRUE(api_->configure({{"auth", auth}}).ok());
    const auto denied = get("/offset/items?limit=1");
    EXPECT_EQ(denied.status, 401) << auth;
    EXPECT_EQ(get("/offset/items?limit=1" + query, headers).status, 200) << auth;
    EXPECT_EQ(get("/_admin/health").status, 200) << auth;  // admin stays open
  }
  ASSERT_TRUE(api_->configure({{"auth", "bearer:s3cret"}}).ok());
  EXPECT_EQ(get("/offset/items", {{"Authorization", "Bearer wrong"}}).header("WWW-Authenticate"),
            "Bearer error=\"invalid_token\"");
  EXPECT_FALSE(api_->configure({{"auth", "basic:nopassword"}}).ok());
}

TEST_F(FakeRestApiTest, OAuthClientCredentialsRefreshAndExpiry) {
  ASSERT_TRUE(api_->configure({{"auth", "oauth:client-1:secret-1"}}).ok());
  const Headers form = {{"Content-Type", "application/x-www-form-urlencoded"}};
  auto response = post("/oauth/token",
                       "grant_type=client_credentials&client_id=client-1&client_secret=bad", form);
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(json::parse(response.body), json({{"error", "invalid_client"}}));

  Headers with_basic = form;
  with_basic["Authorization"] = "Basic " + base64_encode("client-1:secret-1");
  response = post("/oauth/token", "grant_type=client_credentials", with_basic);
  ASSERT_EQ(response.status, 200) << response.body;
  auto tokens = json::parse(response.body);
  EXPECT_EQ(tokens["token_type"], "Bearer");
  EXPECT_EQ(tokens["expires_in"], 3600);
  const auto bearer = [](const json& t) {
    return Headers{{"Authorization", "Bearer " + t["access_token"].get<std::string>()}};
  };
  EXPECT_EQ(get("/v1/customers?limit=1", bearer(tokens)).status, 200);
  EXPECT_EQ(get("/v1/customers?limit=1").status, 401);

  api_->expire_tokens();
  response = get("/v1/customers?limit=1", bearer(tokens));
  EXPECT_EQ(response.status, 401);
  EXPECT_EQ(response.header("WWW-Authenticate"), "Bearer error=\"invalid_token\"");
  response = post("/oauth/token",
                  "grant_type=refresh_token&client_id=client-1&client_secret=secret-1"
                  "&refresh_token=" +
                      tokens["refresh_token"].get<std::string>(),
                  form);
  ASSERT_EQ(response.status, 200) << response.body;
  tokens = json::parse(response.body);
  EXPECT_EQ(get("/v1/customers?limit=1", bearer(tokens)).status, 200);
  EXPECT_EQ(
      post("/oauth/token", "grant_type=refresh_token&refresh_token=rt_unknown", with_basic).status,
      400);

  // Short-lived tokens expire by themselves; over HTTP this time.
  ASSERT_EQ(post("/_admin/config", R"({"token_expires_in":1})").status, 200);
  tokens = json::parse(post("/oauth/token", "grant_type=client_credentials", with_basic).body);
  EXPECT_EQ(tokens["expires_in"], 1);
  EXPECT_EQ(get("/offset/items", bearer(tokens)).status, 200);
  std::this_thread::sleep_for(1100ms);
  EXPECT_EQ(get("/offset/items", bearer(tokens)).status, 401);

  const auto stats = api_->stats();
  EXPECT_EQ(stats.token_requests, 5u);
  EXPECT_EQ(stats.tokens_issued, 3u);
  const auto log = api_->requests();
  ASSERT_EQ(log.size(), 11u);
  EXPECT_EQ(log[0].target, "/oauth/token");
  EXPECT_EQ(log[0].status, 401);
  EXPECT_TRUE(log[2].authorization);
  EXPECT_FALSE(log[3].authorization);
}

TEST_F(FakeRestApiTest, QueuedFaultsAreServedToMatchingRequests) {
  const auto too_many = fault_from_json(
      json::parse(R"({"status":429,"count":2,"retry_after":1,"path_prefix":"/v1/"})"));
  ASSERT_TRUE(too_many.ok() && api_->add_fault(too_many.value()).ok());
  EXPECT_EQ(get("/offset/items").status, 200);  // another path
  auto response = get("/v1/customers");
  EXPECT_EQ(response.status, 429);
  EXPECT_EQ(response.header("Retry-After"), "1");
  EXPECT_NE(response.header("X-RateLimit-Remaining"), "");
  EXPECT_EQ(get("/v1/customers").status, 429);
  EXPECT_EQ(get("/v1/customers").status, 200);

  ASSERT_EQ(
      post(
          "/_admin/faults",
          R"([{"status":503,"count":2},{"status":200,"body":"<html>oops</html>","content_type":"text/html"}])")
          .status,
      200);
  EXPECT_EQ(get("/pages/items").status, 503);
  EXPECT_EQ(get("/next/items").status, 503);
  response = get("/cursor/items");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.body, "<html>oops</html>");
  EXPECT_EQ(response.header("Content-Type"), "text/html");

  ASSERT_EQ(post("/_admin/faults", R"({"delay_ms":300})").status, 200);
  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(get("/offset/items").status, 200);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 300ms);

  // Dropping a connection unanswered is beyond net::HttpServer: refused, not silently ignored.
  EXPECT_EQ(post("/_admin/faults", R"({"close":true})").status, 400);
  Fault close;
  close.close = true;
  EXPECT_FALSE(api_->add_fault(close).ok());
  EXPECT_EQ(post("/_admin/faults", R"({"status":503,"colour":"red"})").status, 400);
  EXPECT_EQ(api_->stats().faults_served, 6u);
  EXPECT_EQ(api_->stats().faults_pending, 0u);
}

TEST_F(FakeRestApiTest, RateLimitHeadersAndEnforcedLimit) {
  auto response = get("/offset/items?limit=1");
  EXPECT_NE(response.header("X-RateLimit-Limit"), "");
  EXPECT_NE(response.header("X-RateLimit-Reset"), "");
  EXPECT_EQ(response.header("Sforce-Limit-Info"), "");

  ASSERT_EQ(
      post("/_admin/config", R"({"rate_limit_per_second":3,"sforce_limit_info":true})").status,
      200);
  int limited = 0;
  std::map<std::string, int> passed;  // by window (its X-RateLimit-Reset)
  for (int i = 0; i < 10; ++i) {
    response = get("/offset/items?limit=1");
    EXPECT_EQ(response.header("X-RateLimit-Limit"), "3");
    EXPECT_EQ(response.header("Sforce-Limit-Info").rfind("api-usage=", 0), 0u);
    if (response.status == 429) {
      ++limited;
      EXPECT_EQ(response.header("Retry-After"), "1");
    } else {
      EXPECT_LE(++passed[response.header("X-RateLimit-Reset")], 3);
    }
  }
  EXPECT_GE(limited, 1);  // ten requests take far less than the three seconds they could spread
  EXPECT_EQ(api_->stats().rate_limited, static_cast<std::uint64_t>(limited));
}

TEST_F(FakeRestApiTest, GzipForClientsThatAcceptIt) {
  const auto plain = get("/offset/items");
  const auto packed = get("/offset/items", {{"Accept-Encoding", "gzip, deflate"}});
  EXPECT_EQ(plain.header("Content-Encoding"), "");
  EXPECT_EQ(packed.header("Content-Encoding"), "gzip");
  EXPECT_LT(packed.body.size(), plain.body.size() / 4);
  EXPECT_EQ(gunzip(packed.body), plain.body);
  // Small bodies are left alone, and gzip can be switched off.
  EXPECT_EQ(get("/offset/items?limit=1", {{"Accept-Encoding", "gzip"}}).header("Content-Encoding"),
            "");
  ASSERT_TRUE(api_->configure({{"gzip", false}}).ok());
  EXPECT_EQ(get("/offset/items", {{"Accept-Encoding", "gzip"}}).body, plain.body);
}

TEST_F(FakeRestApiTest, AdminEndpoints) {
  EXPECT_EQ(post("/_admin/records", R"({"number":2000,"name":"Over HTTP"})").body,
            R"({"records":1051,"upserted":1})");
  EXPECT_EQ(post("/_admin/records", R"({"name":"no number"})").status, 400);
  EXPECT_EQ(json::parse(get("/offset/items?offset=1050").body)["data"][0]["name"], "Over HTTP");

  get("/offset/items?limit=1", {{"Authorization", "Bearer x"}});
  const auto log = json::parse(get("/_admin/requests").body);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1]["target"], "/offset/items?limit=1");
  EXPECT_EQ(log[1]["authorization"], true);
  EXPECT_EQ(log[1]["status"], 200);
  EXPECT_GE(log[1]["t_ms"].get<std::int64_t>(), log[0]["t_ms"].get<std::int64_t>());

  const auto stats = json::parse(get("/_admin/stats").body);
  EXPECT_EQ(stats["data_requests"], 2);
  EXPECT_EQ(stats["by_status"]["200"], 2);
  EXPECT_EQ(test::http_request("DELETE", "127.0.0.1", api_->port(), "/_admin/requests").status,
            200);
  EXPECT_TRUE(api_->requests().empty());
  EXPECT_EQ(post("/_admin/expire-tokens", "").status, 200);
  EXPECT_EQ(post("/_admin/config", R"({"unknown":1})").status, 400);
  EXPECT_EQ(get("/_admin/nope").status, 404);
}

}  // namespace
}  // namespace weft::fakes
