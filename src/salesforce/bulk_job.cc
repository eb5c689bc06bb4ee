#include "salesforce/bulk_job.h"


#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <deque>
#include <nlohmann/json.hpp>
#include <optional>
#include <unordered_map>
#include <utility>

#include "salesforce/bulk_csv.h"
#include "salesforce/response_error.h"

namespace weft::salesforce {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// A poll that fails retryably is repeated (after the next wait) this many times in a row before
// the job is given up: one 503 should not cost a re-upload of the whole batch.
constexpr int kPollFailuresTolerated = 3;

// One request of the job; the response when it is a 2xx, the classified Error otherwise.
awaitable<Result<net::ClientResponse>> call(Session& session, std::string what, std::string method,
                                            std::string path, std::string body = std::string(),
                                            std::string content_type = "application/json",
                                            std::string accept = "application/json") {
  auto response = co_await session.send(method, path, std::move(body), std::move(content_type),
                                        std::move(accept));
  if (!response.ok()) {
    co_return Error(response.error().kind(), what + ": " + response.error().message());
  }
  if (auto error = response_error(what + ": " + method + " " + path, *response)) {
    co_return *error;
  }
  co_return std::move(*response);
}

// Best effort: a job that will not be used is aborted so that it does not sit open (or run on)
// in the org's job list. Failures are ignored; Salesforce closes abandoned jobs itself.
awaitable<void> abort_job(Session& session, const std::string& job_path) {
  const std::string body = nlohmann::json{{"state", "Aborted"}}.dump();
  auto ignored = co_await session.send("PATCH", job_path, body);
  (void)ignored;
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// Finds the input record of each result row. Rows carry the original columns after Salesforce's
// own (sf__Id, sf__Created or sf__Error), in any order.
class RowMatcher {
 public:
  RowMatcher(const BulkCsv& csv, const CollectionsTarget& target) : columns_(csv.columns) {
    const std::string key = target.operation == Operation::kUpsert   ? target.external_id_field
                            : target.operation == Operation::kInsert ? std::string()
                                                                     : std::string("Id");
    const auto it = std::find(columns_.begin(), columns_.end(), key);
    if (!key.empty() && it != columns_.end()) key_column_ = it - columns_.begin();
    for (std::size_t i = 0; i < csv.cells.size(); ++i) pending_[key_of(csv.cells[i])].push_back(i);
  }

  // Reads a result file's header: where the original columns are.
  void start_file(const CsvRow& header) {
    positions_.assign(columns_.size(), std::nullopt);
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      const auto it = std::find(header.begin(), header.end(), columns_[c]);
      if (it != header.end()) positions_[c] = it - header.begin();
    }
  }

  // The input index of `row`, each index given out once (rows with the same key in the order
  // they come); nullopt for a row that matches no record left.
  std::optional<std::size_t> take(const CsvRow& row) {
    CsvRow original(columns_.size());
    for (std::size_t c = 0; c < columns_.size(); ++c) {
      if (positions_[c] && *positions_[c] < row.size()) original[c] = row[*positions_[c]];
    }
    const auto it = pending_.find(key_of(original));
    if (it == pending_.end() || it->second.empty()) return std::nullopt;
    const std::size_t index = it->second.front();
    it->second.pop_front();
    return index;
  }

 private:
  std::string key_of(const CsvRow& cells) const {
    if (key_column_) return cells[*key_column_];
    std::string key;  // the whole row as CSV: unambiguous
    append_csv_row(key, cells);
    return key;
  }

  const CsvRow& columns_;
  std::optional<std::size_t> key_column_;
  std::vector<std::optional<std::size_t>> positions_;
  std::unordered_map<std::string, std::deque<std::size_t>> pending_;
};

std::optional<std::size_t> column(const CsvRow& header, std::string_view name) {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  return static_cast<std::size_t>(it - header.begin());
}

const std::string& cell(const CsvRow& row, std::optional<std::size_t> at) {
  static const std::string kEmpty;
  return at && *at < row.size() ? row[*at] : kEmpty;
}

enum class ResultFile { kSuccessful, kFailed, kUnprocessed };

// Gives the records of `rows` (a result file, header first) their outcomes.
void apply_results(const std::vector<CsvRow>& rows, ResultFile file, const std::string& job_id,
                   RowMatcher& matcher, std::vector<std::optional<RecordOutcome>>& outcomes) {
  if (rows.empty()) return;
  const CsvRow& header = rows[0];
  matcher.start_file(header);
  const auto id_at = column(header, "sf__Id");
  const auto created_at = column(header, "sf__Created");
  const auto error_at = column(header, "sf__Error");
  for (std::size_t r = 1; r < rows.size(); ++r) {
    const auto index = matcher.take(rows[r]);
    if (!index) continue;  // a row we cannot place: its record counts as not processed
    RecordOutcome o;
    o.id = cell(rows[r], id_at);
    switch (file) {
      case ResultFile::kSuccessful:
        o.success = true;
        o.created = equals_ignoring_case(cell(rows[r], created_at), "true");
        break;
      case ResultFile::kFailed:
        parse_bulk_error(cell(rows[r], error_at), o);
        if (o.code.empty() && o.message.empty()) o.message = "failed in job " + job_id;
        break;
      case ResultFile::kUnprocessed:
        o.code = std::string(kNotProcessed);
        o.message = "not processed by the job " + job_id + " (listed as unprocessed)";
        break;
    }
    outcomes[*index] = std::move(o);
  }
}

// GETs a result file of the job and parses it.
awaitable<Result<std::vector<CsvRow>>> fetch_results(Session& session, const std::string& what,
                                                     std::string path) {
  auto response = co_await call(session, what, "GET", std::move(path), std::string(),
                                "application/json", "text/csv");
  if (!response.ok()) co_return response.error();
  auto rows = parse_csv(response->body);
  if (!rows.ok()) {
    co_return Error::retryable(what + ": an unreadable result file: " + rows.error().message());
  }
  co_return std::move(*rows);
}

}  // namespace

