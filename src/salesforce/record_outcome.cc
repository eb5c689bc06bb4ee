#include "salesforce/record_outcome.h"

namespace weft::salesforce {

bool transient_code(std::string_view code) {
  return code == "UNABLE_TO_LOCK_ROW" || code == "REQUEST_RUNNING_TOO_LONG" ||
         code == "SERVER_UNAVAILABLE" || code == "QUERY_TIMEOUT" ||
         code == "NOT_PROCESSED";  // a Bulk job left the record out (bulk_job.h)
}

std::string describe_failure(const RecordOutcome& outcome) {
  std::string out = outcome.code.empty() ? std::string("rejected") : outcome.code;
  if (!outcome.message.empty()) out += ": " + outcome.message;
  if (!outcome.fields.empty()) {
    out += " (fields: ";
    for (std::size_t i = 0; i < outcome.fields.size(); ++i) {
      out += (i ? ", " : "") + outcome.fields[i];
    }
    out += ")";
  }
  return out;
}

}  // namespace weft::salesforce
