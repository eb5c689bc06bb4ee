#pragma once

// The one JSON shape of a dead letter, shared by the admin API (/api/dlq) and `weft dlq`, and
// the record codec the store uses to keep the original record.

#include <nlohmann/json.hpp>

#include "state/state_store.h"
#include "weft/status.h"

namespace weft {

// {"id", "pipeline", "stage", "error_kind", "error", "attempts", "first_failure",
//  "last_failure" (RFC 3339 UTC with milliseconds), "replay_requested", "position", "key"}
// and, when `with_record`, "record": record_to_json(letter.record).
nlohmann::json dead_letter_to_json(const DeadLetter& letter, bool with_record);

// The record with every field, losslessly: {"key", "value" (the payload as JSON, or as a string
// when its text is not valid JSON), "value_text" (only in that case), "op", "before", "headers",
// "id", "event_time", "ingest_time" (unix milliseconds), "position"}.
nlohmann::json record_to_json(const Record& record);
// The inverse of record_to_json; an error names the field that is missing or malformed.
Result<Record> record_from_json(const nlohmann::json& json);

}  // namespace weft
