#pragma once

#include <nlohmann/json.hpp>
#include <vector>

namespace weft::cli {

// Prints dead letters (as /api/dlq lists them) as an aligned table on stdout: ID, PIPELINE,
// STAGE, ERROR KIND, ATTEMPTS, LAST FAILURE, and the error cut to fit 120 columns.
void print_dead_letter_table(const std::vector<nlohmann::json>& entries);

}  // namespace weft::cli
