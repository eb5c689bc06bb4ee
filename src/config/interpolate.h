#pragma once

#include <string>
#include <string_view>

#include "config/environment.h"

namespace weft {

// The outcome of resolving `${...}` references in one scalar.
struct Interpolation {
  std::string value;  // the resolved text; meaningful only when ok()
  std::string error;  // what went wrong; names the variable or path, never a resolved value
  std::string hint;
  bool ok() const { return error.empty(); }
};

// Resolves, left to right:
//   ${VAR}            the variable's value; an error when it is not set
//   ${VAR:-default}   the default when VAR is unset or empty (the default is taken literally)
//   ${file:/path}     the file's content (env.file decides about trailing newlines)
//   $${               a literal "${"
// A `$` not followed by `{` is kept as is. Variable names are [A-Za-z_][A-Za-z0-9_]*.
// Resolved text is not scanned again, so a value containing "${" stays literal.
Interpolation interpolate(std::string_view text, const Environment& env);

}  // namespace weft
