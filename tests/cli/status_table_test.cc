// The table of `weft status` and `weft top` as an operator reads it: cells, alignment, cuts,
// markers, sort orders, and what an older daemon's answer looks like.
#include "cli/status_table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_runner.h"

namespace weft::cli {
namespace {

using nlohmann::json;
using weft::test::lines_of;

json orders() {
  return json::parse(R"({"name": "orders", "state": "running", "error": null,
    "records": {"in": 100, "out": 97, "in_flight": 3, "dead_lettered": 1},
    "rates": {"in_per_second": 12.5, "out_per_second": 1234},
    "dlq_depth": 3, "circuit_breaker": {"state": "closed", "value": 0, "detail": ""},
    "paused": null, "last_success_at": 1700000000,
    "freshness": {"age_seconds": 12, "max_age_seconds": 900, "when": "always",
                  "breached": false}})");
}

json users() {
  return json::parse(R"({"name": "users", "state": "failed",
    "error": "sink postgres: connection refused",
    "records": {"dead_lettered": 0},
    "rates": {"in_per_second": 0, "out_per_second": 0},
    "dlq_depth": 0, "circuit_breaker": {"state": "open"},
    "freshness": {"age_seconds": 9000, "waiting_seconds": 7200, "max_age_seconds": 900,
                  "when": "source_active", "breached": true}})");
}

// What a daemon without rates and freshness sends.
json legacy() {
  return json::parse(R"({"name": "legacy", "state": "running", "error": null,
    "paused": "too many dead letters", "dlq_depth": null})");
}

TEST(StatusTableTest, RatesAreCompact) {
  EXPECT_EQ(format_rate(0), "0");
  EXPECT_EQ(format_rate(0.004), "<0.01");
  EXPECT_EQ(format_rate(0.03), "0.03");
  EXPECT_EQ(format_rate(7.5), "7.5");
  EXPECT_EQ(format_rate(12.0), "12");
  EXPECT_EQ(format_rate(12.5), "12.5");
  EXPECT_EQ(format_rate(999), "999");
  EXPECT_EQ(format_rate(999.7), "1k");
  EXPECT_EQ(format_rate(1234), "1.2k");
  EXPECT_EQ(format_rate(34000), "34k");
  EXPECT_EQ(format_rate(250000), "250k");
  EXPECT_EQ(format_rate(3.4e6), "3.4M");
  EXPECT_EQ(format_rate(1.5e9), "1.5G");
  EXPECT_EQ(format_rate(-1), "-");
  EXPECT_EQ(format_rate(std::nan("")), "-");
}

TEST(StatusTableTest, DurationsUseTheirLargestUnits) {
  EXPECT_EQ(format_duration(0), "0s");
  EXPECT_EQ(format_duration(45.9), "45s");
  EXPECT_EQ(format_duration(754), "12m34s");
  EXPECT_EQ(format_duration(900), "15m");
  EXPECT_EQ(format_duration(3600), "1h");
  EXPECT_EQ(format_duration(5400), "1h30m");
  EXPECT_EQ(format_duration(2 * 86400 + 3 * 3600 + 59), "2d3h");
  EXPECT_EQ(format_duration(-1), "-");
}

TEST(StatusTableTest, FreshnessShowsAgeAgainstTheSloAndMarksABreach) {
  EXPECT_EQ(freshness_cell(orders()), "12s / 15m");
  EXPECT_EQ(freshness_cell(users()), "2h / 15m BREACHED");
  EXPECT_EQ(freshness_cell(legacy()), "-");
  auto no_slo = json::parse(R"({"freshness": {"age_seconds": 75, "max_age_seconds": null,
                                              "when": null, "breached": false}})");
  EXPECT_EQ(freshness_cell(no_slo), "1m15s");
  auto never = json::parse(R"({"freshness": {"age_seconds": null, "max_age_seconds": 60,
                                             "breached": true}})");
  EXPECT_EQ(freshness_cell(never), "- / 1m BREACHED");
  auto quiet = json::parse(R"({"freshness": {"age_seconds": 18000, "waiting_seconds": 0,
    "max_age_seconds": 900, "when": "source_active", "breached": false}})");
  EXPECT_EQ(freshness_cell(quiet), "0s / 15m") << "a quiet source_active pipeline is not stale";
  EXPECT_EQ(freshness_cell(json::parse(R"({"freshness": {}})")), "-");
  EXPECT_EQ(freshness_cell(json::parse(R"({"freshness": "fresh"})")), "-");
}

