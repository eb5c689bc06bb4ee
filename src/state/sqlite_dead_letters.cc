// The dead-letter queue in the SQLite state store: one row per record the pipeline gave up on,
// the record itself kept as record_to_json text.

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <utility>

#include "state/dead_letter_json.h"
#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

// read_row reads these columns, in this order.
constexpr std::string_view kSelectSql =
    "SELECT id, pipeline, stage, error_kind, error, attempts, first_failure, last_failure, "
    "record, replay_requested FROM dead_letters";
constexpr std::string_view kAddSql =
    "INSERT INTO dead_letters (pipeline, stage, error_kind, error, attempts, first_failure, "
    "last_failure, record, position, record_key, replay_requested) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
// A record already in the queue (same pipeline, same non-empty source position) failed again:
// the entry takes the new failure instead of a second entry appearing.
constexpr std::string_view kFailAgainSql =
    "UPDATE dead_letters SET stage = ?1, error_kind = ?2, error = ?3, attempts = attempts + ?4, "
    "last_failure = ?5, record = ?6, record_key = ?7 "
    "WHERE id = (SELECT max(id) FROM dead_letters WHERE pipeline = ?8 AND position = ?9 "
    "AND position <> '') RETURNING id";
constexpr std::string_view kReplayFailureSql =
    "UPDATE dead_letters SET error_kind = ?2, error = ?3, attempts = attempts + ?4, "
    "last_failure = ?5, replay_requested = 0 WHERE id = ?1";
constexpr std::string_view kRemoveSql = "DELETE FROM dead_letters WHERE id = ?1";
constexpr std::string_view kCountSql = "SELECT count(*) FROM dead_letters WHERE pipeline = ?1";

// " WHERE ..." for the fields the filter sets ("" when it sets none), with named parameters
// that bind_filter fills. `limit` is not part of it.
std::string where_clause(const DeadLetterFilter& filter) {
  std::string where;
  const auto add = [&where](std::string_view term) {
    where += where.empty() ? " WHERE " : " AND ";
    where += term;
  };
  if (filter.pipeline) add("pipeline = :pipeline");
  if (filter.id) add("id = :id");
  if (filter.since) add("last_failure >= :since");
  // Literally, so that SQLite can use the partial index dead_letters_replay.
  if (filter.replay_requested_only) add("replay_requested = 1");
  if (filter.after_id > 0) add("id > :after_id");
  return where;
}

// Binds the parameters where_clause (and " LIMIT :limit") put into the statement.
int bind_filter(sqlite3_stmt* stmt, const DeadLetterFilter& filter) {
  const auto bind = [stmt](const char* name, const auto& value) {
    const int index = sqlite3_bind_parameter_index(stmt, name);
    return index == 0 ? SQLITE_OK : bind_value(stmt, index, value);
  };
  int rc = SQLITE_OK;
  if (filter.pipeline) rc = bind(":pipeline", *filter.pipeline);
  if (rc == SQLITE_OK && filter.id) rc = bind(":id", *filter.id);
  if (rc == SQLITE_OK && filter.since) rc = bind(":since", to_unix_ms(*filter.since));
  if (rc == SQLITE_OK) rc = bind(":after_id", filter.after_id);
  if (rc == SQLITE_OK) {
    constexpr std::size_t kMax = std::numeric_limits<std::int64_t>::max();
    rc = bind(":limit", static_cast<std::int64_t>(std::min(filter.limit, kMax)));
  }
  return rc;
}

// "<operation>" or "<operation> for pipeline '<name>'" when the filter names one.
std::string describe(std::string_view operation, const DeadLetterFilter& filter) {
  return filter.pipeline ? for_pipeline(operation, *filter.pipeline) : std::string(operation);
}

// The dead letter in the statement's current row (columns as in kSelectSql). Fails when the
// stored record cannot be decoded: "dead letter <id>: <why>".
Result<DeadLetter> read_row(sqlite3_stmt* stmt) {
  DeadLetter letter;
  letter.id = sqlite3_column_int64(stmt, 0);
  letter.pipeline = column_string(stmt, 1);
  letter.stage = column_string(stmt, 2);
  letter.error_kind = column_string(stmt, 3);
  letter.error = column_string(stmt, 4);
  letter.attempts = sqlite3_column_int(stmt, 5);
  letter.first_failure = from_unix_ms(sqlite3_column_int64(stmt, 6));
  letter.last_failure = from_unix_ms(sqlite3_column_int64(stmt, 7));
  letter.replay_requested = sqlite3_column_int(stmt, 9) != 0;

  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 8));
  const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, 8));
  const std::string where = "dead letter " + std::to_string(letter.id);
  const nlohmann::json json =
      nlohmann::json::parse(text, text + (text ? size : 0), nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) return Error::permanent(where + ": the stored record is not JSON");
  auto record = record_from_json(json);
  if (!record) return Error(record.error()).with_context(where);
  letter.record = std::move(*record);
  return letter;
}

}  // namespace

