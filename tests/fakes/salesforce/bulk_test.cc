// Bulk API 2.0 ingest jobs over HTTP: a whole upsert job (create, upload, close, poll to
// JobComplete, results shuffled and mapped back by external id, injected errors as failed rows),
// aborting, a job that fails, and the store the rows end up in.
#include <algorithm>
#include <map>

#include "fakes/salesforce/csv.h"
#include "fakes/salesforce/test_fixture.h"

namespace weft::fakes::salesforce {
namespace {

const json kUpsertJob = {{"object", "Account"},  {"externalIdFieldName", "Ext_Id__c"},
                         {"contentType", "CSV"}, {"operation", "upsert"},
                         {"lineEnding", "LF"},   {"columnDelimiter", "COMMA"}};

class SalesforceBulkTest : public FakeSalesforceTest {
 protected:
  // Creates a job and uploads `csv` to it; returns the job id.
  std::string open_job(const std::string& csv, const json& job = kUpsertJob) {
    const auto created = data("POST", "/jobs/ingest", job.dump());
    EXPECT_EQ(created.status, 200) << created.body;
    const json info = json::parse(created.body, nullptr, false);
    const std::string id = info.value("id", "");
    EXPECT_EQ(info.value("state", ""), "Open");
    EXPECT_EQ(info.value("contentUrl", ""), "services/data/v62.0/jobs/ingest/" + id + "/batches");
    const auto uploaded = data("PUT", "/jobs/ingest/" + id + "/batches", csv, "text/csv");
    EXPECT_EQ(uploaded.status, 201) << uploaded.body;
    return id;
  }
  json job_info(const std::string& id) {
    const auto response = data("GET", "/jobs/ingest/" + id);
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body, nullptr, false);
  }
  json close(const std::string& id, const std::string& state = "UploadComplete") {
    const auto response = data("PATCH", "/jobs/ingest/" + id, json{{"state", state}}.dump());
    EXPECT_EQ(response.status, 200) << response.body;
    return json::parse(response.body, nullptr, false);
  }
  // The rows of a result file, its header first.
  std::vector<CsvRow> results(const std::string& id, const std::string& kind) {
    const auto response = data("GET", "/jobs/ingest/" + id + "/" + kind + "/");
    EXPECT_EQ(response.status, 200) << response.body;
    EXPECT_EQ(response.header("Content-Type").substr(0, 8), "text/csv");
    auto rows = parse_csv(response.body);
    EXPECT_TRUE(rows.ok()) << response.body;
    return rows.ok() ? std::move(rows).value() : std::vector<CsvRow>();
  }
};

// Result rows by the external id column (index 2: after sf__Id and sf__Created/sf__Error).
std::map<std::string, CsvRow> by_external_id(const std::vector<CsvRow>& rows) {
  std::map<std::string, CsvRow> out;
  for (std::size_t i = 1; i < rows.size(); ++i) out[rows[i].at(2)] = rows[i];
  return out;
}

TEST_F(SalesforceBulkTest, UpsertJobRunsToCompletionWithShuffledResults) {
  const auto existing = data("PATCH", "/composite/sobjects/Account/Ext_Id__c",
                             R"({"allOrNone":false,"records":[{"attributes":{"type":"Account"},)"
                             R"("Ext_Id__c":"E1","Name":"Old"}]})");
  ASSERT_EQ(existing.status, 200);
  const std::string existing_id = json::parse(existing.body)[0]["id"];
  admin("POST", "errors",
        json::array({{{"external_id", "E3"},
                      {"code", "REQUIRED_FIELD_MISSING"},
                      {"message", "Required fields are missing: [Industry]"},
                      {"fields", {"Industry"}}},
                     {{"external_id", "E4"}, {"code", "UNABLE_TO_LOCK_ROW"}, {"failures", 1}}}));

  const std::string csv =
      "Ext_Id__c,Name,Description,Parent__r.Ext_Id__c\n"
      "E1,\"Acme, Inc.\",\"said \"\"hi\"\"\",\n"
      "E2,Globex,\"line one\nline two\",E1\n"
      "E3,Initech,,\n"
      "E4,Umbrella,,E1\n"
      "E5,Hooli,#N/A,\n"
      "E6,Stark,,\n";
  const std::string id = open_job(csv);
  EXPECT_TRUE(id.starts_with("750")) << id;
  EXPECT_EQ(id.size(), 18u);
  EXPECT_EQ(job_info(id)["state"], "Open");
  EXPECT_EQ(close(id)["state"], "UploadComplete");
  // Nothing is written before the job completes.
  EXPECT_EQ(api_->records("Account").size(), 1u);

  // bulk_polls 1: one poll in UploadComplete, one in InProgress, then JobComplete.
  EXPECT_EQ(job_info(id)["state"], "UploadComplete");
  EXPECT_EQ(job_info(id)["state"], "InProgress");
  const json done = job_info(id);
  EXPECT_EQ(done["state"], "JobComplete");
  EXPECT_EQ(done["numberRecordsProcessed"], 6);
  EXPECT_EQ(done["numberRecordsFailed"], 2);
  EXPECT_EQ(done["object"], "Account");
  EXPECT_EQ(done["externalIdFieldName"], "Ext_Id__c");

  const auto raw = data("GET", "/jobs/ingest/" + id + "/successfulResults/");
  EXPECT_TRUE(
      raw.body.starts_with("\"sf__Id\",\"sf__Created\",\"Ext_Id__c\",\"Name\",\"Description\","
                           "\"Parent__r.Ext_Id__c\"\n"))
      << raw.body;
  const auto successful = results(id, "successfulResults");
  ASSERT_EQ(successful.size(), 5u);
  std::vector<std::string> order;
  for (std::size_t i = 1; i < successful.size(); ++i) order.push_back(successful[i][2]);
  EXPECT_NE(order, std::vector<std::string>({"E1", "E2", "E5", "E6"})) << "not shuffled";
  auto ok = by_external_id(successful);
  ASSERT_EQ(ok.size(), 4u);
  EXPECT_EQ(ok["E1"][0], existing_id);
  EXPECT_EQ(ok["E1"][1], "false");
  EXPECT_EQ(ok["E1"][3], "Acme, Inc.");  // the original columns, as sent
  EXPECT_EQ(ok["E2"][1], "true");
  EXPECT_EQ(ok["E2"][4], "line one\nline two");
  EXPECT_TRUE(ok["E5"][0].starts_with("001"));

  const auto failed = results(id, "failedResults");
  ASSERT_EQ(failed.size(), 3u);
  EXPECT_EQ(failed[0], CsvRow({"sf__Id", "sf__Error", "Ext_Id__c", "Name", "Description",
                               "Parent__r.Ext_Id__c"}));
  auto bad = by_external_id(failed);
  EXPECT_EQ(bad["E3"][1],
            "REQUIRED_FIELD_MISSING:Required fields are missing: [Industry]:Industry --");
  EXPECT_TRUE(bad["E4"][1].starts_with("UNABLE_TO_LOCK_ROW:")) << bad["E4"][1];
  EXPECT_EQ(bad["E4"][0], "");
  EXPECT_EQ(results(id, "unprocessedrecords").size(), 1u);  // the header only

  // The same store as Collections: parsed fields, relationships nested, #N/A as null.
  const json stored = api_->records("Account");
  ASSERT_EQ(stored.size(), 4u) << stored;
  EXPECT_EQ(stored[0]["Id"], existing_id);
  EXPECT_EQ(stored[0]["Name"], "Acme, Inc.");
  EXPECT_EQ(stored[0]["Description"], "said \"hi\"");
  EXPECT_FALSE(stored[0].contains("Parent__r"));  // a blank value leaves the field alone
  EXPECT_EQ(stored[1]["Parent__r"], json({{"Ext_Id__c", "E1"}}));
  EXPECT_TRUE(stored[2]["Description"].is_null());

  // The transient error is used up: the retried row goes through.
  const std::string retry = open_job("Ext_Id__c,Name\nE4,Umbrella\n");
  close(retry);
  admin("POST", "config", {{"bulk_polls", 0}});
  EXPECT_EQ(job_info(retry)["numberRecordsFailed"], 0);
  EXPECT_EQ(results(retry, "successfulResults").size(), 2u);
  EXPECT_EQ(api_->records("Account").size(), 5u);
  EXPECT_EQ(api_->stats().bulk_jobs, 2u);
}

TEST_F(SalesforceBulkTest, AbortedJobsReportTheirRowsAsUnprocessed) {
  const std::string id = open_job("Ext_Id__c,Name\nQ1,a\nQ2,\"b,\"\"c\"\"\"\n");
  const auto twice = data("PUT", "/jobs/ingest/" + id + "/batches", "Ext_Id__c\nQ3\n", "text/csv");
  EXPECT_EQ(twice.status, 400);
  EXPECT_NE(twice.body.find("Found multiple contents for job"), std::string::npos) << twice.body;
  EXPECT_EQ(data("GET", "/jobs/ingest/" + id + "/successfulResults/").status, 400);

  EXPECT_EQ(close(id, "Aborted")["state"], "Aborted");
  EXPECT_EQ(data("PATCH", "/jobs/ingest/" + id, R"({"state":"UploadComplete"})").status, 400);
  EXPECT_EQ(job_info(id)["state"], "Aborted");
  EXPECT_EQ(results(id, "unprocessedrecords"),
            std::vector<CsvRow>({{"Ext_Id__c", "Name"}, {"Q1", "a"}, {"Q2", "b,\"c\""}}));
  EXPECT_TRUE(api_->records("Account").empty());
  EXPECT_EQ(data("DELETE", "/jobs/ingest/" + id).status, 204);
  EXPECT_EQ(data("GET", "/jobs/ingest/" + id).status, 404);
}

TEST_F(SalesforceBulkTest, JobsThatCannotBeProcessedFail) {
  admin("POST", "config", {{"bulk_polls", 0}});
  const std::string id = open_job("Name\nno key\n");
  close(id);
  const json info = job_info(id);
  EXPECT_EQ(info["state"], "Failed");
  EXPECT_NE(info.value("errorMessage", "").find("Ext_Id__c"), std::string::npos) << info;

  const std::string unclosed = open_job("Ext_Id__c,Name\nZ1,\"never closed\n");
  close(unclosed);
  EXPECT_EQ(job_info(unclosed)["state"], "Failed");

  const auto bad = data("POST", "/jobs/ingest", R"({"object":"Account","operation":"upsert"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_TRUE(json::parse(bad.body, nullptr, false).is_array()) << bad.body;
}

TEST_F(SalesforceBulkTest, InsertUpdateAndDeleteJobs) {
  admin("POST", "config", {{"bulk_polls", 0}});
  const std::string insert =
      open_job("Name\r\nfirst\r\nsecond\r\n",
               {{"object", "Contact"}, {"operation", "insert"}, {"lineEnding", "CRLF"}});
  close(insert);
  EXPECT_EQ(job_info(insert)["numberRecordsProcessed"], 2);
  const json contacts = api_->records("Contact");
  ASSERT_EQ(contacts.size(), 2u);
  const std::string first = contacts[0]["Id"];
  EXPECT_TRUE(first.starts_with("003")) << first;

  const std::string update = open_job("Id,Name\n" + first + ",renamed\n003000000000009999,ghost\n",
                                      {{"object", "Contact"}, {"operation", "update"}});
  close(update);
  EXPECT_EQ(job_info(update)["numberRecordsFailed"], 1);
  EXPECT_EQ(api_->records("Contact")[0]["Name"], "renamed");

  const std::string remove =
      open_job("Id\n" + first + "\n", {{"object", "Contact"}, {"operation", "delete"}});
  close(remove);
  EXPECT_EQ(job_info(remove)["numberRecordsFailed"], 0);
  EXPECT_EQ(api_->records("Contact").size(), 1u);
}

}  // namespace
}  // namespace weft::fakes::salesforce
