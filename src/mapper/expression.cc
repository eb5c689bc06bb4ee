#include "mapper/expression.h"

#include <compare>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <utility>

#include "mapper/expression_lexer.h"

namespace weft {

// The compiled form. Parentheses leave no node: `(a)` compiles to `a`.
struct Expression::Node {
  enum class Kind {
    kLiteral,
    kPath,
    kEqual,
    kNotEqual,
    kLess,
    kLessEqual,
    kGreater,
    kGreaterEqual,
    kIn,
    kNot,
    kAnd,
    kOr,
  };
  Kind kind = Kind::kLiteral;
  nlohmann::json literal;  // kLiteral
  std::size_t path = 0;    // kPath: index into the expression's paths
  // Comparisons: left, right. kIn: the value, then the list. kNot: one. kAnd, kOr: two or more.
  std::vector<Node> children;
};

namespace {

using json = nlohmann::json;
using Node = Expression::Node;
using Kind = Node::Kind;
using Token = ExpressionToken;

// Deeper nesting than any hand-written condition, shallow enough that parsing and evaluating
// (both recursive) cannot exhaust the stack.
constexpr int kMaxDepth = 64;

bool is_word(const Token& token, std::string_view word) {
  return token.kind == Token::Kind::kWord && token.text == word;
}

Kind comparison_kind(std::string_view op) {
  if (op == "==") return Kind::kEqual;
  if (op == "!=") return Kind::kNotEqual;
  if (op == "<") return Kind::kLess;
  if (op == "<=") return Kind::kLessEqual;
  if (op == ">") return Kind::kGreater;
  return Kind::kGreaterEqual;
}

// Recursive descent over the tokens, one method per grammar rule (expression.h). Each method
// leaves `i_` on the first token it did not use.
class Parser {
 public:
  Parser(const std::vector<Token>& tokens, const SyntaxError& error, std::vector<ValuePath>& paths,
         std::size_t start = 0)
      : tokens_(tokens), error_(error), paths_(paths), i_(start) {}

  // The whole text as one expression.
  Result<Node> whole() {
    auto root = any();
    if (!root.ok()) return root;
    if (peek().kind != Token::Kind::kEnd) return unexpected(peek());
    return root;
  }

  // or := and ( "or" and )*
  Result<Node> any() { return chain(Kind::kOr, "or", &Parser::all); }
  // and := not ( "and" not )*
  Result<Node> all() { return chain(Kind::kAnd, "and", &Parser::negation); }

  // not := "not" not | comparison
  Result<Node> negation() {
    if (!is_word(peek(), "not")) return comparison();
    const Token& word = take();
    if (++depth_ > kMaxDepth) return error_.at(word.pos, "nested too deeply");
    auto operand = negation();
    if (!operand.ok()) return operand;
    --depth_;
    Node node{Kind::kNot, {}, 0, {}};
    node.children.push_back(std::move(*operand));
    return node;
  }

  // comparison := operand ( op operand | "in" "[" [ operand ( "," operand )* ] "]" )?
  Result<Node> comparison() {
    auto left = operand();
    if (!left.ok()) return left;
    const Token& next = peek();
    if (next.kind == Token::Kind::kCompare) {
      take();
      auto right = operand();
      if (!right.ok()) return right;
      Node node{comparison_kind(next.text), {}, 0, {}};
      node.children.push_back(std::move(*left));
      node.children.push_back(std::move(*right));
      bare_ = false;
      return node;
    }
    if (is_word(next, "in")) {
      take();
      bare_ = false;
      return list(std::move(*left));
    }
    bare_ = true;
    return left;
  }

  // operand := path | literal | "(" expr ")"
  Result<Node> operand() {
    const Token& token = peek();
    switch (token.kind) {
      case Token::Kind::kPath:
        return path(take());
      case Token::Kind::kString:
      case Token::Kind::kNumber:
        return Node{Kind::kLiteral, take().value, 0, {}};
      case Token::Kind::kWord:
        if (token.text == "true" || token.text == "false" || token.text == "null") {
          take();
          return Node{
              Kind::kLiteral, token.text == "null" ? json() : json(token.text == "true"), 0, {}};
        }
        if (!is_keyword(token.text)) return error_.at(token.pos, unknown_word(token.text));
        break;
      case Token::Kind::kLParen:
        return parenthesised();
      default:
        break;
    }
    if (i_ == 0) {
      return error_.at(
          token.pos, token.kind == Token::Kind::kEnd ? "empty expression" : "expected an operand");
    }
    return error_.at(token.pos, "expected an operand after " + describe(tokens_[i_ - 1]));
  }

