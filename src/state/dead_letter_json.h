#pragma once

// The one JSON shape of a dead letter, shared by the admin API (/api/dlq) and `weft dlq`, and
// the record codec the store uses to keep the original record.

#include <nlohmann/json.hpp>

#include "state/state_store.h"
#include "weft/status.h"

namespace weft {

// {"id", "pipeline", "stage", "error_kind", "error", "attempts", "first_failure",
//  "last_failure" (RFC 3339 UTC with milliseconds), "replay_requested", "position", "key"}
// and, when `with_record`, "record": record_to_json(letter.record). "position" and "key" are
// encoded as in record_to_json; invalid UTF-8 in the other strings is replaced (U+FFFD).
nlohmann::json dead_letter_to_json(const DeadLetter& letter, bool with_record);

// The record with every field, losslessly: {"key", "value" (the payload as JSON, or as a string
// when its text is not valid JSON), "value_text" (only in that case), "op", "before", "headers",
// "id", "event_time", "ingest_time" (unix milliseconds), "position"}.
//
// In detail, so that record_from_json gives back the same record, byte for byte:
//   - "value_text" holds the payload's exact text whenever "value" alone would not give it back:
//     not valid JSON, valid JSON not in compact form (spacing, key order, number spelling), or
//     JSON null. An empty payload (no value at all, e.g. a tombstone) is "value": null.
//   - "before" (and "before_text", by the same rule) is present only when there is a
//     before-image.
//   - key, id, position, header values and *_text are strings when their bytes are valid UTF-8,
//     otherwise {"base64": "..."}. "headers" is an object, or an array of [name, value] pairs
//     when a name is not valid UTF-8.
//   - times keep millisecond precision.
// The output is always valid UTF-8: dump() cannot throw on it.
nlohmann::json record_to_json(const Record& record);
// The inverse of record_to_json; an error names the field that is missing or malformed.
Result<Record> record_from_json(const nlohmann::json& json);

}  // namespace weft
