#pragma once

// Private to expression.cc: the tokens of the mapping expression language (see expression.h for
// the grammar) and the error format its parsers share.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft {

// Builds "bad <label> '<text>': <problem> at character N", N 1-based and counted from `offset`
// (where `text` sits inside what the user wrote). Views must outlive the object.
struct SyntaxError {
  std::string_view label;  // "expression", "function call"
  std::string_view text;
  std::size_t offset = 0;

  Error at(std::size_t pos, const std::string& problem) const;
};

struct ExpressionToken {
  enum class Kind {
    kPath,     // $... or @..., not yet parsed (ValuePath::parse does that)
    kString,   // 'text' or "text"; `value` holds the unescaped string
    kNumber,   // `value` holds an integer (signed, else unsigned) or a double
    kWord,     // letters, digits, '_' and, after the first letter, '.' and '-'
    kCompare,  // == != < <= > >=
    kLParen,
    kRParen,
    kLBracket,
    kRBracket,
    kComma,
    kEnd,  // always the last token; `pos` is text.size()
  };
  Kind kind = Kind::kEnd;
  std::size_t pos = 0;    // index of the first character in the lexed text
  std::string_view text;  // as written (quotes included); views the lexed text
  nlohmann::json value;   // kString and kNumber only
};

// Splits `text` into tokens ending with kEnd. invalid_config (through `error`) on an unclosed
// quote, a malformed number or a character the language does not use, with a hint for the
// usual slips ('=' for '==', '&&' for 'and').
Result<std::vector<ExpressionToken>> lex_expression(std::string_view text,
                                                    const SyntaxError& error);

// How messages name a token: "'=='", "path '$.a'", "text 'x'", "number 2", "the end".
std::string describe(const ExpressionToken& token);

// The keywords: and or not in true false null.
bool is_keyword(std::string_view word);

// "unknown word 'adn' (did you mean 'and'?)", or a hint about quotes and paths when no keyword
// is close.
std::string unknown_word(std::string_view word);

}  // namespace weft