awaitable<Result<std::vector<RecordOutcome>>> run_bulk_job(
    Session& session, const CollectionsTarget& target, const std::vector<nlohmann::json>& records,
    BulkOptions options) {
  if (records.empty()) co_return std::vector<RecordOutcome>{};
  const std::string what = std::string("salesforce bulk ") + to_string(target.operation) + " of " +
                           std::to_string(records.size()) + " " + target.object + " record(s)";
  const BulkCsv csv = build_bulk_csv(records);
  if (csv.text.size() > kMaxJobBytes) {
    co_return Error::permanent(what + ": " + std::to_string(csv.text.size()) +
                               " bytes of CSV, more than one Bulk API job takes (" +
                               std::to_string(kMaxJobBytes) + "); lower the batch size");
  }

  // 1. Create the job.
  nlohmann::json job = {{"object", target.object},
                        {"contentType", "CSV"},
                        {"operation", to_string(target.operation)},
                        {"lineEnding", "LF"},
                        {"columnDelimiter", "COMMA"}};
  if (target.operation == Operation::kUpsert) job["externalIdFieldName"] = target.external_id_field;
  auto created = co_await call(session, what, "POST", "/jobs/ingest", job.dump());
  if (!created.ok()) co_return created.error();
  const auto info = nlohmann::json::parse(created->body, nullptr, /*allow_exceptions=*/false);
  if (!info.is_object() || !info.contains("id") || !info["id"].is_string()) {
    co_return Error::retryable(
        what + ": the job was created but its id is missing: " + created->body.substr(0, 200));
  }
  const std::string id = info["id"].get<std::string>();
  const std::string what_job = what + " (job " + id + ")";
  const std::string job_path = "/jobs/ingest/" + id;

  // 2. Upload the CSV; 3. close the job, which starts processing.
  auto uploaded =
      co_await call(session, what_job, "PUT", job_path + "/batches", csv.text, "text/csv");
  if (!uploaded.ok()) {
    co_await abort_job(session, job_path);
    co_return uploaded.error();
  }
  const std::string close_body = nlohmann::json{{"state", "UploadComplete"}}.dump();
  auto closed = co_await call(session, what_job, "PATCH", job_path, close_body);
  if (!closed.ok()) {
    co_await abort_job(session, job_path);
    co_return closed.error();
  }

  // 4. Poll until the job is done, waiting longer each time.
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  std::chrono::milliseconds delay = options.first_poll;
  int poll_failures = 0;
  for (;;) {
    timer.expires_after(delay);
    co_await timer.async_wait(kNoThrow);
    delay = std::min(delay * 2, options.max_poll);
    auto polled = co_await call(session, what_job, "GET", job_path);
    if (!polled.ok()) {
      if (!polled.error().retryable() || limit_exceeded(polled.error()) ||
          ++poll_failures > kPollFailuresTolerated) {
        co_return polled.error();
      }
      continue;
    }
    poll_failures = 0;
    const auto state_info = nlohmann::json::parse(polled->body, nullptr, false);
    const std::string state =
        state_info.is_object() ? state_info.value("state", std::string()) : std::string();
    if (state == "JobComplete") break;
    if (state == "Failed" || state == "Aborted") {
      const std::string why = state_info.value("errorMessage", std::string("no errorMessage"));
      std::string message =
          what_job + ": the job " + (state == "Failed" ? "failed" : "was aborted") + ": " + why;
      if (state == "Failed") co_return Error::permanent(std::move(message));
      co_return Error::retryable(std::move(message));
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      co_await abort_job(session, job_path);
      co_return Error::retryable(what_job + ": still " + state + " after " +
                                 std::to_string(options.timeout.count()) +
                                 " ms; aborted, the records will be sent again");
    }
  }

  // 5. The result files, mapped back to the input records.
  RowMatcher matcher(csv, target);
  std::vector<std::optional<RecordOutcome>> outcomes(records.size());
  auto successful = co_await fetch_results(session, what_job, job_path + "/successfulResults/");
  if (!successful.ok()) co_return successful.error();
  apply_results(*successful, ResultFile::kSuccessful, id, matcher, outcomes);
  auto failed = co_await fetch_results(session, what_job, job_path + "/failedResults/");
  if (!failed.ok()) co_return failed.error();
  apply_results(*failed, ResultFile::kFailed, id, matcher, outcomes);
  const bool all_placed =
      std::all_of(outcomes.begin(), outcomes.end(), [](const auto& o) { return o.has_value(); });
  if (!all_placed) {
    // Only worth a request when something is missing; either way such records are retried.
    auto unprocessed = co_await fetch_results(session, what_job, job_path + "/unprocessedrecords/");
    if (unprocessed.ok()) {
      apply_results(*unprocessed, ResultFile::kUnprocessed, id, matcher, outcomes);
    }
  }
  std::vector<RecordOutcome> out;
  out.reserve(records.size());
  for (auto& o : outcomes) {
    if (o) {
      out.push_back(std::move(*o));
      continue;
    }
    RecordOutcome missing;
    missing.code = std::string(kNotProcessed);
    missing.message = "not processed by the job " + id;
    out.push_back(std::move(missing));
  }
  co_return std::move(out);
}

}  // namespace weft::salesforce
