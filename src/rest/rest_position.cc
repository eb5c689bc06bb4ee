#include "rest/rest_position.h"

namespace weft::rest {

std::string RestPosition::encode() const {
  nlohmann::json j = {{"run", run_started}, {"url", page.url}, {"i", index}};
  if (page.number != 0) j["n"] = page.number;
  if (!key.empty()) j["key"] = key;
  if (!from.is_null()) j["from"] = from;
  if (!high.is_null()) j["high"] = high;
  if (run_complete) j["done"] = true;
  return j.dump();
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