TEST(StatusTableTest, RendersAlignedColumnsAndDashesForWhatTheDaemonDoesNotSay) {
  const std::string table = render_status_table({orders(), users(), legacy()}, 120);
  EXPECT_EQ(lines_of(table),
            std::vector<std::string>({
                "NAME    STATE    IN/S  OUT/S  DLQ  BREAKER  FRESHNESS          LAST ERROR",
                "orders  running  12.5   1.2k    3  closed   12s / 15m          -",
                "users   failed      0      0    0  open     2h / 15m BREACHED  sink postgres: "
                "connection refused",
                "legacy  running     -      -    -  -        -                  paused: too many "
                "dead letters",
            }))
      << table;
  EXPECT_TRUE(table.ends_with("\n"));
}

TEST(StatusTableTest, AnObjectWithNothingKnownIsAllDashesAndOtherElementsAreSkipped) {
  const auto lines = lines_of(render_status_table({json::object(), json(42), json("x")}, 120));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1], "-     -         -      -    -  -        -          -");
}

TEST(StatusTableTest, TheLastErrorIsCutToTheWidth) {
  json pipeline = users();
  pipeline["error"] = "sink http: HTTP 503 " + std::string(200, 'x') + " END";
  const auto lines = lines_of(render_status_table({pipeline}, 100));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[1].size(), 100u) << lines[1];
  EXPECT_NE(lines[1].find("  sink http: HTTP 503 xxx"), std::string::npos) << lines[1];
  EXPECT_TRUE(lines[1].ends_with("xxx...")) << lines[1];
  // Narrower than the other columns: the error still shows its start.
  const auto narrow = lines_of(render_status_table({pipeline}, 40));
  EXPECT_TRUE(narrow[1].ends_with("  sink ht...")) << narrow[1];
}

TEST(StatusTableTest, PrintsNoEscapeSequencesWhateverTheDaemonSends) {
  json pipeline = orders();
  pipeline["name"] = "red\x1b[31mname";
  pipeline["error"] = "line one\nline two\x1b[2J";
  const std::string table = render_status_table({pipeline}, 120);
  EXPECT_EQ(table.find('\x1b'), std::string::npos) << table;
  const auto lines = lines_of(table);
  ASSERT_EQ(lines.size(), 2u) << table;
  EXPECT_TRUE(lines[1].starts_with("red [31mname  running")) << lines[1];
  EXPECT_TRUE(lines[1].ends_with("line one line two [2J")) << lines[1];
}

std::vector<std::string> names_sorted(std::vector<json> pipelines, SortOrder order) {
  sort_pipelines(pipelines, order);
  std::vector<std::string> names;
  for (const auto& pipeline : pipelines) names.push_back(pipeline.value("name", "?"));
  return names;
}

TEST(StatusTableTest, SortsByNameRateOrErrors) {
  auto busy = orders();  // 1246.5/s, 1 + 3 errors, closed
  busy["name"] = "busy";
  auto quiet = users();  // 0/s, 0 errors, open
  quiet["name"] = "quiet";
  auto flaky = orders();  // 2/s, 4 errors, half-open
  flaky["name"] = "flaky";
  flaky["rates"] = {{"in_per_second", 1}, {"out_per_second", 1}};
  flaky["circuit_breaker"]["state"] = "half-open";
  auto old = legacy();  // no rates, no counts: like zero
  const std::vector<json> all = {quiet, old, busy, flaky};

  EXPECT_EQ(names_sorted(all, SortOrder::kName),
            std::vector<std::string>({"busy", "flaky", "legacy", "quiet"}));
  EXPECT_EQ(names_sorted(all, SortOrder::kRate),
            std::vector<std::string>({"busy", "flaky", "legacy", "quiet"}));
  // busy and flaky both have 4 errors: the half-open breaker first; then the open one.
  EXPECT_EQ(names_sorted(all, SortOrder::kErrors),
            std::vector<std::string>({"flaky", "busy", "quiet", "legacy"}));
}

TEST(StatusTableTest, SortOrdersHaveTheirOptionNames) {
  for (const char* name : {"name", "rate", "errors"}) {
    const auto order = parse_sort_order(name);
    ASSERT_TRUE(order) << name;
    EXPECT_STREQ(to_string(*order), name);
  }
  EXPECT_FALSE(parse_sort_order("speed"));
  EXPECT_FALSE(parse_sort_order(""));
}

}  // namespace
}  // namespace weft::cli
