#pragma once

// A record's top-level fields as staging reads them (staged_batch.h). Most sources hand over
// JSON text; building nlohmann's tree for every row cost a load more CPU than the database's
// COPY, so text is read with simdjson's on-demand parser instead, and only a record already
// parsed (by a mapper) is read from its nlohmann value.

#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "warehouse/column_value.h"
#include "weft/record.h"

namespace weft::warehouse {

class RecordFields {
 public:
  struct Field {
    std::string_view name;
    FieldValue value;
  };

  RecordFields();
  ~RecordFields();
  RecordFields(const RecordFields&) = delete;
  RecordFields& operator=(const RecordFields&) = delete;

  // Reads the object whose fields `record` loads: its value, or for a delete whose value lacks
  // a `key` column (a CDC delete carries only its before-image) the before-image. A value in
  // Debezium's envelope ({before, after, source, op}, what postgres_cdc sends by default) loads
  // its `after`, or for a delete its `before`. False when that is not a JSON object. What fields() shows stays valid until the next read(). A field
  // given twice appears twice (the later one counts, as in a parsed object).
  bool read(const Record& record, const std::vector<std::string>& key);
  const std::vector<Field>& fields() const { return fields_; }

 private:
  struct Parser;

  bool read_payload(const Payload& payload);
  bool read_parsed(const nlohmann::json& value);
  bool has_key(const std::vector<std::string>& key) const;
  bool read_envelope_part();


  std::unique_ptr<Parser> parser_;
  std::vector<Field> fields_;
  std::deque<std::string> texts_;  // texts fields point to that the input does not hold
  std::string part_;  // the envelope part being read (read_envelope_part()), which fields view
};

}  // namespace weft::warehouse
