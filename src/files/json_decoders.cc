#include "files/json_decoders.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "common/json_validator.h"

namespace weft::files {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && is_space(text.front())) text.remove_prefix(1);
  while (!text.empty() && is_space(text.back())) text.remove_suffix(1);
  return text;
}

void append_capped(std::string& to, std::string_view text) {
  to.append(text.substr(0, kMaxRawBytes - std::min(kMaxRawBytes, to.size())));
}

std::string too_long(const char* what, std::size_t max) {
  return std::string(what) + " is longer than max_row_bytes (" + std::to_string(max) + ")";
}

// JSON lines: one value per line; blank lines skipped; a bad line is a bad row and the lines
// after it are read as usual.
class JsonLinesDecoder final : public RowDecoder {
 public:
  explicit JsonLinesDecoder(const DecoderOptions& options) : max_(options.max_row_bytes) {}

  Status feed(std::string_view bytes, std::vector<Row>& rows) override {
    while (!bytes.empty()) {
      const auto* nl = static_cast<const char*>(std::memchr(bytes.data(), '\n', bytes.size()));
      if (nl == nullptr) {
        keep(bytes);
        break;
      }
      const std::string_view line(bytes.data(), static_cast<std::size_t>(nl - bytes.data()));
      if (carry_bytes_ == 0) {
        if (line.size() > max_) oversized_ = true;
        end_line(oversized_ ? line.substr(0, kMaxRawBytes) : line, rows);
      } else {
        keep(line);
        end_line(carry_, rows);
      }
      bytes.remove_prefix(line.size() + 1);
    }
    return Status::ok_status();
  }

  Status finish(std::vector<Row>& rows) override {
    if (carry_bytes_ != 0) end_line(carry_, rows);
    return Status::ok_status();
  }

 private:
  void keep(std::string_view part) {
    carry_bytes_ += part.size();
    if (carry_bytes_ > max_) oversized_ = true;
    if (oversized_) {
      append_capped(carry_, part);
    } else {
      carry_.append(part);
    }
  }

  void end_line(std::string_view line, std::vector<Row>& rows) {
    const std::string_view text = trim(line);
    if (!text.empty()) {
      Row& row = rows.emplace_back();
      row.line = line_;
      if (oversized_) {
        row.error = too_long("line", max_);
        row.raw = text;
      } else if (std::string error = validator_.check(text); !error.empty()) {
        row.error = std::move(error);
        row.raw = text.substr(0, kMaxRawBytes);
      } else {
        row.json = text;
      }
    }
    ++line_;
    carry_.clear();
    carry_bytes_ = 0;
    oversized_ = false;
  }

  std::size_t max_;
  std::uint64_t line_ = 1;
  std::string carry_;  // the current line's bytes from earlier chunks (capped when oversized)
  std::size_t carry_bytes_ = 0;
  bool oversized_ = false;
  JsonValidator validator_;
};

// The bytes that end a scalar (number, true, false, null) and the bytes that stop the scan of a
// string's content.
constexpr std::array<bool, 256> kScalarEnd = [] {
  std::array<bool, 256> table{};
  for (char c : {' ', '\t', '\n', '\r', ',', ']', '}', ':', '[', '{', '"'}) {
    table[static_cast<unsigned char>(c)] = true;
  }
  return table;
}();
constexpr std::array<bool, 256> kStringStop = [] {
  std::array<bool, 256> table{};
  for (char c : {'"', '\\', '\n'}) table[static_cast<unsigned char>(c)] = true;
  return table;
}();

const char* type_name(char first) {
  switch (first) {
    case '{': return "an object";
    case '"': return "a string";
    case 't':
    case 'f': return "a boolean";
    case 'n': return "null";
    default: return "a number";
  }
}

// JSON array, streaming: a state machine follows strings, escapes and nesting (not the full
// grammar) to find the array at records_path and cut out each of its elements as text, which
// simdjson then validates. Memory: the nesting stack and the element being cut.
class JsonArrayDecoder final : public RowDecoder {
 public:
  explicit JsonArrayDecoder(const DecoderOptions& options)
      : max_(options.max_row_bytes), path_text_(options.records_path) {
    if (auto path = parse_records_path(options.records_path)) path_ = std::move(*path);
  }

  Status feed(std::string_view bytes, std::vector<Row>& rows) override;
  Status finish(std::vector<Row>& rows) override;

 private:
  enum class State : std::uint8_t { kStructure, kString, kStringEscape, kScalar, kAfterRoot };
  // What may come next in an open array or object. Checking it catches the structural errors
  // (a missing or extra comma, a member without a value) that would cut elements wrongly.
  enum class Expect : std::uint8_t {
    kFirst,  // a value (array) or member name (object), or the closing bracket
    kNext,   // after a comma: a value or member name
    kColon,  // after a member name
    kValue,  // after a colon
    kComma,  // after a value: a comma or the closing bracket
  };
  struct Frame {
    bool object;
    Expect expect;
  };

