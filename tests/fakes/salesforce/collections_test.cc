// sObject Collections upsert, update and delete by Id over HTTP: created then updated, per-record
// results in request order, injected permanent and transient errors, the 200-record bound,
// allOrNone, Sforce-Limit-Info and REQUEST_LIMIT_EXCEEDED, latency and the in-flight count.
#include <thread>
#include <vector>

#include "fakes/salesforce/test_fixture.h"

namespace weft::fakes::salesforce {
namespace {

const std::string kUpsert = "/composite/sobjects/Account/Ext_Id__c";

json account(const json& external_id, const std::string& name) {
  return {{"attributes", {{"type", "Account"}}}, {"Ext_Id__c", external_id}, {"Name", name}};
}

// Takes a vector: a braced list of one json object would not make a JSON array.
std::string batch(const std::vector<json>& records, bool all_or_none = false) {
  return json{{"allOrNone", all_or_none}, {"records", json(records)}}.dump();
}

class SalesforceCollectionsTest : public FakeSalesforceTest {
 protected:
  // The results of an upsert that must answer 200.
  json upsert_records(const std::vector<json>& records, bool all_or_none = false) {
    const auto response = data("PATCH", kUpsert, batch(records, all_or_none));
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body, nullptr, false);
  }
};

TEST_F(SalesforceCollectionsTest, UpsertCreatesThenUpdatesByExternalId) {
  json relationship = account("A2", "Globex");
  relationship["Parent__r"] = {{"Ext_Id__c", "A1"}};
  const json first = upsert_records({account("A1", "Acme"), relationship});
  ASSERT_EQ(first.size(), 2u) << first;
  for (const auto& result : first) {
    EXPECT_EQ(result["success"], true) << result;
    EXPECT_EQ(result["created"], true) << result;
    EXPECT_EQ(result["errors"], json::array());
    EXPECT_EQ(result["id"].get<std::string>().size(), 18u);
    EXPECT_TRUE(result["id"].get<std::string>().starts_with("001")) << result;
  }
  EXPECT_NE(first[0]["id"], first[1]["id"]);

  const json second = upsert_records({account("A2", "Globex Corp"), account(3, "Initech")});
  EXPECT_EQ(second[0]["created"], false);
  EXPECT_EQ(second[0]["id"], first[1]["id"]);
  EXPECT_EQ(second[1]["created"], true);

  const json stored = api_->records("Account");
  ASSERT_EQ(stored.size(), 3u) << stored;
  EXPECT_EQ(stored[0], json({{"Id", first[0]["id"]}, {"Ext_Id__c", "A1"}, {"Name", "Acme"}}));
  EXPECT_EQ(stored[1]["Name"], "Globex Corp");
  EXPECT_EQ(stored[1]["Parent__r"], json({{"Ext_Id__c", "A1"}}));  // kept as given
  EXPECT_FALSE(stored[1].contains("attributes"));
  EXPECT_EQ(stored[2]["Ext_Id__c"], 3);
  // The admin API shows the same.
  EXPECT_EQ(admin("GET", "records/Account"), stored);
  EXPECT_EQ(admin("GET", "records/Contact"), json::array());
}

TEST_F(SalesforceCollectionsTest, MixedResultsComeInRequestOrder) {
  ASSERT_TRUE(api_->inject_error({{"external_id", "B2"},
                                  {"code", "REQUIRED_FIELD_MISSING"},
                                  {"message", "Required fields are missing: [Industry]"},
                                  {"fields", {"Industry"}}})
                  .ok());
  admin("POST", "errors",
        {{"external_id", "B4"}, {"code", "STRING_TOO_LONG"}, {"fields", {"Name"}}});
  json with_id = account("B5", "Has Id");
  with_id["Id"] = "001000000000000099";
  json without_external_id = account("x", "No key");
  without_external_id.erase("Ext_Id__c");
  const json results =
      upsert_records({account("B1", "one"), account("B2", "two"), account("B3", "three"),
                      account("B4", "four"), with_id, without_external_id, account("B7", "seven")});
  ASSERT_EQ(results.size(), 7u) << results;
  const auto code = [&](int i) { return results[i]["errors"][0]["statusCode"]; };
  EXPECT_EQ(results[0]["success"], true);
  EXPECT_EQ(results[1]["success"], false);
  EXPECT_EQ(results[1]["errors"][0], json({{"statusCode", "REQUIRED_FIELD_MISSING"},
                                           {"message", "Required fields are missing: [Industry]"},
                                           {"fields", {"Industry"}}}));
  EXPECT_FALSE(results[1].contains("id"));
  EXPECT_EQ(results[2]["success"], true);
  EXPECT_EQ(code(3), "STRING_TOO_LONG");
  EXPECT_EQ(code(4), "INVALID_FIELD");
  EXPECT_EQ(code(5), "INVALID_FIELD");
  EXPECT_EQ(results[6]["success"], true);
  EXPECT_EQ(api_->records("Account").size(), 3u);

  // Permanent errors stay until cleared.
  EXPECT_EQ(upsert_records({account("B2", "two")})[0]["success"], false);
  admin("DELETE", "errors");
  EXPECT_EQ(upsert_records({account("B2", "two")})[0]["success"], true);
}

TEST_F(SalesforceCollectionsTest, UnableToLockRowFailsThenSucceeds) {
  admin("POST", "errors",
        json::array({{{"external_id", "L1"},
                      {"code", "UNABLE_TO_LOCK_ROW"},
                      {"message", "unable to obtain exclusive access"},
                      {"failures", 2}}}));
  for (int attempt = 0; attempt < 2; ++attempt) {
    const json results = upsert_records({account("L0", "ok"), account("L1", "locked")});
    EXPECT_EQ(results[0]["success"], true);
    EXPECT_EQ(results[1]["success"], false);
    EXPECT_EQ(results[1]["errors"][0]["statusCode"], "UNABLE_TO_LOCK_ROW") << results;
  }
  const json results = upsert_records({account("L1", "locked")});
  EXPECT_EQ(results[0]["success"], true) << results;
  EXPECT_EQ(results[0]["created"], true);
}

TEST_F(SalesforceCollectionsTest, MoreThan200RecordsAreRefusedWhole) {
  std::vector<json> records;
  for (int i = 0; i < 201; ++i) records.push_back(account("R" + std::to_string(i), "n"));
  const auto refused = data("PATCH", kUpsert, batch(records));
  EXPECT_EQ(refused.status, 400);
  const json errors = json::parse(refused.body, nullptr, false);
  ASSERT_TRUE(errors.is_array()) << refused.body;
  EXPECT_EQ(errors[0]["errorCode"], "EXCEEDED_ID_LIMIT");
  EXPECT_TRUE(api_->records("Account").empty());

  records.erase(records.end() - 1);
  EXPECT_EQ(upsert_records(records).size(), 200u);
  EXPECT_EQ(api_->records("Account").size(), 200u);
}

TEST_F(SalesforceCollectionsTest, MalformedRequestsGetAnErrorArray) {
  for (const std::string& body :
       {std::string("not json"), std::string(R"({"records":{}})"),
        batch({{{"attributes", {{"type", "Contact"}}}, {"Ext_Id__c", "C1"}}})}) {
    const auto response = data("PATCH", kUpsert, body);
    EXPECT_EQ(response.status, 400) << body;
    EXPECT_TRUE(json::parse(response.body, nullptr, false).is_array()) << response.body;
  }
  // Two records with one external id value: neither is written [unverified against Salesforce].
  const json results = upsert_records({account("D1", "a"), account("D1", "b")});
  EXPECT_EQ(results[0]["errors"][0]["statusCode"], "DUPLICATE_EXTERNAL_ID");
  EXPECT_EQ(results[1]["errors"][0]["statusCode"], "DUPLICATE_EXTERNAL_ID");
}

TEST_F(SalesforceCollectionsTest, AllOrNoneWritesNothingWhenARecordFails) {
  api_->inject_error({{"external_id", "N2"}, {"code", "DUPLICATE_VALUE"}}).ok();
  const json results = upsert_records({account("N1", "a"), account("N2", "b")}, true);
  EXPECT_EQ(results[0]["errors"][0]["statusCode"], "ALL_OR_NONE_OPERATION_ROLLED_BACK");
  EXPECT_EQ(results[1]["errors"][0]["statusCode"], "DUPLICATE_VALUE");
  EXPECT_TRUE(api_->records("Account").empty());
}

TEST_F(SalesforceCollectionsTest, UpdateAndDeleteById) {
  const json created = upsert_records({account("U1", "before"), account("U2", "other")});
  const std::string id = created[0]["id"];
  const auto updated = data("PATCH", "/sobjects/Account/" + id, R"({"Name":"after"})");
  EXPECT_EQ(updated.status, 204) << updated.body;
  EXPECT_EQ(api_->records("Account")[0]["Name"], "after");
  EXPECT_EQ(data("PATCH", "/sobjects/Account/001000000000000777", R"({"Name":"x"})").status, 404);

  const auto deleted = data("DELETE", "/composite/sobjects?ids=" + id + ",001000000000000777");
  ASSERT_EQ(deleted.status, 200) << deleted.body;
  const json results = json::parse(deleted.body);
  EXPECT_EQ(results[0], json({{"id", id}, {"success", true}, {"errors", json::array()}}));
  EXPECT_EQ(results[1]["success"], false);
  EXPECT_EQ(results[1]["id"], "001000000000000777");
  ASSERT_EQ(api_->records("Account").size(), 1u);
  // Upserting the deleted key creates a new record.
  EXPECT_EQ(upsert_records({account("U1", "again")})[0]["created"], true);
}

TEST_F(SalesforceCollectionsTest, EveryDataResponseCarriesLimitInfoAndTheLimitIsEnforced) {
  admin("POST", "config", {{"api_limit", 3}});
  for (int i = 1; i <= 3; ++i) {
    const auto response = data("GET", "/jobs/ingest");
    EXPECT_EQ(response.status, 200);
    EXPECT_EQ(response.header("Sforce-Limit-Info"), "api-usage=" + std::to_string(i) + "/3");
  }
  const auto refused = data("PATCH", kUpsert, batch({account("X1", "x")}));
  EXPECT_EQ(refused.status, 403);
  EXPECT_EQ(refused.header("Sforce-Limit-Info"), "api-usage=4/3");
  EXPECT_EQ(json::parse(refused.body, nullptr, false),
            json::parse(R"([{"message":"TotalRequests Limit exceeded.",)"
                        R"("errorCode":"REQUEST_LIMIT_EXCEEDED","fields":[]}])"));
  EXPECT_TRUE(api_->records("Account").empty());
  // Token requests do not count; resetting the usage lets requests through again.
  login();
  admin("POST", "config", {{"api_usage", 0}});
  const auto again = data("PATCH", kUpsert, batch({account("X1", "x")}));
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.header("Sforce-Limit-Info"), "api-usage=1/3");
  const json stats = admin("GET", "stats");
  EXPECT_EQ(stats["limit_exceeded"], 1);
  EXPECT_EQ(stats["collections_requests"], 1);  // the refused one never reached Collections
}

TEST_F(SalesforceCollectionsTest, LatencyDelaysRequestsAndTheMostInFlightIsCounted) {
  ASSERT_TRUE(api_->configure({{"latency_ms", 300}}).ok());
  const std::string token = login();
  const auto started = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  std::vector<int> statuses(4);
  for (int i = 0; i < 4; ++i) {
    clients.emplace_back([&, i] {
      statuses[i] =
          request("PATCH", std::string(kData) + kUpsert,
                  {{"Authorization", "Bearer " + token}, {"Content-Type", "application/json"}},
                  batch({account("P" + std::to_string(i), "p")}))
              .status;
    });
  }
  for (auto& client : clients) client.join();
  const auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(statuses, std::vector<int>(4, 200));
  EXPECT_GE(elapsed, std::chrono::milliseconds(300));
  EXPECT_LT(elapsed, std::chrono::milliseconds(1100));  // served side by side, not one by one
  const FakeSalesforceStats stats = api_->stats();
  EXPECT_EQ(stats.max_in_flight, 4u);
  EXPECT_EQ(stats.in_flight, 0u);
  EXPECT_EQ(stats.records, 4u);
}

}  // namespace
}  // namespace weft::fakes::salesforce
