#pragma once

// What Salesforce said about one record, whichever API carried it (sObject Collections or
// Bulk API 2.0), and which of its error codes are worth retrying.

#include <string>
#include <string_view>
#include <vector>

namespace weft::salesforce {

struct RecordOutcome {
  bool success = false;
  std::string id;          // the Salesforce Id, on success (and on some failures)
  bool created = false;    // upsert: the record was inserted rather than updated
  std::string code;        // on failure: REQUIRED_FIELD_MISSING, UNABLE_TO_LOCK_ROW, ...
  std::string message;
  std::vector<std::string> fields;  // the fields the error is about
};

// Codes that say "try again later" (a row lock, a busy org) rather than "this record is wrong".
bool transient_code(std::string_view code);

// "REQUIRED_FIELD_MISSING: Required fields are missing: [Name] (fields: Name)".
std::string describe_failure(const RecordOutcome& outcome);

}  // namespace weft::salesforce