  Status fail(std::string message) {
    status_ = Error::permanent(std::move(message) + " at line " + std::to_string(line_));
    return status_;
  }
  Status unexpected(char c) {
    return fail(std::string("malformed JSON: unexpected '") + c + "'");
  }
  // A value starts at `at` with the byte `first`.
  void begin_value(const char* at, char first);
  // The value that ended just before `at` is complete.
  void end_value(const char* at, std::vector<Row>& rows);
  void emit(std::string_view text, std::vector<Row>& rows);

  std::size_t max_;
  std::string path_text_;
  std::vector<std::string> path_;
  Status status_;

  State state_ = State::kStructure;
  std::uint64_t line_ = 1;
  bool root_started_ = false;
  std::vector<Frame> stack_;
  std::size_t path_frames_ = 0;  // stack_[0, path_frames_) are the objects along records_path
  bool string_is_key_ = false;
  bool capture_key_ = false;  // the member name being read is in the deepest path object
  bool key_matches_ = false;  // the last member name read is the next one of records_path
  std::string key_;
  bool found_ = false;            // the array at records_path has started
  std::size_t target_depth_ = 0;  // while inside that array: the stack size (else 0)

  // The element being cut.
  bool in_element_ = false;
  const char* element_begin_ = nullptr;  // in the current chunk
  std::uint64_t element_line_ = 0;
  std::string carry_;  // from earlier chunks (capped at kMaxRawBytes when oversized)
  std::size_t carry_bytes_ = 0;
  bool oversized_ = false;
  JsonValidator validator_;
};

Status JsonArrayDecoder::feed(std::string_view bytes, std::vector<Row>& rows) {
  if (!status_) return status_;
  const char* p = bytes.data();
  const char* const end = p + bytes.size();
  element_begin_ = p;
  while (p < end) {
    switch (state_) {
      case State::kString: {
        const char* q = p;
        while (q < end && !kStringStop[static_cast<unsigned char>(*q)]) ++q;
        if (capture_key_) key_.append(p, q);
        p = q;
        if (p == end) break;
        const char c = *p++;
        if (c == '"') {
          state_ = State::kStructure;
          if (string_is_key_) {
            string_is_key_ = false;
            stack_.back().expect = Expect::kColon;
            key_matches_ = capture_key_ && key_ == path_[stack_.size() - 1];
            capture_key_ = false;
          } else {
            end_value(p, rows);
          }
          break;
        }
        if (capture_key_) key_.push_back(c);
        if (c == '\n') ++line_;
        if (c == '\\') state_ = State::kStringEscape;
        break;
      }
      case State::kStringEscape:
        if (capture_key_) key_.push_back(*p);
        if (*p == '\n') ++line_;
        ++p;
        state_ = State::kString;
        break;
      case State::kScalar: {
        while (p < end && !kScalarEnd[static_cast<unsigned char>(*p)]) ++p;
        if (p < end) {
          state_ = State::kStructure;
          end_value(p, rows);
        }
        break;
      }
      case State::kStructure:
      case State::kAfterRoot: {
        const char c = *p;
        if (is_space(c)) {
          if (c == '\n') ++line_;
          ++p;
          break;
        }
        if (state_ == State::kAfterRoot) {
          return fail(std::string("unexpected '") + c + "' after the end of the JSON document");
        }
        switch (c) {
          case '{':
          case '[':
            begin_value(p, c);
            if (!status_) return status_;
            stack_.push_back({c == '{', Expect::kFirst});
            ++p;
            break;
          case '}':
          case ']':
            if (stack_.empty() || stack_.back().object != (c == '}') ||
                (stack_.back().expect != Expect::kFirst && stack_.back().expect != Expect::kComma)) {
              return unexpected(c);
            }
            if (stack_.size() == target_depth_) target_depth_ = 0;  // the array is complete
            stack_.pop_back();
            path_frames_ = std::min(path_frames_, stack_.size());
            ++p;
            end_value(p, rows);
            break;
          case '"':
            if (!stack_.empty() && stack_.back().object &&
                (stack_.back().expect == Expect::kFirst || stack_.back().expect == Expect::kNext)) {
              string_is_key_ = true;
              capture_key_ = !found_ && stack_.size() == path_frames_;
              key_.clear();
            } else {
              begin_value(p, c);
              if (!status_) return status_;
            }
            state_ = State::kString;
            ++p;
            break;
          case ',':
            if (stack_.empty() || stack_.back().expect != Expect::kComma) return unexpected(c);
            stack_.back().expect = Expect::kNext;
            ++p;
            break;
          case ':':
            if (stack_.empty() || stack_.back().expect != Expect::kColon) return unexpected(c);
            stack_.back().expect = Expect::kValue;
            ++p;
            break;
          default:
            begin_value(p, c);
            if (!status_) return status_;
            state_ = State::kScalar;
            ++p;
            break;
        }
        break;
      }
    }
  }
  if (in_element_) {  // the element continues in the next chunk
    const std::string_view part(element_begin_, static_cast<std::size_t>(end - element_begin_));
    carry_bytes_ += part.size();
    if (carry_bytes_ > max_) oversized_ = true;
    if (oversized_) {
      append_capped(carry_, part);
    } else {
      carry_.append(part);
    }
  }
  return status_;
}

