#pragma once

// Bulk API 2.0 ingest jobs (protocols.md §4) on the fake's store:
//   POST   .../jobs/ingest                        create a job -> 200 job info, state Open
//   GET    .../jobs/ingest                        {"done":true,"records":[job info...]}
//   PUT    .../jobs/ingest/{id}/batches           the job's CSV (text/csv), once -> 201
//   PATCH  .../jobs/ingest/{id}                   {"state":"UploadComplete"|"Aborted"}
//   GET    .../jobs/ingest/{id}                   job info; polls move the job on (below)
//   DELETE .../jobs/ingest/{id}                   204 once the job is no longer Open
//   GET    .../jobs/ingest/{id}/successfulResults/  "sf__Id","sf__Created",<columns>
//   GET    .../jobs/ingest/{id}/failedResults/      "sf__Id","sf__Error",<columns>
//   GET    .../jobs/ingest/{id}/unprocessedrecords/ <columns>
// After UploadComplete, `polls_per_state` GETs of the job report UploadComplete, as many more
// InProgress, and the next one processes every row and reports JobComplete (or Failed, with
// errorMessage, when the CSV cannot be parsed or lacks a needed column). Result rows come in a
// shuffled order (deterministic for a seed), never the input order when there are two or more.
// Rows write to the store as Collections would, and the same injected errors apply (reported as
// failed rows "CODE:message:fields --"). A blank CSV value leaves the field as it is, "#N/A" sets
// it to null, and a column "Account__r.External_Id__c" is stored as {"Account__r":{...}}.

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "fakes/salesforce/csv.h"
#include "fakes/salesforce/sobject_store.h"
#include "net/http_server.h"

namespace weft::fakes::salesforce {

// Thread-safe.
class BulkJobs {
 public:
  // `store` must outlive this.
  BulkJobs(SObjectStore& store, std::uint64_t shuffle_seed);

  // `rest` is the path after ".../jobs/ingest" ("", "/750...", "/750.../batches", ...);
  // `version` the API version of the request ("62.0"). Callers have checked the session.
  net::HttpResponse answer(const net::HttpRequest& request, std::string_view rest,
                           std::string_view version, int polls_per_state);

  std::uint64_t created() const;

 private:
  struct Job {
    std::string id;
    std::string object;
    std::string operation;  // insert, update, upsert, delete
    std::string external_field;
    std::string line_ending;
    std::string api_version;
    std::string created_date;
    std::string state = "Open";
    std::string error_message;
    bool uploaded = false;
    std::string csv;
    int polls = 0;  // GETs since UploadComplete
    std::int64_t processed = 0;
    std::int64_t failed = 0;
    CsvRow columns;
    std::vector<CsvRow> successful;  // result rows, shuffled
    std::vector<CsvRow> failures;
    std::vector<CsvRow> unprocessed;
    std::uint64_t number = 0;
  };

  net::HttpResponse create(const net::HttpRequest& request, std::string_view version);
  net::HttpResponse on_job(Job& job, const net::HttpRequest& request, std::string_view tail,
                           int polls_per_state);  // needs mutex_
  void poll(Job& job, int polls_per_state);       // needs mutex_
  void process(Job& job);                         // needs mutex_
  void process_row(Job& job, const CsvRow& row);  // needs mutex_
  void abort(Job& job);                           // needs mutex_

  SObjectStore& store_;
  const std::uint64_t seed_;
  mutable std::mutex mutex_;
  std::map<std::string, Job> jobs_;
  std::uint64_t counter_ = 0;
};

}  // namespace weft::fakes::salesforce
