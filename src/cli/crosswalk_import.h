#pragma once

// How `weft crosswalk import` turns a CSV file into links. Pure: no files, no store, so that
// every rule can be checked before anything is written.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/crosswalk_csv.h"
#include "state/state_store.h"
#include "weft/status.h"

namespace weft::cli {

struct ImportPlan {
  std::vector<CrosswalkLink> links;  // in file order
  std::vector<std::size_t> to_mint;  // indexes into links whose canonical_id is empty
};

// `records` is the parsed file, header first. The header names some of entity, system,
// external_id (required) and canonical_id, once each; `entity` and `system` (the --entity and
// --system options) stand in for a missing column, or, with the column there, every row must
// agree with them. Every row needs a non-empty entity, system and external_id, and no two rows
// may link the same external id, or give one canonical id two ids in a system.
//
// Fails with a permanent error "<source>:<line>: <problem>" for the first bad row.
Result<ImportPlan> plan_import(const std::vector<CsvRecord>& records,
                               const std::optional<std::string>& entity,
                               const std::optional<std::string>& system, std::string_view source);

}  // namespace weft::cli