  // A token where none of the rules continue: the text has something left over.
  Error unexpected(const Token& token) const {
    if (token.kind == Token::Kind::kWord && !is_keyword(token.text)) {
      return error_.at(token.pos, unknown_word(token.text));
    }
    std::string what = "unexpected " + describe(token);
    if (token.kind == Token::Kind::kCompare && !bare_) {
      what += " (comparisons do not chain; join them with 'and')";
    } else if (is_word(token, "not")) {
      what += " ('not' goes before the condition: not $.a in [...])";
    } else if (token.kind == Token::Kind::kRParen && parens_ == 0) {
      what += " (no '(' to close)";
    } else {
      what += std::string(" (expected ") + (bare_ ? "an operator, " : "") + "'and', 'or' or " +
              (parens_ > 0 ? "')'" : "the end") + ")";
    }
    return error_.at(token.pos, what);
  }

  const Token& peek() const { return tokens_[i_]; }
  // Never moves past the final kEnd.
  const Token& take() {
    const Token& token = tokens_[i_];
    if (token.kind != Token::Kind::kEnd) ++i_;
    return token;
  }
  std::size_t index() const { return i_; }

 private:
  Result<Node> chain(Kind kind, std::string_view word, Result<Node> (Parser::*next)()) {
    auto first = (this->*next)();
    if (!first.ok() || !is_word(peek(), word)) return first;
    Node node{kind, {}, 0, {}};
    node.children.push_back(std::move(*first));
    while (is_word(peek(), word)) {
      take();
      auto operand = (this->*next)();
      if (!operand.ok()) return operand;
      node.children.push_back(std::move(*operand));
    }
    return node;
  }

  Result<Node> list(Node value) {
    const Token& open = peek();
    if (open.kind != Token::Kind::kLBracket) {
      return error_.at(open.pos, "expected '[' after 'in', got " + describe(open));
    }
    take();
    Node node{Kind::kIn, {}, 0, {}};
    node.children.push_back(std::move(value));
    if (peek().kind == Token::Kind::kRBracket) {
      take();
      return node;
    }
    while (true) {
      auto item = operand();
      if (!item.ok()) return item;
      node.children.push_back(std::move(*item));
      const Token& next = take();
      if (next.kind == Token::Kind::kRBracket) return node;
      if (next.kind == Token::Kind::kEnd) return error_.at(open.pos, "unclosed '['");
      if (next.kind != Token::Kind::kComma) {
        return error_.at(next.pos,
                         "unexpected " + describe(next) + " in the list (expected ',' or ']')");
      }
    }
  }

  Result<Node> parenthesised() {
    const Token& open = take();
    if (++depth_ > kMaxDepth) return error_.at(open.pos, "nested too deeply");
    ++parens_;
    auto inner = any();
    if (!inner.ok()) return inner;
    const Token& close = peek();
    if (close.kind == Token::Kind::kEnd) return error_.at(open.pos, "unclosed '('");
    if (close.kind != Token::Kind::kRParen) return unexpected(close);
    take();
    --parens_;
    --depth_;
    return inner;
  }

  Result<Node> path(const Token& token) {
    auto parsed = ValuePath::parse(token.text, error_.offset + token.pos);
    if (!parsed.ok()) {
      // The path's own message names the path and the character; this adds where it sits.
      return Error::invalid_config("bad " + std::string(error_.label) + " '" +
                                   std::string(error_.text) + "': " + parsed.error().message());
    }
    paths_.push_back(std::move(*parsed));
    return Node{Kind::kPath, {}, paths_.size() - 1, {}};
  }