void JsonArrayDecoder::begin_value(const char* at, char first) {
  const std::size_t depth = stack_.size();
  if (depth != 0) {
    const Frame& top = stack_.back();
    const bool allowed = top.object ? top.expect == Expect::kValue
                                    : top.expect == Expect::kFirst || top.expect == Expect::kNext;
    if (!allowed) {
      (void)unexpected(first);
      return;
    }
  }
  root_started_ = true;
  if (!found_ && (depth == 0 || (depth == path_frames_ && key_matches_))) {
    if (depth == path_.size()) {
      if (first != '[') {
        (void)fail("the value at " + path_text_ + " is not an array (it is " + type_name(first) + ")");
        return;
      }
      found_ = true;
      target_depth_ = depth + 1;
    } else if (first == '{') {
      path_frames_ = depth + 1;
    }
  }
  key_matches_ = false;
  if (target_depth_ != 0 && depth == target_depth_) {
    in_element_ = true;
    element_begin_ = at;
    element_line_ = line_;
  }
}

void JsonArrayDecoder::end_value(const char* at, std::vector<Row>& rows) {
  if (in_element_ && stack_.size() == target_depth_) {
    const std::string_view tail(element_begin_, static_cast<std::size_t>(at - element_begin_));
    if (carry_bytes_ + tail.size() > max_) oversized_ = true;
    if (carry_bytes_ == 0) {
      emit(tail, rows);
    } else {
      if (oversized_) {
        append_capped(carry_, tail);
      } else {
        carry_.append(tail);
      }
      emit(carry_, rows);
    }
    in_element_ = false;
    carry_.clear();
    carry_bytes_ = 0;
    oversized_ = false;
  }
  if (stack_.empty()) {
    state_ = State::kAfterRoot;
  } else {
    stack_.back().expect = Expect::kComma;
  }
}

void JsonArrayDecoder::emit(std::string_view text, std::vector<Row>& rows) {
  Row& row = rows.emplace_back();
  row.line = element_line_;
  if (oversized_) {
    row.error = too_long("element", max_);
    row.raw = text.substr(0, kMaxRawBytes);
  } else if (std::string error = validator_.check(text); !error.empty()) {
    row.error = std::move(error);
    row.raw = text.substr(0, kMaxRawBytes);
  } else {
    row.json = text;
  }
}

Status JsonArrayDecoder::finish(std::vector<Row>& rows) {
  if (!status_) return status_;
  if (state_ == State::kScalar && stack_.empty()) {  // a document that is one number
    state_ = State::kStructure;
    end_value(nullptr, rows);
  }
  if (!root_started_) {
    status_ = Error::permanent("no array at " + path_text_ + ": the file holds no JSON");
  } else if (state_ != State::kAfterRoot) {
    const char* where = state_ == State::kString || state_ == State::kStringEscape
                            ? "a string"
                            : (stack_.back().object ? "an object" : "an array");
    status_ = Error::permanent(std::string("truncated JSON document: the file ends inside ") +
                               where + " (line " + std::to_string(line_) + ")");
  } else if (!found_) {
    status_ = Error::permanent("no array at " + path_text_);
  }
  return status_;
}

}  // namespace

Result<std::vector<std::string>> parse_records_path(std::string_view path) {
  auto invalid = [&](const std::string& why) {
    return Error::invalid_config("records_path \"" + std::string(path) + "\": " + why +
                                 " (expected \"$\" or \"$.member.member\")");
  };
  if (path.empty() || path.front() != '$') return invalid("does not start with $");
  std::vector<std::string> names;
  std::string_view rest = path.substr(1);
  while (!rest.empty()) {
    if (rest.front() != '.') return invalid("only .member steps are supported");
    rest.remove_prefix(1);
    const std::size_t stop = std::min(rest.find('.'), rest.size());
    const std::string_view name = rest.substr(0, stop);
    if (name.empty()) return invalid("empty member name");
    if (name.find_first_of("[]*'\"") != std::string_view::npos) {
      return invalid("only member names are supported, not [index], * or quotes");
    }
    names.emplace_back(name);
    rest.remove_prefix(stop);
  }
  return names;
}

std::unique_ptr<RowDecoder> make_json_lines_decoder(const DecoderOptions& options) {
  return std::make_unique<JsonLinesDecoder>(options);
}

std::unique_ptr<RowDecoder> make_json_array_decoder(const DecoderOptions& options) {
  return std::make_unique<JsonArrayDecoder>(options);
}

}  // namespace weft::files
