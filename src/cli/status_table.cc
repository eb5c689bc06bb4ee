#include "cli/status_table.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <tuple>

#include "cli/text_cells.h"

namespace weft::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kMaxNameWidth = 30;
constexpr std::size_t kMinErrorWidth = 10;

// pipeline[a][b]..., or nullptr when a key is missing or a step is not an object.
const json* find_path(const json& pipeline, std::initializer_list<const char*> path) {
  const json* at = &pipeline;
  for (const char* key : path) {
    if (!at->is_object()) return nullptr;
    const auto it = at->find(key);
    if (it == at->end()) return nullptr;
    at = &*it;
  }
  return at;
}

std::optional<double> number_at(const json& pipeline, std::initializer_list<const char*> path) {
  const json* value = find_path(pipeline, path);
  if (value == nullptr || !value->is_number()) return std::nullopt;
  return value->get<double>();
}

std::optional<std::string> string_at(const json& pipeline,
                                     std::initializer_list<const char*> path) {
  const json* value = find_path(pipeline, path);
  if (value == nullptr || !value->is_string()) return std::nullopt;
  return value->get<std::string>();
}

std::string text_or_dash(const std::optional<std::string>& text) {
  return text && !text->empty() ? *text : "-";
}

// `value` with `decimals` decimals, without trailing zeros ("12.0" -> "12").
std::string trimmed(double value, int decimals) {
  std::array<char, 32> buffer{};
  std::snprintf(buffer.data(), buffer.size(), "%.*f", decimals, value);
  std::string text = buffer.data();
  if (text.find('.') != std::string::npos) {
    while (text.back() == '0') text.pop_back();
    if (text.back() == '.') text.pop_back();
  }
  return text;
}

double rate_sum(const json& pipeline) {
  return number_at(pipeline, {"rates", "in_per_second"}).value_or(0) +
         number_at(pipeline, {"rates", "out_per_second"}).value_or(0);
}

double error_count(const json& pipeline) {
  return number_at(pipeline, {"records", "dead_lettered"}).value_or(0) +
         number_at(pipeline, {"dlq_depth"}).value_or(0);
}

int breaker_rank(const json& pipeline) {
  const auto state = string_at(pipeline, {"circuit_breaker", "state"});
  if (state == "open") return 2;
  if (state == "half-open") return 1;
  return 0;
}

std::string name_of(const json& pipeline) { return string_at(pipeline, {"name"}).value_or(""); }

std::string rate_cell(const json& pipeline, const char* key) {
  const auto rate = number_at(pipeline, {"rates", key});
  return rate ? format_rate(*rate) : "-";
}

std::string last_error_cell(const json& pipeline) {
  if (auto error = string_at(pipeline, {"error"}); error && !error->empty()) return *error;
  if (auto reason = string_at(pipeline, {"paused"}); reason && !reason->empty()) {
    return reason->starts_with("paused") ? *reason : "paused: " + *reason;
  }
  return "-";
}

}  // namespace

std::optional<SortOrder> parse_sort_order(std::string_view text) {
  if (text == "name") return SortOrder::kName;
  if (text == "rate") return SortOrder::kRate;
  if (text == "errors") return SortOrder::kErrors;
  return std::nullopt;
}

const char* to_string(SortOrder order) {
  switch (order) {
    case SortOrder::kName:
      return "name";
    case SortOrder::kRate:
      return "rate";
    case SortOrder::kErrors:
      return "errors";
  }
  return "name";
}

