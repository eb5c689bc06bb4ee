#include "mapper/expression_lexer.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <utility>

#include "common/suggest.h"

namespace weft {

namespace {

using Kind = ExpressionToken::Kind;

constexpr std::array<std::string_view, 7> kKeywords = {"and",  "or",    "not", "in",
                                                       "true", "false", "null"};

bool is_digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
bool is_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }
bool starts_word(char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0 || c == '_'; }
// '.' and '-' keep an unquoted `customer.created` in one word, so the error names all of it.
bool continues_word(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
}

// Where a path starting at `i` ends: at whitespace, ',', ')', ']' or a comparison character,
// except inside brackets or quotes (`@headers['a b']`, `$['x==y']`).
std::size_t path_end(std::string_view text, std::size_t i) {
  int depth = 0;
  char quote = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (quote != 0) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '[') {
      ++depth;
    } else if (c == ']') {
      if (depth == 0) break;
      --depth;
    } else if (depth == 0 && (is_space(c) || c == ',' || c == ')' || c == '=' || c == '!' ||
                              c == '<' || c == '>')) {
      break;
    }
  }
  return std::min(i, text.size());
}

// The whole UTF-8 character at `i`, so a pasted curly quote shows as itself in a message.
std::string_view character_at(std::string_view text, std::size_t i) {
  const auto lead = static_cast<unsigned char>(text[i]);
  std::size_t n = 1;
  if (lead >= 0xF0) {
    n = 4;
  } else if (lead >= 0xE0) {
    n = 3;
  } else if (lead >= 0xC0) {
    n = 2;
  }
  return text.substr(i, n);
}

// Integers stay integers (signed, else unsigned, else a double); anything with '.' or an
// exponent is a double. False when the number does not fit a double.
bool number_value(std::string_view digits, bool is_float, nlohmann::json& out) {
  if (!digits.empty() && digits[0] == '+') digits.remove_prefix(1);  // from_chars takes no '+'
  const char* begin = digits.data();
  const char* end = digits.data() + digits.size();
  if (!is_float) {
    std::int64_t i = 0;
    if (std::from_chars(begin, end, i).ec == std::errc{}) {
      out = i;
      return true;
    }
    std::uint64_t u = 0;
    if (std::from_chars(begin, end, u).ec == std::errc{}) {
      out = u;
      return true;
    }
  }
  double d = 0;
  if (std::from_chars(begin, end, d).ec != std::errc{}) return false;
  out = d;
  return true;
}

class Lexer {
 public:
  Lexer(std::string_view text, const SyntaxError& error) : text_(text), error_(error) {}

  Result<std::vector<ExpressionToken>> run() {
    std::vector<ExpressionToken> tokens;
    while (true) {
      while (i_ < text_.size() && is_space(text_[i_])) ++i_;
      if (i_ == text_.size()) break;
      auto token = next();
      if (!token.ok()) return token.error();
      tokens.push_back(std::move(*token));
    }
    tokens.push_back(ExpressionToken{Kind::kEnd, text_.size(), {}, {}});
    return tokens;
  }

 private:
  Result<ExpressionToken> next() {
    const std::size_t start = i_;
    const char c = text_[i_];
    auto token = [&](Kind kind, std::size_t length) {
      i_ = start + length;
      return ExpressionToken{kind, start, text_.substr(start, length), {}};
    };
    const char after = i_ + 1 < text_.size() ? text_[i_ + 1] : '\0';
    switch (c) {
      case '(':
        return token(Kind::kLParen, 1);
      case ')':
        return token(Kind::kRParen, 1);
      case '[':
        return token(Kind::kLBracket, 1);
      case ']':
        return token(Kind::kRBracket, 1);
      case ',':
        return token(Kind::kComma, 1);
      case '<':
      case '>':
        return token(Kind::kCompare, after == '=' ? 2 : 1);
      case '=':
        if (after != '=') return error_.at(start, "'=' is not an operator (did you mean '=='?)");
        return token(Kind::kCompare, 2);
      case '!':
        if (after != '=') return error_.at(start, "unexpected '!' (did you mean 'not' or '!='?)");
        return token(Kind::kCompare, 2);
      case '&':
        return error_.at(start, "unexpected '&' (did you mean 'and'?)");
      case '|':
        return error_.at(start, "unexpected '|' (did you mean 'or'?)");
      case '$':
      case '@':
        return token(Kind::kPath, path_end(text_, start) - start);
      case '\'':
      case '"':
        return quoted();
      default:
        break;
    }
    if (is_digit(c) || c == '-' || c == '+') return number();
    if (starts_word(c)) {
      std::size_t end = start + 1;
      while (end < text_.size() && continues_word(text_[end])) ++end;
      return token(Kind::kWord, end - start);
    }
    return error_.at(start,
                     "unexpected character '" + std::string(character_at(text_, start)) + "'");
  }