  const std::vector<Token>& tokens_;
  const SyntaxError& error_;
  std::vector<ValuePath>& paths_;
  std::size_t i_;
  int depth_ = 0;      // '(' and 'not' open around the current token
  int parens_ = 0;     // '(' open around the current token
  bool bare_ = false;  // the last comparison parsed was a lone operand
};

// ---- Evaluation. Values are passed by reference into the record, the value, a literal, a
// caller's scratch or the constants below, so comparing a path with a literal allocates nothing
// unless the path itself has to build its value (wildcards, metadata).

const json& null_value() {
  static const json kNull;
  return kNull;
}

const json& boolean(bool b) {
  static const json kTrue = true;
  static const json kFalse = false;
  return b ? kTrue : kFalse;
}

struct Scope {
  const Record& record;
  const json& value;
  const std::vector<ValuePath>& paths;
};

bool truthy(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return false;
    case json::value_t::boolean:
      return v.get<bool>();
    case json::value_t::number_integer:
      return v.get<std::int64_t>() != 0;
    case json::value_t::number_unsigned:
      return v.get<std::uint64_t>() != 0;
    case json::value_t::number_float:
      return v.get<double>() != 0.0;
    case json::value_t::string:
      return !v.get_ref<const std::string&>().empty();
    default:
      return true;  // objects and arrays, even empty ones
  }
}

template <typename A, typename B>
std::partial_ordering compare_integers(A a, B b) {
  if (std::cmp_less(a, b)) return std::partial_ordering::less;
  if (std::cmp_equal(a, b)) return std::partial_ordering::equivalent;
  return std::partial_ordering::greater;
}

// Both must be numbers. Integers compare exactly (also signed against unsigned); a double on
// either side makes it a comparison of doubles.
std::partial_ordering compare_numbers(const json& a, const json& b) {
  if (a.is_number_float() || b.is_number_float()) return a.get<double>() <=> b.get<double>();
  if (a.is_number_unsigned()) {
    const auto ua = a.get<std::uint64_t>();
    return b.is_number_unsigned() ? compare_integers(ua, b.get<std::uint64_t>())
                                  : compare_integers(ua, b.get<std::int64_t>());
  }
  const auto ia = a.get<std::int64_t>();
  return b.is_number_unsigned() ? compare_integers(ia, b.get<std::uint64_t>())
                                : compare_integers(ia, b.get<std::int64_t>());
}

bool equal(const json& a, const json& b) {
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == 0;
  return a == b;  // nlohmann compares nested numbers by value too
}

// < <= > >=: numbers by value, strings by bytes, anything else false.
bool ordered(Kind kind, const json& a, const json& b) {
  std::partial_ordering order = std::partial_ordering::unordered;
  if (a.is_number() && b.is_number()) {
    order = compare_numbers(a, b);
  } else if (a.is_string() && b.is_string()) {
    order = a.get_ref<const std::string&>() <=> b.get_ref<const std::string&>();
  }
  switch (kind) {
    case Kind::kLess:
      return order < 0;
    case Kind::kLessEqual:
      return order <= 0;
    case Kind::kGreater:
      return order > 0;
    default:
      return order >= 0;
  }
}

bool test_node(const Node& node, const Scope& scope);

// The node's value; may refer to `scratch`. Conditions (comparisons, `in`, and/or/not) are
// true or false.
const json& value_of(const Node& node, const Scope& scope, json& scratch) {
  switch (node.kind) {
    case Kind::kLiteral:
      return node.literal;
    case Kind::kPath: {
      const json* found = scope.paths[node.path].find(scope.record, scope.value, scratch);
      return found != nullptr ? *found : null_value();
    }
    default:
      return boolean(test_node(node, scope));
  }
}

bool test_node(const Node& node, const Scope& scope) {
  json left_scratch;  // a null json: constructing it allocates nothing
  switch (node.kind) {
    case Kind::kLiteral:
    case Kind::kPath:
      return truthy(value_of(node, scope, left_scratch));
    case Kind::kNot:
      return !test_node(node.children[0], scope);
    case Kind::kAnd:
      for (const Node& child : node.children) {
        if (!test_node(child, scope)) return false;
      }
      return true;
    case Kind::kOr:
      for (const Node& child : node.children) {
        if (test_node(child, scope)) return true;
      }
      return false;
    case Kind::kIn: {
      const json& left = value_of(node.children[0], scope, left_scratch);
      for (std::size_t i = 1; i < node.children.size(); ++i) {
        json scratch;
        if (equal(left, value_of(node.children[i], scope, scratch))) return true;
      }
      return false;
    }
    default: {
      json right_scratch;
      const json& left = value_of(node.children[0], scope, left_scratch);
      const json& right = value_of(node.children[1], scope, right_scratch);
      if (node.kind == Kind::kEqual) return equal(left, right);
      if (node.kind == Kind::kNotEqual) return !equal(left, right);
      return ordered(node.kind, left, right);
    }
  }
}

}  // namespace