std::string format_rate(double per_second) {
  if (!std::isfinite(per_second) || per_second < 0) return "-";
  if (per_second == 0) return "0";
  if (per_second < 0.005) return "<0.01";
  if (per_second < 0.095) return trimmed(per_second, 2);
  if (per_second < 99.95) return trimmed(per_second, 1);
  if (per_second < 999.5) return trimmed(per_second, 0);
  double scaled = per_second;
  for (const char* suffix : {"k", "M", "G"}) {
    scaled /= 1000;
    if (scaled < 99.95) return trimmed(scaled, 1) + suffix;
    if (scaled < 999.5) return trimmed(scaled, 0) + suffix;
  }
  return trimmed(scaled / 1000, 0) + "T";
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  constexpr std::array<std::pair<double, const char*>, 4> kUnits = {
      {{86400, "d"}, {3600, "h"}, {60, "m"}, {1, "s"}}};
  const double whole = std::floor(seconds);
  for (std::size_t i = 0; i + 1 < kUnits.size(); ++i) {
    const auto [size, name] = kUnits[i];
    if (whole < size) continue;
    const double major = std::floor(whole / size);
    const double minor = std::floor((whole - major * size) / kUnits[i + 1].first);
    std::string text = trimmed(major, 0) + name;
    if (minor > 0) text += trimmed(minor, 0) + kUnits[i + 1].second;
    return text;
  }
  return trimmed(whole, 0) + "s";
}

std::string freshness_cell(const json& pipeline) {
  const json* freshness = find_path(pipeline, {"freshness"});
  if (freshness == nullptr || !freshness->is_object()) return "-";
  // With `when: source_active` the SLO judges how long waiting work has waited, not the age.
  const json* when = find_path(*freshness, {"when"});
  const bool active_only = when != nullptr && *when == "source_active";
  const auto age = number_at(*freshness, {active_only ? "waiting_seconds" : "age_seconds"});
  const auto slo = number_at(*freshness, {"max_age_seconds"});
  const json* breached = find_path(*freshness, {"breached"});
  std::string text;
  if (slo) {
    text = (age ? format_duration(*age) : "-") + " / " + format_duration(*slo);
  } else if (age) {
    text = format_duration(*age);
  }
  if (breached != nullptr && breached->is_boolean() && breached->get<bool>()) {
    return text.empty() ? "BREACHED" : text + " BREACHED";
  }
  return text.empty() ? "-" : text;
}

void sort_pipelines(std::vector<json>& pipelines, SortOrder order) {
  auto key = [order](const json& pipeline) {
    double primary = 0;
    int breaker = 0;
    if (order == SortOrder::kRate) primary = -rate_sum(pipeline);
    if (order == SortOrder::kErrors) {
      primary = -error_count(pipeline);
      breaker = -breaker_rank(pipeline);
    }
    return std::make_tuple(primary, breaker, name_of(pipeline));
  };
  std::stable_sort(pipelines.begin(), pipelines.end(),
                   [&key](const json& a, const json& b) { return key(a) < key(b); });
}

std::string render_status_table(const std::vector<json>& pipelines, std::size_t width) {
  using Row = std::array<std::string, 8>;
  constexpr std::array<bool, 8> kRightAligned = {false, false, true,  true,
                                                 true,  false, false, false};
  std::vector<Row> rows = {
      {"NAME", "STATE", "IN/S", "OUT/S", "DLQ", "BREAKER", "FRESHNESS", "LAST ERROR"}};
  for (const auto& pipeline : pipelines) {
    if (!pipeline.is_object()) continue;
    const auto depth = number_at(pipeline, {"dlq_depth"});
    rows.push_back({fit(text_or_dash(string_at(pipeline, {"name"})), kMaxNameWidth),
                    fit(text_or_dash(string_at(pipeline, {"state"})), 12),
                    rate_cell(pipeline, "in_per_second"), rate_cell(pipeline, "out_per_second"),
                    depth ? trimmed(*depth, 0) : "-",
                    fit(text_or_dash(string_at(pipeline, {"circuit_breaker", "state"})), 12),
                    freshness_cell(pipeline), last_error_cell(pipeline)});
  }
  std::array<std::size_t, 7> widths{};
  std::size_t used = 0;
  for (std::size_t c = 0; c < widths.size(); ++c) {
    for (const auto& row : rows) widths[c] = std::max(widths[c], display_width(row[c]));
    used += widths[c] + 2;
  }
  const std::size_t error_width = std::max(kMinErrorWidth, width > used ? width - used : 0);
  std::string out;
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < widths.size(); ++c) {
      out += kRightAligned[c] ? pad_left(row[c], widths[c]) : pad_right(row[c], widths[c]);
      out += "  ";
    }
    out += fit(row.back(), error_width);
    out += '\n';
  }
  return out;
}

}  // namespace weft::cli
