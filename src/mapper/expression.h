#pragma once

#include <cstddef>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "mapper/value_path.h"
#include "weft/record.h"
#include "weft/status.h"

namespace weft {

// The one small expression language of mappings (docs/mapping.md), used by `filter` and `route`
// conditions and for function arguments. Grammar, lowest precedence first:
//
//   expr       := or
//   or         := and ( "or" and )*
//   and        := not ( "and" not )*
//   not        := "not" not | comparison
//   comparison := operand ( ( "==" | "!=" | "<" | "<=" | ">" | ">=" ) operand
//                         | "in" "[" [ operand ( "," operand )* ] "]" )?
//   operand    := path | literal | "(" expr ")"
//   path       := a ValuePath: starts with "$" or "@" and runs to the next space, ",", ")",
//                 "]" (outside brackets and quotes) or comparison operator
//   literal    := 'text' | "text" (backslash escapes the next character) | number
//                 | true | false | null
//
// Keywords are lowercase. Semantics:
//  - A path that is absent evaluates to null.
//  - == and != compare JSON values exactly, except that numbers compare by value (1 == 1.0).
//  - < <= > >= compare two numbers, or two strings (byte order, so ISO timestamps compare in
//    time order); any other pair is false (never an error: a filter never fails a record).
//  - `x in [a, b]` is true when x == any element.
//  - A lone operand used as a condition is true unless it is null, false, "", 0 or absent.
//  - and/or short-circuit; not negates truthiness.
//
// Immutable after parse(); evaluate() and test() are const and thread-safe.
class Expression {
 public:
  // invalid_config: "bad expression '<text>': <what> at character N" (1-based, counted from
  // `offset`), e.g. "expected an operand after '=='", "unclosed '('", "unknown word 'adn'
  // (did you mean 'and'?)".
  static Result<Expression> parse(std::string_view text, std::size_t offset = 0);

  // The value of the expression for a record; `value` is what `$` paths read (see ValuePath).
  nlohmann::json evaluate(const Record& record, const nlohmann::json& value) const;
  // evaluate() taken as a condition (truthiness as above).
  bool test(const Record& record, const nlohmann::json& value) const;

  // Every path the expression reads, in order of appearance.
  const std::vector<ValuePath>& paths() const;
  // True when the expression is a single literal (no paths, no operators).
  bool is_literal() const;
  const std::string& text() const;

  struct Node;  // defined in expression.cc

 private:
  std::shared_ptr<const Node> root_;
  std::shared_ptr<const std::vector<ValuePath>> paths_;
  std::string text_;
};

// A function call as written in a mapping's `fn` list: `trim`, `lower()`, `replace('-', '')`,
// `concat(' ', $.last_name)`, `round(2)`. Arguments are operands of the expression language.
struct CallSyntax {
  std::string name;
  std::vector<Expression> args;
};

// invalid_config with the position, like Expression::parse. Does not check that the function
// exists (see find_function).
Result<CallSyntax> parse_call(std::string_view text, std::size_t offset = 0);

}  // namespace weft
