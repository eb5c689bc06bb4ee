#pragma once

#include <string>
#include <string_view>

#include <memory>

namespace weft {

// Checks that a text is exactly one JSON value, with simdjson's DOM parser (it validates the
// whole value; On-Demand only checks what is read). Keeps its buffers between calls, so one
// validator per reader makes a check cost no allocation. Not thread-safe.
class JsonValidator {
 public:
  JsonValidator();
  ~JsonValidator();
  JsonValidator(const JsonValidator&) = delete;
  JsonValidator& operator=(const JsonValidator&) = delete;

  // Empty when `text` is one valid JSON value, else "invalid JSON: <simdjson's reason>".
  std::string check(std::string_view text);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace weft
