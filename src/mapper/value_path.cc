#include "mapper/value_path.h"

#include <nlohmann/json.hpp>

#include "mapper/coerce.h"

namespace weft {
Result<ValuePath> ValuePath::parse(std::string_view text, std::size_t offset) {
  ValuePath out;
  out.text_ = std::string(text);
  auto fail = [&](const std::string& what) {
    return Error::invalid_config("bad path '" + out.text_ + "': " + what + " at character " +
                                 std::to_string(offset + 1));
  };
  if (text.empty()) return fail("empty path");
  if (text[0] == '$') {
    auto path = JsonPath::parse(text, offset, /*allow_wildcards=*/true);
    if (!path.ok()) return path.error();
    out.top_field_ = path->first_name();
    out.path_ = std::move(*path);
    return out;
  }
  if (text[0] != '@') {
    return fail("a path starts with '$' (the record's value) or '@' (its metadata)");
  }
  std::size_t end = 1;
  while (end < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[end])) || text[end] == '_')) {
    ++end;
  }
  const std::string_view name = text.substr(1, end - 1);
  const std::string_view rest = text.substr(end);
  auto simple = [&](Root root) -> Result<ValuePath> {
    if (!rest.empty()) return fail("'@" + std::string(name) + "' takes no path after it");
    out.root_ = root;
    return out;
  };
  if (name == "key") return simple(Root::kKey);
  if (name == "id") return simple(Root::kId);
  if (name == "op") return simple(Root::kOp);
  if (name == "position") return simple(Root::kPosition);
  if (name == "event_time") return simple(Root::kEventTime);
  if (name == "before") {
    // "@before.x" reads like "$.x" on the before-image.
    auto path = JsonPath::parse("$" + std::string(rest), offset + end - 1, true);
    if (!path.ok()) return path.error();
    out.root_ = Root::kBefore;
    out.path_ = std::move(*path);
    return out;
  }
  if (name == "headers") {
    // "@headers.table" or "@headers['x-id']": a one-step path names the header.
    auto path = JsonPath::parse("$" + std::string(rest), offset + end - 1, false);
    if (!path.ok()) return path.error();
    if (path->step_count() != 1 || path->first_name().empty()) {
      return fail("write a header as @headers.NAME or @headers['NAME']");
    }
    out.root_ = Root::kHeader;
    out.header_ = path->first_name();
    return out;
  }
  return fail("unknown metadata '@" + std::string(name) +
              "' (use @key, @id, @op, @position, @event_time, @before.PATH or @headers.NAME)");
}

const nlohmann::json* ValuePath::find(const Record& record, const nlohmann::json& value,
                                      nlohmann::json& scratch) const {
  auto text = [&](const std::string& s) -> const nlohmann::json* {
    if (s.empty()) return nullptr;
    scratch = s;
    return &scratch;
  };
  switch (root_) {
    case Root::kValue:
    case Root::kBefore: {
      const nlohmann::json* doc = &value;
      if (root_ == Root::kBefore) {
        if (!record.before) return nullptr;
        doc = &record.before->json();
      }
      if (!path_->has_wildcard()) return path_->lookup(*doc);
      scratch = nlohmann::json::array();
      path_->collect(*doc, scratch);
      return &scratch;
    }
    case Root::kKey:
      return text(record.key);
    case Root::kId:
      return text(record.id);
    case Root::kOp:
      if (record.op == Operation::kNone) return nullptr;
      return text(to_string(record.op));
    case Root::kPosition:
      return text(record.position);
    case Root::kHeader: {
      auto it = record.headers.find(header_);
      return it == record.headers.end() ? nullptr : text(it->second);
    }
    case Root::kEventTime:
      if (record.event_time == Clock::time_point{}) return nullptr;
      return text(format_timestamp(record.event_time));
  }
  return nullptr;
}

}  // namespace weft
