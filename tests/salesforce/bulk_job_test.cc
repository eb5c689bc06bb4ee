// The Bulk API 2.0 transport: the CSV it uploads, and jobs against the fake Salesforce org over
// real HTTP, alone and through the sink once a batch reaches bulk_threshold. The fake returns
// result rows shuffled, so every outcome checked here had to be mapped back to its record.
#include "salesforce/bulk_job.h"

#include <gtest/gtest.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>

#include "salesforce/bulk_csv.h"
#include "salesforce/response_error.h"
#include "salesforce/salesforce_sink.h"
#include "salesforce/fake_org_fixture.h"
#include "salesforce/session.h"

namespace weft::salesforce {
namespace {

using nlohmann::json;

Record rec(json value) {
  Record r;
  r.value = Payload::from_json(std::move(value));
  return r;
}

// ---- the CSV, without I/O ----

TEST(BulkCsv, ColumnsAreTheUnionOfFieldsWithRelationshipsFlattened) {
  const BulkCsv csv = build_bulk_csv({
      json{{"Ext__c", "A1"}, {"Name", "Acme"}},
      json{{"Ext__c", "A2"},
           {"Parent__r", {{"attributes", {{"type", "Account"}}}, {"Ext__c", "A1"}}},
           {"Active__c", true},
           {"Employees", 42},
           {"Rating", nullptr},
           {"Site", ""}},
  });
  // nlohmann::json objects iterate in key order; the union keeps the first record's first.
  EXPECT_EQ(csv.columns, (CsvRow{"Ext__c", "Name", "Active__c", "Employees", "Parent__r.Ext__c",
                                 "Rating", "Site"}));
  EXPECT_EQ(csv.text,
            "Ext__c,Name,Active__c,Employees,Parent__r.Ext__c,Rating,Site\n"
            "A1,Acme,,,,,\n"
            "A2,,true,42,A1,#N/A,#N/A\n");
}

TEST(BulkCsv, ValuesThatNeedQuotesSurviveAParse) {
  const std::vector<std::string> names = {"Acme, Inc.",   "said \"hi\"", "line one\nline two",
                                          "crlf\r\nline", " padded ",    "plain"};
  std::vector<json> records;
  for (const auto& name : names) records.push_back(json{{"Name", name}});
  const BulkCsv csv = build_bulk_csv(records);
  EXPECT_NE(csv.text.find("\"Acme, Inc.\""), std::string::npos) << csv.text;
  EXPECT_NE(csv.text.find("\"said \"\"hi\"\"\""), std::string::npos) << csv.text;
  EXPECT_NE(csv.text.find("\nplain\n"), std::string::npos) << "unquoted when not needed";
  auto rows = parse_csv(csv.text);
  ASSERT_TRUE(rows.ok()) << rows.error().message();
  ASSERT_EQ(rows->size(), names.size() + 1);
  for (std::size_t i = 0; i < names.size(); ++i) EXPECT_EQ((*rows)[i + 1], CsvRow{names[i]});
}

TEST(BulkCsv, ParseRejectsAnUnclosedQuoteNamingTheLine) {
  auto rows = parse_csv("a,b\n1,\"open\n");
  ASSERT_FALSE(rows.ok());
  EXPECT_EQ(rows.error().message(), "csv line 3: unclosed quote");
}

TEST(BulkCsv, ErrorTextSplitsIntoCodeMessageAndFields) {
  RecordOutcome full;
  parse_bulk_error("REQUIRED_FIELD_MISSING:Required fields are missing: [Name, Site]:Name,Site --",
                   full);
  EXPECT_EQ(full.code, "REQUIRED_FIELD_MISSING");
  EXPECT_EQ(full.message, "Required fields are missing: [Name, Site]");
  EXPECT_EQ(full.fields, (std::vector<std::string>{"Name", "Site"}));

  RecordOutcome no_fields;
  parse_bulk_error("INVALID_FIELD:Foreign key external ID: P9 not found:--", no_fields);
  EXPECT_EQ(no_fields.code, "INVALID_FIELD");
  EXPECT_EQ(no_fields.message, "Foreign key external ID: P9 not found");
  EXPECT_TRUE(no_fields.fields.empty());

  RecordOutcome short_form;
  parse_bulk_error("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access: try again", short_form);
  EXPECT_EQ(short_form.code, "UNABLE_TO_LOCK_ROW");
  EXPECT_EQ(short_form.message, "unable to obtain exclusive access: try again");

  RecordOutcome no_code;
  parse_bulk_error("Something went wrong", no_code);
  EXPECT_EQ(no_code.code, "");
  EXPECT_EQ(no_code.message, "Something went wrong");
}

// ---- jobs against the fake org ----

class BulkJobTest : public FakeOrgTest {
 protected:
  void SetUp() override {
    FakeOrgTest::SetUp();
    config_.bulk_threshold = 10;
    config_.bulk.first_poll = std::chrono::milliseconds(1);
    config_.bulk.max_poll = std::chrono::milliseconds(4);
  }
  void TearDown() override {
    session_.reset();
    FakeOrgTest::TearDown();
  }

