#include "fakes/salesforce/query.h"

#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>

#include "fakes/salesforce/errors.h"

namespace weft::fakes::salesforce {

namespace {

// The quoted literals of "'a', 'b\'c'"; nullopt when the list is malformed.
std::optional<std::set<std::string>> literals(const std::string& list) {
  std::set<std::string> out;
  std::size_t i = 0;
  auto skip_space = [&] {
    while (i < list.size() && (list[i] == ' ' || list[i] == ',')) ++i;
  };
  skip_space();
  while (i < list.size()) {
    if (list[i] != '\'') return std::nullopt;
    std::string value;
    for (++i; i < list.size() && list[i] != '\''; ++i) {
      if (list[i] == '\\' && i + 1 < list.size()) ++i;
      value += list[i];
    }
    if (i >= list.size()) return std::nullopt;
    ++i;
    out.insert(std::move(value));
    skip_space();
  }
  return out;
}

}  // namespace

net::HttpResponse answer_query(const SObjectStore& store, const net::HttpRequest& request) {
  const auto q = request.query_param("q");
  static const std::regex kForm(
      R"(^\s*SELECT\s+Id\s*,\s*(\w+)\s+FROM\s+(\w+)\s+WHERE\s+(\w+)\s+IN\s*\((.*)\)\s*$)",
      std::regex::icase);
  std::smatch m;
  if (request.method != "GET" || !q || !std::regex_match(*q, m, kForm) || m[1] != m[3]) {
    return api_error(400, "MALFORMED_QUERY",
                     "the fake answers SELECT Id, F FROM O WHERE F IN (...) only");
  }
  const std::string field = m[1];
  auto values = literals(m[4]);
  if (!values) return api_error(400, "MALFORMED_QUERY", "unexpected token in the IN list");
  nlohmann::json records = nlohmann::json::array();
  for (const auto& r : store.records(m[2])) {
    if (!r.contains(field)) continue;
    const auto& v = r[field];
    const std::string text = v.is_string() ? v.get<std::string>() : v.dump();
    if (values->count(text) == 0) continue;
    records.push_back({{"attributes", {{"type", std::string(m[2])}}}, {"Id", r["Id"]}, {field, v}});
  }
  net::HttpResponse response;
  response.status = 200;
  response.content_type = "application/json";
  response.body =
      nlohmann::json{{"totalSize", records.size()}, {"done", true}, {"records", records}}.dump();
  return response;
}

}  // namespace weft::fakes::salesforce
