#include "fakes/salesforce/bulk.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>

#include "common/text.h"
#include "fakes/encoding.h"

namespace weft::fakes::salesforce {
namespace {

using net::HttpRequest;
using net::HttpResponse;
using nlohmann::json;

constexpr std::string_view kUserId = "005000000000001AAA";

HttpResponse json_response(int status, const json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

HttpResponse csv_response(std::string body, std::size_t rows) {
  HttpResponse response;
  response.content_type = "text/csv";
  response.body = std::move(body);
  response.headers.emplace_back("Sforce-NumberOfRecords", std::to_string(rows));
  return response;
}

// "2024-01-31T12:00:00.000+0000", the format of Salesforce's job dates.
std::string salesforce_date() {
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  std::string text = iso8601(now);
  text.pop_back();  // 'Z'
  return text + ".000+0000";
}

bool terminal(const std::string& state) {
  return state == "JobComplete" || state == "Failed" || state == "Aborted";
}

// The fields a CSV row writes: blank values skipped, "#N/A" as null, "A__r.Ext__c" nested.
json row_fields(const CsvRow& columns, const CsvRow& row) {
  json fields = json::object();
  for (std::size_t i = 0; i < columns.size() && i < row.size(); ++i) {
    if (row[i].empty()) continue;
    const json value = row[i] == "#N/A" ? json(nullptr) : json(row[i]);
    const auto dot = columns[i].find('.');
    if (dot == std::string::npos) {
      fields[columns[i]] = value;
    } else {
      fields[columns[i].substr(0, dot)][columns[i].substr(dot + 1)] = value;
    }
  }
  return fields;
}

std::optional<std::size_t> column_index(const CsvRow& columns, const std::string& name) {
  const auto it = std::find(columns.begin(), columns.end(), name);
  if (it == columns.end()) return std::nullopt;
  return static_cast<std::size_t>(it - columns.begin());
}

// Shuffles `rows` so that, with two or more, they never stay in their original order.
void shuffle(std::vector<CsvRow>& rows, std::mt19937_64& random) {
  if (rows.size() < 2) return;
  const std::vector<CsvRow> original = rows;
  std::shuffle(rows.begin(), rows.end(), random);
  if (rows == original) std::rotate(rows.begin(), rows.begin() + 1, rows.end());
}

std::string results_csv(const CsvRow& header, const std::vector<CsvRow>& rows) {
  std::string out;
  append_csv_row(out, header);
  for (const auto& row : rows) append_csv_row(out, row);
  return out;
}

json job_info(const std::string& id, const std::string& object, const std::string& operation,
              const std::string& external_field, const std::string& state,
              const std::string& version, const std::string& line_ending,
              const std::string& created_date) {
  json info = {{"id", id},
               {"operation", operation},
               {"object", object},
               {"createdById", kUserId},
               {"createdDate", created_date},
               {"systemModstamp", created_date},
               {"state", state},
               {"concurrencyMode", "Parallel"},
               {"contentType", "CSV"},
               {"apiVersion", parse_number<double>(version).value_or(0)},
               {"contentUrl", "services/data/v" + version + "/jobs/ingest/" + id + "/batches"},
               {"lineEnding", line_ending},
               {"columnDelimiter", "COMMA"}};
  if (!external_field.empty()) info["externalIdFieldName"] = external_field;
  return info;
}

}  // namespace

BulkJobs::BulkJobs(SObjectStore& store, std::uint64_t shuffle_seed)
    : store_(store), seed_(shuffle_seed) {}

std::uint64_t BulkJobs::created() const {
  std::lock_guard lock(mutex_);
  return counter_;
}

HttpResponse BulkJobs::answer(const HttpRequest& request, std::string_view rest,
                              std::string_view version, int polls_per_state) {
  if (rest.empty() || rest == "/") {
    if (request.method == "POST") return create(request, version);
    if (request.method != "GET") {
      return api_error(405, "METHOD_NOT_ALLOWED", "Allowed are GET and POST");
    }
    std::lock_guard lock(mutex_);
    json records = json::array();
    for (const auto& [id, job] : jobs_) {
      records.push_back(job_info(job.id, job.object, job.operation, job.external_field, job.state,
                                 job.api_version, job.line_ending, job.created_date));
    }
    return json_response(200, {{"done", true}, {"records", records}, {"nextRecordsUrl", nullptr}});
  }
  rest.remove_prefix(1);
  const auto slash = rest.find('/');
  const std::string id(rest.substr(0, slash));
  const std::string_view tail =
      slash == std::string_view::npos ? std::string_view() : rest.substr(slash + 1);
  std::lock_guard lock(mutex_);
  const auto job = jobs_.find(id);
  if (job == jobs_.end())
    return api_error(404, "NOT_FOUND", "The requested resource does not exist");
  return on_job(job->second, request, tail, polls_per_state);
}

HttpResponse BulkJobs::create(const HttpRequest& request, std::string_view version) {
  const json body = json::parse(request.body, nullptr, false);
  if (!body.is_object()) return api_error(400, "JSON_PARSER_ERROR", "expected a JSON object");
  const auto text = [&](const char* key, const char* fallback) {
    const auto it = body.find(key);
    return it != body.end() && it->is_string() ? it->get<std::string>() : std::string(fallback);
  };
  Job job;
  job.object = text("object", "");
  job.operation = text("operation", "");
  job.external_field = text("externalIdFieldName", "");
  job.line_ending = text("lineEnding", "LF");
  job.api_version = std::string(version);
  if (job.object.empty()) return api_error(400, "INVALIDJOB", "object is required");
  if (job.operation != "insert" && job.operation != "update" && job.operation != "upsert" &&
      job.operation != "delete") {
    return api_error(400, "INVALIDJOB", "operation must be insert, update, upsert or delete");
  }
  if (job.operation == "upsert" && job.external_field.empty()) {
    return api_error(400, "INVALIDJOB", "externalIdFieldName is required for upsert");
  }
  if (text("contentType", "CSV") != "CSV") {
    return api_error(400, "INVALIDJOB", "contentType must be CSV");
  }
  if (text("columnDelimiter", "COMMA") != "COMMA") {
    return api_error(400, "INVALIDJOB", "the fake only supports columnDelimiter COMMA");
  }
  if (job.line_ending != "LF" && job.line_ending != "CRLF") {
    return api_error(400, "INVALIDJOB", "lineEnding must be LF or CRLF");
  }
  job.created_date = salesforce_date();
  std::lock_guard lock(mutex_);
  job.number = ++counter_;
  char digits[16];
  std::snprintf(digits, sizeof digits, "%015llu", static_cast<unsigned long long>(job.number));
  job.id = std::string("750") + digits;
  const json info = job_info(job.id, job.object, job.operation, job.external_field, job.state,
                             job.api_version, job.line_ending, job.created_date);
  jobs_.emplace(job.id, std::move(job));
  return json_response(200, info);
}

HttpResponse BulkJobs::on_job(Job& job, const HttpRequest& request, std::string_view tail,
                              int polls_per_state) {
  const std::string& method = request.method;
  if (tail.empty()) {
    if (method == "GET") {
      poll(job, polls_per_state);
    } else if (method == "PATCH") {
      const json body = json::parse(request.body, nullptr, false);
      const std::string state =
          body.is_object() && body.contains("state") && body["state"].is_string()
              ? body["state"].get<std::string>()
              : std::string();
      if (state == "UploadComplete" && job.state == "Open") {
        job.state = "UploadComplete";
      } else if (state == "Aborted" && !terminal(job.state)) {
        abort(job);
      } else {
        return api_error(400, "INVALIDJOBSTATE",
                         "cannot change the state of a " + job.state + " job to '" + state + "'");
      }
    } else if (method == "DELETE") {
      if (job.state == "Open" || job.state == "InProgress") {
        return api_error(400, "INVALIDJOBSTATE", "cannot delete a " + job.state + " job");
      }
      const std::string id = job.id;
      jobs_.erase(id);  // `job` dangles from here
      HttpResponse response;
      response.status = 204;
      return response;
    } else {
      return api_error(405, "METHOD_NOT_ALLOWED", "Allowed are GET, PATCH and DELETE");
    }
    json info = job_info(job.id, job.object, job.operation, job.external_field, job.state,
                         job.api_version, job.line_ending, job.created_date);
    info["jobType"] = "V2Ingest";
    info["numberRecordsProcessed"] = job.processed;
    info["numberRecordsFailed"] = job.failed;
    info["retries"] = 0;
    info["totalProcessingTime"] = 0;
    if (!job.error_message.empty()) info["errorMessage"] = job.error_message;
    return json_response(200, info);
  }
  if (tail == "batches" || tail == "batches/") {
    if (method != "PUT") return api_error(405, "METHOD_NOT_ALLOWED", "Allowed is PUT");
    const auto type = request.header("Content-Type");
    if (!type || !to_lower(*type).starts_with("text/csv")) {
      return api_error(400, "INVALIDCONTENTTYPE", "job data must be sent as text/csv");
    }
    if (job.state != "Open") {
      return api_error(400, "INVALIDJOBSTATE", "cannot upload data to a " + job.state + " job");
    }
    if (job.uploaded) {
      return api_error(400, "INVALIDJOBSTATE",
                       "Found multiple contents for job: " + job.id +
                           ", please 'Close' / 'Abort' / 'Delete' the current Job then create a "
                           "new Job and make sure you only do 'PUT' once on a given Job.");
    }
    job.csv = request.body;
    job.uploaded = true;
    HttpResponse response;
    response.status = 201;
    return response;
  }
  const bool successful = tail == "successfulResults" || tail == "successfulResults/";
  const bool failed = tail == "failedResults" || tail == "failedResults/";
  const bool unprocessed = tail == "unprocessedrecords" || tail == "unprocessedrecords/";
  if (!successful && !failed && !unprocessed) {
    return api_error(404, "NOT_FOUND", "The requested resource does not exist");
  }
  if (method != "GET") return api_error(405, "METHOD_NOT_ALLOWED", "Allowed is GET");
  if (!terminal(job.state)) {
    return api_error(400, "INVALIDJOBSTATE", "the job is " + job.state + ", not finished");
  }
  if (unprocessed)
    return csv_response(results_csv(job.columns, job.unprocessed), job.unprocessed.size());
  CsvRow header{"sf__Id", successful ? "sf__Created" : "sf__Error"};
  header.insert(header.end(), job.columns.begin(), job.columns.end());
  const auto& rows = successful ? job.successful : job.failures;
  return csv_response(results_csv(header, rows), rows.size());
}

void BulkJobs::poll(Job& job, int polls_per_state) {
  if (job.state != "UploadComplete" && job.state != "InProgress") return;
  ++job.polls;
  if (job.polls <= polls_per_state) return;
  if (job.polls <= 2 * polls_per_state) {
    job.state = "InProgress";
    return;
  }
  process(job);
}

void BulkJobs::process(Job& job) {
  auto rows = parse_csv(job.csv);
  if (!rows.ok() || rows->empty()) {
    job.state = "Failed";
    job.error_message =
        rows.ok() ? "InvalidBatch : no CSV header" : "InvalidBatch : " + rows.error().message();
    return;
  }
  job.columns = (*rows)[0];
  const std::string needed = job.operation == "upsert"   ? job.external_field
                             : job.operation == "insert" ? std::string()
                                                         : std::string("Id");
  if (!needed.empty() && !column_index(job.columns, needed)) {
    job.state = "Failed";
    job.error_message = "InvalidBatch : Field name not found : " + needed;
    return;
  }
  for (std::size_t i = 1; i < rows->size(); ++i) process_row(job, (*rows)[i]);
  std::mt19937_64 random(seed_ ^ job.number);
  shuffle(job.successful, random);
  shuffle(job.failures, random);
  job.state = "JobComplete";
}

void BulkJobs::process_row(Job& job, const CsvRow& row) {
  ++job.processed;
  const auto fail = [&](const std::string& id, const RecordError& error) {
    ++job.failed;
    CsvRow result{id, bulk_error_text(error)};
    result.insert(result.end(), row.begin(), row.end());
    job.failures.push_back(std::move(result));
  };
  const auto succeed = [&](const std::string& id, bool created) {
    CsvRow result{id, created ? "true" : "false"};
    result.insert(result.end(), row.begin(), row.end());
    job.successful.push_back(std::move(result));
  };
  if (row.size() != job.columns.size()) {
    return fail("", {"INVALID_FIELD",
                     "the row has " + std::to_string(row.size()) + " fields, the header " +
                         std::to_string(job.columns.size()),
                     {}});
  }
  json fields = row_fields(job.columns, row);
  if (job.operation == "insert") return succeed(store_.insert(job.object, fields), true);
  if (job.operation == "upsert") {
    const std::string& value = row[*column_index(job.columns, job.external_field)];
    if (fields.contains("Id")) {
      return fail("", {"INVALID_FIELD", "Id is not allowed when upserting by external id", {"Id"}});
    }
    if (value.empty()) {
      return fail("", {"INVALID_FIELD",
                       "no value for the external id field " + job.external_field,
                       {job.external_field}});
    }
    if (auto injected = store_.take_injected(value)) return fail("", *injected);
    const WriteResult written = store_.upsert(job.object, job.external_field, fields);
    if (written.error) return fail("", *written.error);
    return succeed(written.id, written.created);
  }
  const std::string& id = row[*column_index(job.columns, "Id")];
  fields.erase("Id");
  const bool done =
      job.operation == "update" ? store_.update(job.object, id, fields) : store_.remove(id);
  if (!done) return fail(id, {"ENTITY_IS_DELETED", "entity is deleted", {}});
  succeed(id, false);
}

void BulkJobs::abort(Job& job) {
  job.state = "Aborted";
  auto rows = parse_csv(job.csv);
  if (!rows.ok() || rows->empty()) return;
  job.columns = (*rows)[0];
  job.unprocessed.assign(rows->begin() + 1, rows->end());
}

}  // namespace weft::fakes::salesforce
