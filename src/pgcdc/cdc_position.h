#pragma once

// The positions a `postgres_cdc` source gives its records, and parses back from a checkpoint.
//   lsn:<commit LSN>:<n>          the n-th record (from 0) of the transaction committed at LSN
//   snapshot:<schema.table>:<key> a snapshot row; <key> is a JSON array of its key values as text
// Stream positions order by (commit LSN, n): the order Postgres sends transactions in.

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "pgcdc/pgoutput.h"
#include "weft/record.h"

namespace weft::pgcdc {

struct StreamPoint {
  Lsn commit_lsn = 0;
  std::uint64_t seq = 0;
  auto operator<=>(const StreamPoint&) const = default;
};

struct SnapshotPoint {
  std::string table;                    // schema.table
  std::vector<std::string> key_values;  // the last row's key, as text
};

Position format_position(const StreamPoint& point);
Position format_position(const SnapshotPoint& point);

using CdcPosition = std::variant<StreamPoint, SnapshotPoint>;
// nullopt for text that is neither form (a checkpoint written by another source type).
std::optional<CdcPosition> parse_position(const Position& position);

}  // namespace weft::pgcdc