Result<DeadLetterStatements> DeadLetterStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto add = state::prepare(db, kAddSql, kFlags, "prepare dead letter insert");
  if (!add) return add.error();
  auto fail_again = state::prepare(db, kFailAgainSql, kFlags, "prepare dead letter update");
  if (!fail_again) return fail_again.error();
  auto get = state::prepare(db, std::string(kSelectSql) + " WHERE id = ?1", kFlags,
                            "prepare dead letter get");
  if (!get) return get.error();
  auto replay_failure =
      state::prepare(db, kReplayFailureSql, kFlags, "prepare dead letter replay failure");
  if (!replay_failure) return replay_failure.error();
  auto remove = state::prepare(db, kRemoveSql, kFlags, "prepare dead letter delete");
  if (!remove) return remove.error();
  auto count = state::prepare(db, kCountSql, kFlags, "prepare dead letter count");
  if (!count) return count.error();
  return DeadLetterStatements{std::move(*add),    std::move(*fail_again),
                              std::move(*get),    std::move(*replay_failure),
                              std::move(*remove), std::move(*count)};
}

Status SqliteStateStore::add_dead_letters(std::vector<DeadLetter>& letters) {
  if (letters.empty()) return Status::ok_status();
  // Serialise before taking the lock. `replace` only guards: record_to_json emits valid UTF-8.
  std::vector<std::string> records;
  records.reserve(letters.size());
  for (const DeadLetter& letter : letters) {
    records.push_back(record_to_json(letter.record)
                          .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
  }
  const bool one_pipeline =
      std::all_of(letters.begin(), letters.end(),
                  [&](const DeadLetter& letter) { return letter.pipeline == letters[0].pipeline; });
  const std::string operation = one_pipeline ? for_pipeline("add dead letters", letters[0].pipeline)
                                             : std::string("add dead letters");

  std::vector<std::int64_t> ids(letters.size());
  std::lock_guard lock(mutex_);
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  for (std::size_t i = 0; i < letters.size(); ++i) {
    const DeadLetter& letter = letters[i];
    std::int64_t existing = 0;
    if (int rc = fail_again(letter, records[i], existing); rc != SQLITE_DONE) {
      return abort_transaction(rc, operation);
    }
    if (existing != 0) {
      ids[i] = existing;
      continue;
    }
    StatementUse use(dead_letters_.add.get());
    int rc = bind_all(use.get(), letter.pipeline, letter.stage, letter.error_kind, letter.error,
                      std::int64_t{letter.attempts}, to_unix_ms(letter.first_failure),
                      to_unix_ms(letter.last_failure), records[i], letter.record.position,
                      letter.record.key, std::int64_t{letter.replay_requested ? 1 : 0});
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) return abort_transaction(rc, operation);
    ids[i] = sqlite3_last_insert_rowid(db_.get());
  }
  if (Status committed = commit(operation); !committed) return committed;
  // Only now: a failed add leaves the caller's letters as they were.
  for (std::size_t i = 0; i < letters.size(); ++i) letters[i].id = ids[i];
  return Status::ok_status();
}

int SqliteStateStore::fail_again(const DeadLetter& letter, const std::string& record,
                                 std::int64_t& id) {
  id = 0;
  StatementUse use(dead_letters_.fail_again.get());
  int rc = bind_all(use.get(), letter.stage, letter.error_kind, letter.error,
                    std::int64_t{letter.attempts}, to_unix_ms(letter.last_failure), record,
                    letter.record.key, letter.pipeline, letter.record.position);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_ROW) return rc;  // SQLITE_DONE: no entry for this record yet
  id = sqlite3_column_int64(use.get(), 0);
  return sqlite3_step(use.get());  // a RETURNING statement finishes on its last step
}

