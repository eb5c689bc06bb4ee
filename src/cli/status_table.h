#pragma once

// The pipeline table of `weft status` and `weft top`, built from the array GET /api/pipelines
// answers. Pure (no I/O, no terminal escapes); thread-safe. A field missing from a pipeline
// object (an older daemon) or of an unexpected type shows as "-".

#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::cli {

enum class SortOrder {
  kName,    // by name
  kRate,    // rates.in_per_second + rates.out_per_second, highest first
  kErrors,  // records.dead_lettered + dlq_depth, highest first; then open, half-open breakers
};

// "name", "rate" or "errors"; nullopt for anything else.
std::optional<SortOrder> parse_sort_order(std::string_view text);
const char* to_string(SortOrder order);

// A per-second rate in at most 4 characters or so: "0", "0.03", "7.5", "12.5", "999", "1.2k",
// "34k", "3.4M", "1.5G"; "<0.01" for tiny positive rates; "-" when negative or not finite.
std::string format_rate(double per_second);

// A duration in its largest unit and the next one when not zero: "0s", "45s", "12m34s", "15m",
// "1h30m", "2d3h". Fractions of a second are dropped; "-" when negative or not finite.
std::string format_duration(double seconds);

// The FRESHNESS cell: "12s / 15m" (the age of the newest delivered data, or with `when:
// source_active` how long waiting work has waited / the freshness SLO), "12s" without an SLO;
// " BREACHED" is appended when the SLO is breached; "-" when the daemon does not say.
std::string freshness_cell(const nlohmann::json& pipeline);

// Orders pipeline objects as `order` says; ties (and non-object elements) by name.
void sort_pipelines(std::vector<nlohmann::json>& pipelines, SortOrder order);

// The table: a header line (NAME STATE IN/S OUT/S DLQ BREAKER FRESHNESS LAST ERROR) and one line
// per pipeline object (other elements are skipped), in the given order, each ending in '\n'.
// Columns are separated by two spaces; IN/S, OUT/S and DLQ are right-aligned. LAST ERROR holds
// the pipeline's error, else why it is paused ("paused: " prefixed unless the reason starts with
// "paused"), and is cut ("...")
// so that lines fit `width` code points (but is never narrower than 10). Names are cut to 30.
// Control characters in what the daemon sent become spaces.
std::string render_status_table(const std::vector<nlohmann::json>& pipelines, std::size_t width);

}  // namespace weft::cli
