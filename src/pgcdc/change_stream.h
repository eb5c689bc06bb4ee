#pragma once

// Turns the pgoutput messages of a replication stream into records: keeps the Relation cache
// (replaced when the server re-sends a relation after a schema change), follows transactions
// so every row carries its commit LSN, xid and commit time and a sequence number within the
// transaction, and remembers where each transaction ended so the source can confirm an LSN
// once the records before it are delivered. Pure: no I/O.

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "pgcdc/cdc_config.h"
#include "pgcdc/cdc_position.h"
#include "pgcdc/change_encoder.h"
#include "pgcdc/pgoutput.h"
#include "weft/record.h"
#include "weft/status.h"

namespace weft::pgcdc {

// A transaction the stream has seen to its Commit.
struct TransactionEnd {
  Lsn commit_lsn = 0;
  Lsn end_lsn = 0;  // what to confirm once the transaction's records are delivered
  std::int64_t commit_time = 0;
  // The position of the transaction's last record handed out; nullopt when it produced none
  // (all its tables filtered out, or all its records delivered before a restart).
  std::optional<StreamPoint> last_record;
};

// The prefix of the logical decoding messages weft's heartbeat writes; never emitted.
inline constexpr const char* kHeartbeatPrefix = "weft_heartbeat";

class ChangeStream {
 public:
  ChangeStream(const CdcConfig& config, std::string database);

  // Decodes one pgoutput message and appends the records it yields to `out`. Errors (a
  // malformed message, a change for a relation never described) are permanent.
  Status apply(std::string_view message, std::vector<Record>& out);

  // Records at or before `point` were delivered before a restart: they are not produced again.
  void skip_through(StreamPoint point) { skip_through_ = point; }

  // The primary key of each table ("schema.table" -> columns), from the catalog: the record key
  // of tables whose Relation flags more (REPLICA IDENTITY FULL flags every column).
  void set_primary_keys(std::map<std::string, std::vector<std::string>> keys) {
    primary_keys_ = std::move(keys);
  }

  bool in_transaction() const { return in_transaction_; }
  // Transactions that ended, oldest first; the source pops them as they are confirmed.
  std::deque<TransactionEnd>& ended() { return ended_; }
  const std::deque<TransactionEnd>& ended() const { return ended_; }

 private:
  void emit(std::vector<Record>& out, Record record);
  Status apply_update(const Update& update, std::vector<Record>& out);
  const TableShape* shape_of(std::uint32_t relation_id, const char* message, Status& error);

  const CdcConfig& config_;
  std::string database_;
  ChangeEncoder encoder_;
  std::unordered_map<std::uint32_t, TableShape> relations_;
  std::unordered_map<std::uint32_t, std::string> type_names_;  // from Type messages
  std::map<std::string, std::vector<std::string>> primary_keys_;
  std::optional<StreamPoint> skip_through_;
  bool in_transaction_ = false;
  ChangeOrigin transaction_;
  std::uint64_t next_seq_ = 0;
  std::optional<StreamPoint> last_record_;
  std::deque<TransactionEnd> ended_;
};

}  // namespace weft::pgcdc
