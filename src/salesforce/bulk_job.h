#pragma once

// Bulk API 2.0 ingest jobs (protocols.md §4), the transport for large batches: one job per
// call, its records uploaded as one CSV, polled until Salesforce has processed them, and its
// result files mapped back to one outcome per record. Costs about 6 API requests plus the polls,
// whatever the number of records (Collections: one per 200).

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <nlohmann/json_fwd.hpp>
#include <string_view>
#include <vector>

#include "salesforce/collections.h"
#include "salesforce/record_outcome.h"
#include "salesforce/session.h"
#include "weft/status.h"

namespace weft::salesforce {

struct BulkOptions {
  // Polls of the job's state wait `first_poll`, then twice as long each time up to `max_poll`.
  std::chrono::milliseconds first_poll{200};
  std::chrono::milliseconds max_poll{10'000};
  // A job still running after this long is aborted and the call fails, retryably.
  std::chrono::milliseconds timeout{std::chrono::hours(1)};
};

// The code of a record the job did not process (in no result file, or listed as unprocessed):
// worth sending again.
inline constexpr std::string_view kNotProcessed = "NOT_PROCESSED";

// Bulk API 2.0 takes at most ~100 MB of CSV per job.
inline constexpr std::size_t kMaxJobBytes = 100'000'000;

// Runs one job that writes `records` (JSON objects of Salesforce fields as for send_collection;
// `Id` for update and delete) into `target` and returns one outcome per record, in input order,
// although Salesforce's result files come in any order. Rows are matched back by the external id
// value (upsert) or the Id (update, delete); insert rows carry no key, so they are matched by the
// content of all their columns, and identical insert rows are matched in the order given.
// A record in no result file gets a failed outcome with code kNotProcessed.
//
// An Error, whose message names the job id once there is one, when the job as a whole failed:
// for HTTP errors the rules of send_collection() (REQUEST_LIMIT_EXCEEDED retryable after a
// minute and recognised by limit_exceeded(); transport errors, 5xx and 429 retryable; other
// statuses permanent); a job Salesforce reports Failed (its data refused as a whole: a bad
// column, an unparsable file) permanent with Salesforce's errorMessage; a job Aborted by someone
// else, or still running after options.timeout, retryable; more than kMaxJobBytes of CSV
// permanent. Whatever the job wrote before failing is written again when the records are
// retried, which upsert, update and delete make harmless.
//
// `session` must outlive the call; `records` is read only.
boost::asio::awaitable<Result<std::vector<RecordOutcome>>> run_bulk_job(
    Session& session, const CollectionsTarget& target, const std::vector<nlohmann::json>& records,
    BulkOptions options = {});

}  // namespace weft::salesforce
