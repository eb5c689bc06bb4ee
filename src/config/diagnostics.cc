#include "config/diagnostics.h"

namespace weft {

std::string Diagnostic::format() const {
  std::string out = file;
  if (line > 0) {
    out += ':' + std::to_string(line) + ':' + std::to_string(column);
  }
  out += ": error: " + message;
  if (!hint.empty()) out += " (hint: " + hint + ")";
  return out;
}

}  // namespace weft
