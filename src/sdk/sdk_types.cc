// String forms of the SDK's enums, shared by logs, errors, /api output and docs.
#include <optional>
#include <string>

#include "weft/config_spec.h"
#include "weft/record.h"
#include "weft/registry.h"
#include "weft/status.h"

namespace weft {

const char* to_string(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kRetryable: return "retryable";
    case ErrorKind::kPermanent: return "permanent";
    case ErrorKind::kInvalidConfig: return "invalid_config";
    case ErrorKind::kCancelled: return "cancelled";
  }
  return "unknown";
}

const char* to_string(Operation op) {
  switch (op) {
    case Operation::kNone: return "none";
    case Operation::kCreate: return "create";
    case Operation::kUpdate: return "update";
    case Operation::kDelete: return "delete";
    case Operation::kSnapshot: return "snapshot";
  }
  return "none";
}

std::optional<Operation> parse_operation(const std::string& text) {
  for (Operation op : {Operation::kNone, Operation::kCreate, Operation::kUpdate,
                       Operation::kDelete, Operation::kSnapshot}) {
    if (text == to_string(op)) return op;
  }
  return std::nullopt;
}

const char* to_string(FieldType type) {
  switch (type) {
    case FieldType::kString: return "string";
    case FieldType::kPath: return "path";
    case FieldType::kInteger: return "integer";
    case FieldType::kNumber: return "number";
    case FieldType::kBoolean: return "boolean";
    case FieldType::kDuration: return "duration";
    case FieldType::kSize: return "size";
    case FieldType::kEnum: return "enum";
    case FieldType::kObject: return "object";
    case FieldType::kStringList: return "list of strings";
    case FieldType::kStringMap: return "map of strings";
    case FieldType::kObjectMap: return "map of objects";
  }
  return "unknown";
}

const char* to_string(ConnectorKind kind) {
  return kind == ConnectorKind::kSource ? "source" : "sink";
}

}  // namespace weft
