#include "salesforce/id_lookup.h"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "net/url.h"
#include "salesforce/response_error.h"

namespace weft::salesforce {

namespace {

// Values per query: keeps the URL well under the limits of proxies and of Salesforce.
constexpr std::size_t kValuesPerQuery = 100;

}  // namespace

std::string soql_literal(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

boost::asio::awaitable<Result<std::map<std::string, std::string>>> find_ids(
    Session& session, const std::string& object, const std::string& field,
    const std::vector<std::string>& values) {
  std::map<std::string, std::string> found;
  for (std::size_t begin = 0; begin < values.size(); begin += kValuesPerQuery) {
    const std::size_t end = std::min(values.size(), begin + kValuesPerQuery);
    std::string soql = "SELECT Id, " + field + " FROM " + object + " WHERE " + field + " IN (";
    for (std::size_t i = begin; i < end; ++i) {
      soql += (i > begin ? ", " : "") + soql_literal(values[i]);
    }
    soql += ")";
    const std::string what = "salesforce: looking up " + object + " Ids by " + field;
    auto response = co_await session.send("GET", "/query?q=" + net::percent_encode(soql), "");
    if (!response.ok()) {
      co_return Error(response.error().kind(), what + ": " + response.error().message());
    }
    if (auto error = response_error(what, *response)) co_return *error;
    auto parsed = nlohmann::json::parse(response->body, nullptr, /*allow_exceptions=*/false);
    if (!parsed.is_object() || !parsed.contains("records") || !parsed["records"].is_array()) {
      co_return Error::retryable(what + ": the response holds no records");
    }
    for (const auto& r : parsed["records"]) {
      if (!r.contains("Id") || !r.contains(field)) continue;
      const auto& v = r[field];
      found[v.is_string() ? v.get<std::string>() : v.dump()] = r["Id"].get<std::string>();
    }
  }
  co_return std::move(found);
}

}  // namespace weft::salesforce
