// The salesforce sink against the fake Salesforce org over real HTTP: what lands in the org,
// which records come back as failures and of which kind, re-login after a session expires, and
// the org's request limit pausing delivery instead of failing records.
#include "salesforce/salesforce_sink.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "salesforce/fake_org_fixture.h"

namespace weft::salesforce {
namespace {

using nlohmann::json;

Record rec(json value) {
  Record r;
  r.value = Payload::from_json(std::move(value));
  return r;
}

using SalesforceSinkTest = FakeOrgTest;

TEST_F(SalesforceSinkTest, UpsertCreatesThenUpdatesByExternalId) {
  auto first = write(
      {rec({{"Ext__c", "A1"}, {"Name", "Acme"}}), rec({{"Ext__c", "A2"}, {"Name", "Globex"}})});
  ASSERT_TRUE(first.status.ok()) << first.status.error().message();
  EXPECT_TRUE(first.failures.empty());
  auto second = write({rec({{"Ext__c", "A1"}, {"Name", "Acme Corp"}})});
  ASSERT_TRUE(second.status.ok());
  const json stored = fake_->records("Account");
  ASSERT_EQ(stored.size(), 2u) << stored.dump();
  EXPECT_EQ(stored[0]["Ext__c"], "A1");
  EXPECT_EQ(stored[0]["Name"], "Acme Corp");
  EXPECT_EQ(stored[1]["Name"], "Globex");
}

TEST_F(SalesforceSinkTest, OnlyTheRecordsSalesforceRefusedComeBackAsFailures) {
  ASSERT_TRUE(fake_
                  ->inject_error({{"external_id", "B2"},
                                  {"code", "REQUIRED_FIELD_MISSING"},
                                  {"message", "Required fields are missing: [Name]"},
                                  {"fields", {"Name"}}})
                  .ok());
  ASSERT_TRUE(
      fake_->inject_error({{"external_id", "B3"}, {"code", "UNABLE_TO_LOCK_ROW"}, {"failures", 1}})
          .ok());
  auto result =
      write({rec({{"Ext__c", "B1"}, {"Name", "one"}}), rec({{"Ext__c", "B2"}}),
             rec({{"Ext__c", "B3"}, {"Name", "three"}}), rec({{"Name", "no external id"}})});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  ASSERT_EQ(result.failures.size(), 3u);
  EXPECT_EQ(result.failures[0].index, 1u);
  EXPECT_FALSE(result.failures[0].error.retryable());
  EXPECT_EQ(result.failures[0].error.message(),
            "Account REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (fields: Name)");
  EXPECT_EQ(result.failures[1].index, 2u);
  EXPECT_TRUE(result.failures[1].error.retryable()) << result.failures[1].error.message();
  EXPECT_EQ(result.failures[2].index, 3u);
  EXPECT_EQ(result.failures[2].error.message(), "no value for the external id field Ext__c");
  EXPECT_EQ(fake_->records("Account").size(), 1u);

  // The locked row goes through when it is sent again, alone.
  auto retried = write({rec({{"Ext__c", "B3"}, {"Name", "three"}})});
  EXPECT_TRUE(retried.failures.empty());
  EXPECT_EQ(fake_->records("Account").size(), 2u);
}

TEST_F(SalesforceSinkTest, LargeBatchesGoOutInRequestsOf200SeveralAtOnce) {
  ASSERT_TRUE(fake_->configure({{"latency_ms", 50}}).ok());
  config_.requests_in_flight = 4;
  Batch batch;
  for (int i = 0; i < 1000; ++i) {
    batch.push_back(rec({{"Ext__c", "C" + std::to_string(i)}, {"Name", "n"}}));
  }
  auto result = write(batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  const auto stats = fake_->stats();
  EXPECT_EQ(stats.collections_requests, 5u);
  EXPECT_GE(stats.max_in_flight, 2u);
  EXPECT_LE(stats.max_in_flight, 4u);
  EXPECT_EQ(fake_->records("Account").size(), 1000u);
}

TEST_F(SalesforceSinkTest, AnExpiredSessionLogsInAgainAndTheWriteGoesThrough) {
  write({rec({{"Ext__c", "D1"}})});
  fake_->expire_sessions();
  auto result = write({rec({{"Ext__c", "D2"}})});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(fake_->stats().token_requests.at("client_credentials"), 2u);
  EXPECT_EQ(fake_->records("Account").size(), 2u);
}

TEST_F(SalesforceSinkTest, TheOrgsRequestLimitPausesDeliveryInsteadOfFailingRecords) {
  write({rec({{"Ext__c", "E1"}})});
  ASSERT_TRUE(fake_->configure({{"api_limit", 5}, {"api_usage", 5}}).ok());
  auto limited = write({rec({{"Ext__c", "E2"}}), rec({{"Ext__c", "E3"}})});
  ASSERT_FALSE(limited.status.ok());
  EXPECT_TRUE(limited.status.error().retryable());
  EXPECT_TRUE(limited.status.error().retry_after().has_value());
  EXPECT_NE(limited.status.error().message().find("REQUEST_LIMIT_EXCEEDED"), std::string::npos);
  Health health = sink().health();
  EXPECT_FALSE(health.healthy);
  EXPECT_NE(health.reason.find("API request limit"), std::string::npos) << health.reason;

  ASSERT_TRUE(fake_->configure({{"api_limit", 15000}}).ok());
  auto later = write({rec({{"Ext__c", "E2"}}), rec({{"Ext__c", "E3"}})});
  ASSERT_TRUE(later.status.ok()) << later.status.error().message();
  EXPECT_TRUE(sink().health().healthy);
  EXPECT_EQ(fake_->records("Account").size(), 3u);
}

TEST_F(SalesforceSinkTest, AcceptedRecordsLinkTheirSalesforceIdToTheCanonicalId) {
  std::vector<std::string> links;  // entity/system/salesforce id/canonical id
  bool store_down = false;
  ctx_.crosswalk.link = [&](const std::string& entity, const std::string& system,
                            const std::string& external_id, const std::string& canonical) {
    if (store_down) return Status(Error::retryable("state store busy"));
    links.push_back(entity + "/" + system + "/" + external_id + "/" + canonical);
    return Status{};
  };
  config_.crosswalk_entity = "customer";
  ASSERT_TRUE(fake_->inject_error({{"external_id", "F2"}, {"code", "INVALID_FIELD"}}).ok());
  auto result = write({rec({{"Ext__c", "F1"}}), rec({{"Ext__c", "F2"}})});
  ASSERT_EQ(result.failures.size(), 1u);
  const json stored = fake_->records("Account");
  ASSERT_EQ(stored.size(), 1u);
  EXPECT_EQ(links, (std::vector<std::string>{"customer/salesforce/" +
                                             stored[0]["Id"].get<std::string>() + "/F1"}));

  // A link that cannot be written fails the record (retryable): sent again, the upsert changes
  // nothing and the link is written then.
  store_down = true;
  result = write({rec({{"Ext__c", "F3"}})});
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_TRUE(result.failures[0].error.retryable());
  store_down = false;
  result = write({rec({{"Ext__c", "F3"}})});
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(links.size(), 2u);
  EXPECT_EQ(fake_->records("Account").size(), 2u);
}

TEST_F(SalesforceSinkTest, UpdateByExternalIdChangesExistingRecordsAndCreatesNone) {
  write(
      {rec({{"Ext__c", "G1"}, {"Name", "one"}}), rec({{"Ext__c", "it's \\ G2"}, {"Name", "two"}})});
  config_.target.operation = Operation::kUpdate;
  sink_.reset();
  auto result =
      write({rec({{"Ext__c", "G1"}, {"Name", "ONE"}}), rec({{"Ext__c", "G9"}, {"Name", "nine"}}),
             rec({{"Ext__c", "it's \\ G2"}, {"Name", "TWO"}})});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].index, 1u);
  EXPECT_FALSE(result.failures[0].error.retryable());
  EXPECT_EQ(result.failures[0].error.message(),
            "no Account has Ext__c 'G9' to update (operation update creates nothing)");
  const json stored = fake_->records("Account");
  ASSERT_EQ(stored.size(), 2u);
  EXPECT_EQ(stored[0]["Name"], "ONE");
  EXPECT_EQ(stored[1]["Name"], "TWO");
}

TEST_F(SalesforceSinkTest, InsertAlwaysCreatesAndRefusesRecordsThatCarryAnId) {
  config_.target.operation = Operation::kInsert;
  config_.target.external_id_field.clear();
  auto result = write({rec({{"Name", "a"}}), rec({{"Name", "a"}}),
                       rec({{"Id", "001000000000001AAA"}, {"Name", "b"}})});
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  ASSERT_EQ(result.failures.size(), 1u);
  EXPECT_EQ(result.failures[0].index, 2u);
  EXPECT_NE(result.failures[0].error.message().find("INVALID_FIELD"), std::string::npos);
  EXPECT_EQ(fake_->records("Account").size(), 2u);  // two inserts of the same values: two records
}

TEST_F(SalesforceSinkTest, WrongCredentialsFailAtConnectWithoutTheSecret) {
  config_.auth.client_secret = "not-the-secret";
  auto sink = make_salesforce_sink(config_, ConnectorContext{});
  Status s = run(sink->connect());
  ASSERT_FALSE(s.ok());
  EXPECT_FALSE(s.error().retryable());
  EXPECT_EQ(s.error().message().find("not-the-secret"), std::string::npos) << s.error().message();
}

}  // namespace
}  // namespace weft::salesforce
