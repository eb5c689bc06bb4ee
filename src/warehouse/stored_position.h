#pragma once

// The position a warehouse holds for its pipeline (Sink::keeps_position), kept in the same
// transaction as each load so that the table and the position never disagree.
//
// Normally that is the position of the last record loaded. A record the warehouse rejects is
// dead-lettered by the runtime only after the load commits, so the stored position must not
// pass it: it stops just before the first rejected record, and the records loaded after it are
// listed instead (`applied`). After a restart the source replays from the stored position, and
// the sink skips the listed records, so nothing is lost and nothing is loaded twice. Records
// without a position (dead letters being replayed) never move it.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weft/record.h"
#include "weft/status.h"

namespace weft::warehouse {

// What the checkpoint row holds: the position, and positions loaded beyond it.
struct HeldPosition {
  std::optional<Position> position;
  std::set<Position> applied;

  // `applied` as a JSON array ("[]" when empty), and back.
  std::string applied_text() const;
  static Result<std::set<Position>> parse_applied(const std::string& text);
};

class StoredPosition {
 public:
  // What the warehouse held at connect: replay resumes after `held.position`, and the records
  // in `held.applied` are skipped when they come again.
  void restore(HeldPosition held);
  const HeldPosition& held() const { return held_; }

  // Whether the record at `position` was loaded before a restart (it is left out of the load).
  bool already_loaded(const Position& position) const;

  // The row to store with a load of a batch: `positions` are its records' positions in order,
  // `rejected[i]` whether record i was rejected (records left out as already loaded count as
  // loaded).
  HeldPosition after_load(const std::vector<const Position*>& positions,
                          const std::vector<bool>& rejected) const;
  // The load of a batch with these positions committed: `row` is what the warehouse holds now.
  void loaded(HeldPosition row, const std::vector<const Position*>& positions);

  // The runtime committed `position`: every record up to it is settled. The row to store: the
  // position, and only the loaded records not yet seen again since a restart. When `position`
  // is the held position itself, the records listed past it stay listed: the runtime commits
  // that position while it is still dead-lettering the rejected record after it, and the
  // records loaded beyond that one are not covered yet. (Positions are opaque, so any other
  // position is taken to be ahead: the sink is told no commit during a load that could pass
  // it, see WarehouseSink::commit.)
  HeldPosition after_commit(const Position& position) const;

 private:
  HeldPosition held_;
  std::set<Position> unseen_;  // applied before a restart and not yet replayed
};

}  // namespace weft::warehouse
