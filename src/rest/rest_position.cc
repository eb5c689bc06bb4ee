#include "rest/rest_position.h"

#include <algorithm>

namespace weft::rest {

PagePositions::PagePositions(std::int64_t run_started, const PageRequest& page,
                             const nlohmann::json& from) {
  prefix_ =
      "{\"run\":" + std::to_string(run_started) + ",\"url\":" + nlohmann::json(page.url).dump();
  if (page.number != 0) prefix_ += ",\"n\":" + std::to_string(page.number);
  if (!from.is_null()) prefix_ += ",\"from\":" + from.dump();
}

std::string PagePositions::record(std::int64_t index, const std::string& key,
                                  const std::string& high, bool run_complete) const {
  std::string out;
  out.reserve(prefix_.size() + key.size() + high.size() + 40);
  out += prefix_;
  out += ",\"i\":";
  out += std::to_string(index);
  if (!key.empty()) {
    out += ",\"key\":";
    // Most keys need no escaping; dumping a JSON string for each would be the costliest part.
    const bool plain = std::all_of(key.begin(), key.end(), [](char c) {
      return c != '"' && c != '\\' && static_cast<unsigned char>(c) >= 0x20;
    });
    if (plain) {
      out += '"';
      out += key;
      out += '"';
    } else {
      out += nlohmann::json(key).dump();
    }
  }
  if (!high.empty()) {
    out += ",\"high\":";
    out += high;
  }
  if (run_complete) out += ",\"done\":true";
  out += '}';
  return out;
}

std::string RestPosition::encode() const {
  return PagePositions(run_started, page, from)
      .record(index, key, high.is_null() ? std::string() : high.dump(), run_complete);
}

Result<RestPosition> RestPosition::decode(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  auto bad = [&text] {
    return Error::permanent("checkpoint '" + std::string(text) +
                            "' is not a rest source position (was the source type changed?)");
  };
  if (j.is_discarded() || !j.is_object() || !j.contains("run") || !j["run"].is_number_integer() ||
      !j.contains("url") || !j["url"].is_string()) {
    return bad();
  }
  RestPosition p;
  p.run_started = j["run"].get<std::int64_t>();
  p.page.url = j["url"].get<std::string>();
  p.page.number = j.value("n", std::int64_t{0});
  p.index = j.value("i", std::int64_t{0});
  p.key = j.value("key", std::string{});
  if (j.contains("from")) p.from = j["from"];
  if (j.contains("high")) p.high = j["high"];
  p.run_complete = j.value("done", false);
  return p;
}

}  // namespace weft::rest
