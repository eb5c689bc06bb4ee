#include "delivery/record_template.h"

#include <nlohmann/json.hpp>
#include <utility>

namespace weft {

namespace {

std::string at_char(std::size_t i) { return " at character " + std::to_string(i + 1); }

std::string_view trim(std::string_view s, std::size_t& offset) {
  while (!s.empty() && s.front() == ' ') {
    s.remove_prefix(1);
    ++offset;
  }
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// Where the placeholder opened at `open` closes, skipping quoted path keys like ['a}b'];
// npos if it does not. Sets `nested` to the position of a stray '{' inside.
std::size_t find_close(std::string_view text, std::size_t open, std::size_t& nested) {
  char quote = 0;
  for (std::size_t i = open + 1; i < text.size(); ++i) {
    const char c = text[i];
    if (quote) {
      if (c == '\\') {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '\'' || c == '"') {
      quote = c;
    } else if (c == '{') {
      nested = i;
      return std::string_view::npos;
    } else if (c == '}') {
      return i;
    }
  }
  return std::string_view::npos;
}

std::string json_text(const nlohmann::json& value) {
  if (value.is_string()) return value.get<std::string>();
  // Compact; invalid UTF-8 is replaced rather than thrown about.
  return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

Result<RecordTemplate> RecordTemplate::parse(std::string_view text) {
  RecordTemplate tmpl;
  tmpl.text_ = std::string(text);
  auto fail = [&](const std::string& what) {
    return Error::invalid_config("template '" + tmpl.text_ + "': " + what);
  };
  if (text.empty()) return fail("the template is empty");

  if (text.front() == '$') {
    auto path = JsonPath::parse(text);
    if (!path) return fail(path.error().message());
    tmpl.segments_.push_back(Segment{Kind::kPath, "", std::move(path.value())});
    return tmpl;
  }

  std::string literal;
  auto flush_literal = [&] {
    if (literal.empty()) return;
    tmpl.segments_.push_back(Segment{Kind::kLiteral, std::move(literal), std::nullopt});
    literal.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    const bool doubled = i + 1 < text.size() && text[i + 1] == c;
    if (c == '}') {
      if (!doubled) return fail("unmatched '}'" + at_char(i) + " (write '}}' for a literal brace)");
      literal += '}';
      ++i;
    } else if (c == '{' && doubled) {
      literal += '{';
      ++i;
    } else if (c == '{') {
      std::size_t nested = std::string_view::npos;
      const std::size_t close = find_close(text, i, nested);
      if (nested != std::string_view::npos) {
        return fail("unexpected '{'" + at_char(nested) + " inside the placeholder opened" +
                    at_char(i));
      }
      if (close == std::string_view::npos) return fail("unclosed '{'" + at_char(i));
      auto segment = parse_placeholder(text.substr(i + 1, close - i - 1), i + 1);
      if (!segment) return fail(segment.error().message());
      flush_literal();
      tmpl.segments_.push_back(std::move(segment.value()));
      i = close;
    } else {
      literal += c;
    }
  }
  flush_literal();
  return tmpl;
}

Result<RecordTemplate::Segment> RecordTemplate::parse_placeholder(std::string_view body,
                                                                  std::size_t offset) {
  const std::size_t open = offset - 1;  // the '{'
  body = trim(body, offset);
  if (body.empty()) return Error::invalid_config("empty placeholder '{}'" + at_char(open));
  if (body.front() == '$') {
    auto path = JsonPath::parse(body, offset);
    if (!path) return path.error();
    return Segment{Kind::kPath, "", std::move(path.value())};
  }
  if (body == "key") return Segment{Kind::kKey, "", std::nullopt};
  if (body == "id") return Segment{Kind::kId, "", std::nullopt};
  if (body == "op") return Segment{Kind::kOp, "", std::nullopt};
  if (body == "position") return Segment{Kind::kPosition, "", std::nullopt};
  constexpr std::string_view kHeaders = "headers.";
  if (body.substr(0, kHeaders.size()) == kHeaders) {
    body.remove_prefix(kHeaders.size());
    if (body.empty()) return Error::invalid_config("empty header name" + at_char(open));
  }
  return Segment{Kind::kHeader, std::string(body), std::nullopt};
}

Result<std::string> RecordTemplate::render(const Record& record) const {
  std::string out;
  for (const Segment& segment : segments_) {
    switch (segment.kind) {
      case Kind::kLiteral:
        out += segment.text;
        break;
      case Kind::kPath: {
        auto value = render_path(*segment.path, record);
        if (!value) return value.error();
        out += *value;
        break;
      }
      case Kind::kKey:
        if (record.key.empty()) return render_error("the record has no key");
        out += record.key;
        break;
      case Kind::kId:
        if (record.id.empty()) return render_error("the record has no id");
        out += record.id;
        break;
      case Kind::kOp:
        out += to_string(record.op);
        break;
      case Kind::kPosition:
        if (record.position.empty()) return render_error("the record has no position");
        out += record.position;
        break;
      case Kind::kHeader: {
        auto it = record.headers.find(segment.text);
        if (it == record.headers.end()) {
          return render_error("header '" + segment.text + "' is missing");
        }
        out += it->second;
        break;
      }
    }
  }
  return out;
}

Result<std::string> RecordTemplate::render_path(const JsonPath& path, const Record& record) const {
  const nlohmann::json& root = record.value.json();
  if (root.is_discarded()) {
    return render_error("cannot read field '" + path.display() +
                        "': " + record.value.parse_error());
  }
  auto value = path.find(root);
  if (!value) return render_error(value.error().message());
  return json_text(**value);
}

Error RecordTemplate::render_error(const std::string& what) const {
  return Error::permanent("template '" + text_ + "': " + what);
}

bool RecordTemplate::is_constant() const {
  for (const Segment& segment : segments_) {
    if (segment.kind != Kind::kLiteral) return false;
  }
  return true;
}

}  // namespace weft
