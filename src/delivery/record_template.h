#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "delivery/json_path.h"
#include "weft/record.h"
#include "weft/status.h"

namespace weft {

// A string computed from a record: idempotency keys now, Kafka topics and keys later.
//
// Syntax:
//  - Text starting with `$` is one JSON path into the record's value (see JsonPath):
//    `$.id`, `$.data.object.id`, `$.items[0].sku`, `$['odd key']`.
//  - Anything else is literal text with `{...}` placeholders: `stripe:{$.id}`,
//    `{$.customer.id}-{$.created}`, `dbserver1.{schema}.{table}`. A placeholder is
//      {$...}           a JSON path into the value
//      {key} {id} {op} {position}   the record's own fields
//      {headers.NAME}   header NAME
//      {NAME}           any other name is a header too, so CDC headers read naturally
//    `{{` and `}}` are literal braces. Spaces just inside the braces are ignored.
//
// Rendered JSON values: strings as they are, numbers and booleans as JSON, objects and arrays
// as compact JSON.
//
// Immutable after parse(); render() is const and safe to call from several threads on
// different records.
class RecordTemplate {
 public:
  // invalid_config naming the template and the character (1-based) of an unclosed or unmatched
  // brace, an empty placeholder or a bad path.
  static Result<RecordTemplate> parse(std::string_view text);

  // The rendered string, or a permanent Error naming the template and what the record lacks:
  // "template '{$.x}': field 'x' is missing", "... header 'table' is missing",
  // "... the record has no id", "... the record's value is not valid JSON". A null JSON value,
  // an empty key, id or position counts as missing: a key built from nothing would make
  // unrelated records collide. Callers prefix their own context ("idempotency key: ").
  Result<std::string> render(const Record& record) const;

  const std::string& text() const { return text_; }

  // True when nothing in it depends on the record (a fixed topic name).
  bool is_constant() const;

 private:
  enum class Kind { kLiteral, kPath, kKey, kId, kOp, kPosition, kHeader };
  struct Segment {
    Kind kind;
    std::string text;              // the literal, or the header name
    std::optional<JsonPath> path;  // set for kPath
  };

  RecordTemplate() = default;
  static Result<Segment> parse_placeholder(std::string_view body, std::size_t offset);
  Result<std::string> render_path(const JsonPath& path, const Record& record) const;
  Error render_error(const std::string& what) const;

  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace weft