  Result<std::vector<RecordOutcome>> job(const CollectionsTarget& target,
                                         const std::vector<json>& records) {
    if (!session_) {
      auto http = net::HttpClient::create(io_.get_executor(), net::HttpClientOptions{},
                                          spdlog::default_logger());
      EXPECT_TRUE(http.ok());
      session_ = std::make_shared<Session>(
          *http, std::make_unique<OAuthClient>(*http, config_.auth), config_.api_version);
    }
    return run(run_bulk_job(*session_, target, records, config_.bulk));
  }

  // The fake's stored records of `object` by the value of `field`.
  std::map<std::string, json> stored_by(const std::string& object, const std::string& field) {
    std::map<std::string, json> out;
    for (const auto& r : fake_->records(object)) out[r.value(field, "")] = r;
    return out;
  }

  std::shared_ptr<Session> session_;
};

TEST_F(BulkJobTest, ABatchAtTheThresholdGoesThroughOneJobAndOnlyRefusedRecordsFail) {
  ASSERT_TRUE(fake_
                  ->inject_error({{"external_id", "E7"},
                                  {"code", "REQUIRED_FIELD_MISSING"},
                                  {"message", "Required fields are missing: [Industry]"},
                                  {"fields", {"Industry"}}})
                  .ok());
  ASSERT_TRUE(
      fake_->inject_error({{"external_id", "E31"}, {"code", "UNABLE_TO_LOCK_ROW"}, {"failures", 1}})
          .ok());
  ASSERT_TRUE(fake_->configure({{"bulk_polls", 2}}).ok());
  Batch batch;
  for (int i = 0; i < 50; ++i) {
    batch.push_back(
        rec({{"Ext__c", "E" + std::to_string(i)}, {"Name", "name " + std::to_string(i)}}));
  }
  auto result = write(batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_EQ(fake_->stats().bulk_jobs, 1u);
  EXPECT_EQ(fake_->stats().collections_requests, 0u);
  ASSERT_EQ(result.failures.size(), 2u);
  EXPECT_EQ(result.failures[0].index, 7u);
  EXPECT_FALSE(result.failures[0].error.retryable());
  EXPECT_EQ(result.failures[0].error.message(),
            "Account REQUIRED_FIELD_MISSING: Required fields are missing: [Industry] "
            "(fields: Industry)");
  EXPECT_EQ(result.failures[1].index, 31u);
  EXPECT_TRUE(result.failures[1].error.retryable()) << result.failures[1].error.message();
  EXPECT_NE(result.failures[1].error.message().find("UNABLE_TO_LOCK_ROW"), std::string::npos);

  const auto stored = stored_by("Account", "Ext__c");
  ASSERT_EQ(stored.size(), 48u);
  EXPECT_FALSE(stored.contains("E7"));
  EXPECT_FALSE(stored.contains("E31"));
  EXPECT_EQ(stored.at("E12").value("Name", ""), "name 12");
}

TEST_F(BulkJobTest, BelowTheThresholdCollectionsIsUsed) {
  Batch batch;
  for (int i = 0; i < 9; ++i) batch.push_back(rec({{"Ext__c", "S" + std::to_string(i)}}));
  auto result = write(batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(fake_->stats().bulk_jobs, 0u);
  EXPECT_EQ(fake_->stats().collections_requests, 1u);
  EXPECT_EQ(fake_->records("Account").size(), 9u);
}

TEST_F(BulkJobTest, ThresholdZeroNeverUsesBulk) {
  config_.bulk_threshold = 0;
  Batch batch;
  for (int i = 0; i < 250; ++i) batch.push_back(rec({{"Ext__c", "Z" + std::to_string(i)}}));
  auto result = write(batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_EQ(fake_->stats().bulk_jobs, 0u);
  EXPECT_EQ(fake_->stats().collections_requests, 2u);
}

TEST_F(BulkJobTest, UpsertOutcomesCarryEachRecordsIdAndCreatedOnlyTheFirstTime) {
  std::vector<json> records;
  for (int i = 0; i < 30; ++i) records.push_back({{"Ext__c", "U" + std::to_string(i)}});
  auto first = job(config_.target, records);
  ASSERT_TRUE(first.ok()) << first.error().message();
  ASSERT_EQ(first->size(), records.size());
  const auto stored = stored_by("Account", "Ext__c");
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& o = (*first)[i];
    EXPECT_TRUE(o.success) << i;
    EXPECT_TRUE(o.created) << i;
    EXPECT_EQ(o.id, stored.at(records[i]["Ext__c"].get<std::string>())["Id"]) << i;
  }
  auto second = job(config_.target, records);
  ASSERT_TRUE(second.ok()) << second.error().message();
  for (std::size_t i = 0; i < records.size(); ++i) {
    EXPECT_TRUE((*second)[i].success) << i;
    EXPECT_FALSE((*second)[i].created) << i;
    EXPECT_EQ((*second)[i].id, (*first)[i].id) << i;
  }
  EXPECT_EQ(fake_->stats().bulk_jobs, 2u);
  EXPECT_EQ(fake_->records("Account").size(), 30u);
}

TEST_F(BulkJobTest, ARelationshipByExternalIdSurvivesTheCsv) {
  config_.target.object = "Contact";
  config_.target.external_id_field = "Contact_Ext__c";
  Batch batch;
  for (int i = 0; i < 10; ++i) {
    batch.push_back(rec({{"Contact_Ext__c", "C" + std::to_string(i)},
                         {"LastName", "Doe"},
                         {"Account__r", {{"Ext__c", "A" + std::to_string(i % 3)}}}}));
  }
  auto result = write(batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(fake_->stats().bulk_jobs, 1u);
  const auto stored = stored_by("Contact", "Contact_Ext__c");
  ASSERT_EQ(stored.size(), 10u);
  EXPECT_EQ(stored.at("C4")["Account__r"], json({{"Ext__c", "A1"}}));
  EXPECT_EQ(stored.at("C4")["LastName"], "Doe");
}

TEST_F(BulkJobTest, CommasQuotesAndLineBreaksInValuesSurvive) {
  const std::vector<std::string> names = {"Acme, Inc.", "said \"hi\"", "line one\nline two",
                                          "both, \"and\"\nmore"};
  Batch batch;
  for (int i = 0; i < 12; ++i) {
    batch.push_back(rec({{"Ext__c", "Q" + std::to_string(i)}, {"Name", names[i % names.size()]}}));
  }
  auto result = write(batch);
  ASSERT_TRUE(result.status.ok()) << result.status.error().message();
  EXPECT_TRUE(result.failures.empty());
  EXPECT_EQ(fake_->stats().bulk_jobs, 1u);
  const auto stored = stored_by("Account", "Ext__c");
  ASSERT_EQ(stored.size(), 12u);
  for (int i = 0; i < 12; ++i) {
    EXPECT_EQ(stored.at("Q" + std::to_string(i))["Name"], names[i % names.size()]) << i;
  }
}

TEST_F(BulkJobTest, InsertRowsAreMatchedByContentIdenticalOnesInOrder) {
  CollectionsTarget insert{"Lead", "", Operation::kInsert};
  std::vector<json> records;
  for (int i = 0; i < 12; ++i) {
    records.push_back({{"LastName", i < 4 ? std::string("Same") : "L" + std::to_string(i)}});
  }
  auto outcomes = job(insert, records);
  ASSERT_TRUE(outcomes.ok()) << outcomes.error().message();
  ASSERT_EQ(outcomes->size(), records.size());
  std::map<std::string, json> stored_by_id;
  for (const auto& r : fake_->records("Lead")) stored_by_id[r["Id"]] = r;
  ASSERT_EQ(stored_by_id.size(), 12u);
  std::set<std::string> ids;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const auto& o = (*outcomes)[i];
    ASSERT_TRUE(o.success) << i << " " << o.message;
    EXPECT_TRUE(o.created);
    ASSERT_TRUE(stored_by_id.contains(o.id)) << o.id;
    EXPECT_EQ(stored_by_id[o.id]["LastName"], records[i]["LastName"]) << i;
    ids.insert(o.id);
  }
  EXPECT_EQ(ids.size(), 12u) << "each identical row got an id of its own";
}

TEST_F(BulkJobTest, DeleteRowsAreMatchedById) {
  std::vector<json> upserts;
  for (int i = 0; i < 6; ++i) upserts.push_back({{"Ext__c", "D" + std::to_string(i)}});
  auto created = job(config_.target, upserts);
  ASSERT_TRUE(created.ok()) << created.error().message();
  std::vector<json> deletes;
  for (const auto& o : *created) deletes.push_back({{"Id", o.id}});
  deletes.insert(deletes.begin() + 2, json{{"Id", "001000000000999AAA"}});  // no such record
  auto deleted = job({"Account", "", Operation::kDelete}, deletes);
  ASSERT_TRUE(deleted.ok()) << deleted.error().message();
  ASSERT_EQ(deleted->size(), deletes.size());
  for (std::size_t i = 0; i < deletes.size(); ++i) {
    EXPECT_EQ((*deleted)[i].success, i != 2) << i;
    EXPECT_EQ((*deleted)[i].id, deletes[i]["Id"]) << i;
  }
  EXPECT_EQ((*deleted)[2].code, "ENTITY_IS_DELETED");
  EXPECT_TRUE(fake_->records("Account").empty());
}

TEST_F(BulkJobTest, AJobSalesforceFailsIsAPermanentErrorNamingTheJob) {
  // No external id column: Salesforce refuses the whole upload.
  std::vector<json> records = {{{"Name", "a"}}, {{"Name", "b"}}};
  auto outcomes = job(config_.target, records);
  ASSERT_FALSE(outcomes.ok());
  EXPECT_FALSE(outcomes.error().retryable());
  const std::string& message = outcomes.error().message();
  EXPECT_NE(message.find("job 750"), std::string::npos) << message;
  EXPECT_NE(message.find("Field name not found : Ext__c"), std::string::npos) << message;
}

TEST_F(BulkJobTest, TheOrgsRequestLimitPausesDeliveryAsWithCollections) {
  config_.slow_down_delay = std::chrono::milliseconds(10);
  sink();
  ASSERT_TRUE(fake_->configure({{"api_limit", 5}, {"api_usage", 5}}).ok());
  Batch batch;
  for (int i = 0; i < 20; ++i) batch.push_back(rec({{"Ext__c", "L" + std::to_string(i)}}));
  auto limited = write(batch);
  ASSERT_FALSE(limited.status.ok());
  EXPECT_TRUE(limited.status.error().retryable());
  EXPECT_TRUE(limited.status.error().retry_after().has_value());
  EXPECT_TRUE(limit_exceeded(limited.status.error())) << limited.status.error().message();
  EXPECT_FALSE(sink().health().healthy);

  ASSERT_TRUE(fake_->configure({{"api_limit", 15000}}).ok());
  auto later = write(batch);
  ASSERT_TRUE(later.status.ok()) << later.status.error().message();
  EXPECT_TRUE(later.failures.empty());
  EXPECT_TRUE(sink().health().healthy);
  EXPECT_EQ(fake_->records("Account").size(), 20u);
}

}  // namespace
}  // namespace weft::salesforce
