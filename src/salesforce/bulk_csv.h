#pragma once

// The CSV that Bulk API 2.0 ingest jobs take and return (protocols.md §4), as pure functions
// without I/O: JSON records to a job's upload, result files back to rows, and a result row's
// sf__Error to a code and message. Thread-safe.

#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "salesforce/record_outcome.h"
#include "weft/status.h"

namespace weft::salesforce {

using CsvRow = std::vector<std::string>;

// A job's upload: the column names, each record's cell per column ("" where the record lacks the
// field, which Bulk API leaves unchanged), and the CSV text (header first, LF line endings,
// comma delimiter).
struct BulkCsv {
  CsvRow columns;
  std::vector<CsvRow> cells;  // one per record, aligned with `columns`
  std::string text;
};

// Builds the upload for `records` (JSON objects of Salesforce fields). Columns are the union of
// the records' fields in first-seen order. A relationship given by external id,
// {"Account__r":{"Ext__c":"A1"}}, becomes the column "Account__r.Ext__c" ("attributes" is
// skipped). Values: null and "" -> "#N/A" (Bulk API's null: Collections clears a field given ""
// as well), true/false, numbers as their JSON text, arrays as JSON text, strings as they are;
// quoted per RFC 4180 when they hold a comma, a quote, a line break or edge whitespace.
BulkCsv build_bulk_csv(const std::vector<nlohmann::json>& records);

// Appends `row` and an LF, quoting only the fields that need it.
void append_csv_row(std::string& out, const CsvRow& row);

// Every row of a result file, its header first. Fields may be quoted (a doubled quote inside);
// rows end in LF or CRLF; empty lines are skipped. A permanent Error naming the line for an
// unclosed quote or text after a closing quote.
Result<std::vector<CsvRow>> parse_csv(std::string_view text);

// A failedResults row's sf__Error, "CODE:message:Field1,Field2 --", as an outcome's code,
// message and fields. The message may itself hold colons; text without a colon is all message.
void parse_bulk_error(std::string_view text, RecordOutcome& outcome);

}  // namespace weft::salesforce