  Result<ExpressionToken> quoted() {
    const std::size_t start = i_;
    const char quote = text_[i_++];
    std::string value;
    while (i_ < text_.size() && text_[i_] != quote) {
      if (text_[i_] == '\\' && i_ + 1 < text_.size()) ++i_;
      value += text_[i_++];
    }
    if (i_ == text_.size()) return error_.at(start, "unclosed quote");
    ++i_;  // the closing quote
    return ExpressionToken{Kind::kString, start, text_.substr(start, i_ - start), value};
  }

  Result<ExpressionToken> number() {
    const std::size_t start = i_;
    std::size_t j = i_;
    auto digits = [&] {
      const std::size_t from = j;
      while (j < text_.size() && is_digit(text_[j])) ++j;
      return j > from;
    };
    if (text_[j] == '-' || text_[j] == '+') ++j;
    if (!digits()) {
      return error_.at(start, std::string("expected a digit after '") + text_[start] + "'");
    }
    bool is_float = false;
    if (j < text_.size() && text_[j] == '.') {
      ++j;
      if (!digits()) return error_.at(j - 1, "expected a digit after '.'");
      is_float = true;
    }
    if (j < text_.size() && (text_[j] == 'e' || text_[j] == 'E')) {
      const std::size_t e = j++;
      if (j < text_.size() && (text_[j] == '-' || text_[j] == '+')) ++j;
      if (!digits()) return error_.at(e, "expected a digit in the exponent");
      is_float = true;
    }
    if (j < text_.size() && (continues_word(text_[j]) || text_[j] == '$' || text_[j] == '@')) {
      return error_.at(j,
                       "unexpected '" + std::string(character_at(text_, j)) + "' after the number");
    }
    ExpressionToken token{Kind::kNumber, start, text_.substr(start, j - start), {}};
    if (!number_value(token.text, is_float, token.value)) {
      return error_.at(start, "number " + std::string(token.text) + " is out of range");
    }
    i_ = j;
    return token;
  }

  std::string_view text_;
  const SyntaxError& error_;
  std::size_t i_ = 0;
};

}  // namespace

Error SyntaxError::at(std::size_t pos, const std::string& problem) const {
  return Error::invalid_config("bad " + std::string(label) + " '" + std::string(text) + "': " +
                               problem + " at character " + std::to_string(offset + pos + 1));
}

Result<std::vector<ExpressionToken>> lex_expression(std::string_view text,
                                                    const SyntaxError& error) {
  return Lexer(text, error).run();
}

std::string describe(const ExpressionToken& token) {
  const std::string text(token.text);
  switch (token.kind) {
    case Kind::kEnd:
      return "the end";
    case Kind::kPath:
      return "path '" + text + "'";
    case Kind::kString:
      return "text " + text;
    case Kind::kNumber:
      return "number " + text;
    default:
      return "'" + text + "'";
  }
}

bool is_keyword(std::string_view word) {
  return std::find(kKeywords.begin(), kKeywords.end(), word) != kKeywords.end();
}

std::string unknown_word(std::string_view word) {
  const std::string quoted = "unknown word '" + std::string(word) + "'";
  std::string lower(word);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  // Keywords are short: one edit (or the wrong case) is a slip; two is a different word.
  if (lower.size() <= 8) {
    std::string_view best;
    std::size_t best_distance = 2;
    for (std::string_view keyword : kKeywords) {
      const std::size_t distance = edit_distance(lower, keyword);
      if (distance < best_distance) {
        best = keyword;
        best_distance = distance;
      }
    }
    if (!best.empty()) return quoted + " (did you mean '" + std::string(best) + "'?)";
  }
  return quoted + " (quote text: '" + std::string(word) + "'; paths start with '$' or '@')";
}

}  // namespace weft