Result<Expression> Expression::parse(std::string_view text, std::size_t offset) {
  const SyntaxError error{"expression", text, offset};
  auto tokens = lex_expression(text, error);
  if (!tokens.ok()) return tokens.error();
  std::vector<ValuePath> paths;
  auto root = Parser(*tokens, error, paths).whole();
  if (!root.ok()) return root.error();

  Expression expression;
  expression.root_ = std::make_shared<const Node>(std::move(*root));
  expression.paths_ = std::make_shared<const std::vector<ValuePath>>(std::move(paths));
  expression.text_ = std::string(text);
  return expression;
}

nlohmann::json Expression::evaluate(const Record& record, const nlohmann::json& value) const {
  if (!root_) return nullptr;  // a default-constructed Expression
  json scratch;
  const json& result = value_of(*root_, Scope{record, value, *paths_}, scratch);
  if (&result == &scratch) return scratch;  // a move, not a copy
  return result;
}

bool Expression::test(const Record& record, const nlohmann::json& value) const {
  if (!root_) return false;
  return test_node(*root_, Scope{record, value, *paths_});
}

const std::vector<ValuePath>& Expression::paths() const {
  static const std::vector<ValuePath> kNone;
  return paths_ ? *paths_ : kNone;
}

bool Expression::is_literal() const { return root_ && root_->kind == Kind::kLiteral; }

const std::string& Expression::text() const { return text_; }

Result<CallSyntax> parse_call(std::string_view text, std::size_t offset) {
  const SyntaxError error{"function call", text, offset};
  auto lexed = lex_expression(text, error);
  if (!lexed.ok()) return lexed.error();
  const std::vector<Token>& tokens = *lexed;

  const Token& name = tokens[0];
  if (name.kind != Token::Kind::kWord) {
    return error.at(name.pos, name.kind == Token::Kind::kEnd
                                  ? "expected a function name"
                                  : "expected a function name, got " + describe(name));
  }
  CallSyntax call;
  call.name = std::string(name.text);
  if (tokens[1].kind == Token::Kind::kEnd) return call;  // `trim`
  const Token& open = tokens[1];
  if (open.kind != Token::Kind::kLParen) {
    return error.at(open.pos, "unexpected " + describe(open) +
                                  " after the function name (arguments go in parentheses: " +
                                  call.name + "(...))");
  }

  // Each argument is checked as an operand here (so errors quote the whole call), then
  // compiled on its own so it owns its text and paths.
  std::vector<ValuePath> ignored;
  Parser parser(tokens, error, ignored, 2);
  if (parser.peek().kind == Token::Kind::kRParen) {
    parser.take();  // `trim()`
  } else {
    while (true) {
      const Token& first = parser.peek();
      if (first.kind == Token::Kind::kEnd) return error.at(open.pos, "unclosed '('");
      auto arg = parser.operand();
      if (!arg.ok()) return arg.error();
      const Token& last = tokens[parser.index() - 1];
      const std::size_t end = last.pos + last.text.size();
      auto expression =
          Expression::parse(text.substr(first.pos, end - first.pos), offset + first.pos);
      if (!expression.ok()) return expression.error();
      call.args.push_back(std::move(*expression));

      const Token& next = parser.take();
      if (next.kind == Token::Kind::kRParen) break;
      if (next.kind == Token::Kind::kEnd) return error.at(open.pos, "unclosed '('");
      if (next.kind != Token::Kind::kComma) {
        return error.at(
            next.pos, "unexpected " + describe(next) + " after an argument (expected ',' or ')')");
      }
    }
  }
  const Token& rest = parser.peek();
  if (rest.kind != Token::Kind::kEnd) {
    return error.at(rest.pos, "unexpected " + describe(rest) + " after ')'");
  }
  return call;
}

}  // namespace weft