Result<std::vector<DeadLetter>> SqliteStateStore::list_dead_letters(
    const DeadLetterFilter& filter) {
  const std::string operation = describe("list dead letters", filter);
  std::string sql = std::string(kSelectSql) + where_clause(filter) + " ORDER BY id";
  if (filter.limit > 0) sql += " LIMIT :limit";

  std::lock_guard lock(mutex_);
  // Prepared per call: there are 32 shapes, and listing is rare (admin API, replay pick-up).
  auto stmt = prepare(db_.get(), sql, 0, operation);
  if (!stmt) return located(stmt.error());
  int rc = bind_filter(stmt->get(), filter);
  std::vector<DeadLetter> letters;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt->get());
    if (rc != SQLITE_ROW) break;
    auto letter = read_row(stmt->get());
    if (!letter) return located(Error(letter.error()).with_context(operation));
    letters.push_back(std::move(*letter));
  }
  if (rc != SQLITE_DONE) return failure(rc, operation);
  return letters;
}

Result<std::optional<DeadLetter>> SqliteStateStore::get_dead_letter(std::int64_t id) {
  const std::string operation = "get dead letter " + std::to_string(id);
  std::lock_guard lock(mutex_);
  StatementUse use(dead_letters_.get.get());
  int rc = bind_all(use.get(), id);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc == SQLITE_DONE) return std::optional<DeadLetter>();
  if (rc != SQLITE_ROW) return failure(rc, operation);
  auto letter = read_row(use.get());
  if (!letter) return located(letter.error());  // already says "dead letter <id>"
  return std::optional<DeadLetter>(std::move(*letter));
}

Result<std::size_t> SqliteStateStore::change_filtered(std::string_view statement,
                                                      const DeadLetterFilter& filter,
                                                      const std::string& operation) {
  const std::string sql = std::string(statement) + where_clause(filter);
  std::lock_guard lock(mutex_);
  auto stmt = prepare(db_.get(), sql, 0, operation);
  if (!stmt) return located(stmt.error());
  int rc = bind_filter(stmt->get(), filter);
  // One statement: its own transaction, durable once it is done.
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt->get());
  if (rc != SQLITE_DONE) return failure(rc, operation);
  return static_cast<std::size_t>(sqlite3_changes64(db_.get()));
}

Result<std::size_t> SqliteStateStore::request_replay(const DeadLetterFilter& filter) {
  return change_filtered("UPDATE dead_letters SET replay_requested = 1", filter,
                         describe("request replay", filter));
}

Status SqliteStateStore::record_replay_failure(std::int64_t id, const std::string& error_kind,
                                               const std::string& error, int attempts,
                                               Clock::time_point when) {
  const std::string operation = "record replay failure of dead letter " + std::to_string(id);
  std::lock_guard lock(mutex_);
  StatementUse use(dead_letters_.replay_failure.get());
  int rc = bind_all(use.get(), id, error_kind, error, std::int64_t{attempts}, to_unix_ms(when));
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_DONE) return failure(rc, operation);
  return Status::ok_status();
}

Status SqliteStateStore::remove_dead_letters(const std::vector<std::int64_t>& ids) {
  if (ids.empty()) return Status::ok_status();
  constexpr std::string_view kOperation = "remove dead letters";
  std::lock_guard lock(mutex_);
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, kOperation);
  for (const std::int64_t id : ids) {
    StatementUse use(dead_letters_.remove.get());
    int rc = bind_all(use.get(), id);
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_DONE) return abort_transaction(rc, kOperation);
  }
  return commit(kOperation);
}

Result<std::size_t> SqliteStateStore::purge_dead_letters(const DeadLetterFilter& filter) {
  // AUTOINCREMENT keeps the highest id ever used, so ids of purged entries are not reused.
  return change_filtered("DELETE FROM dead_letters", filter,
                         describe("purge dead letters", filter));
}

Result<std::uint64_t> SqliteStateStore::count_dead_letters(const std::string& pipeline) {
  std::lock_guard lock(mutex_);
  StatementUse use(dead_letters_.count.get());
  int rc = bind_all(use.get(), pipeline);
  if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
  if (rc != SQLITE_ROW) return failure(rc, for_pipeline("count dead letters", pipeline));
  return static_cast<std::uint64_t>(sqlite3_column_int64(use.get(), 0));
}

}  // namespace weft::state
