// Crosswalk tables in the SQLite state store (docs/mapping.md): one row per external id,
// (entity, system, external_id) -> canonical_id, plus a unique index for the reverse lookup
// (migration 6).
//
// Lookups are single statements (their own read snapshot, no lock beyond the store's mutex).
// Creating a link takes the database's write lock (BEGIN IMMEDIATE) before inserting, so two
// connections, in this process or another, cannot both create a link for one external id:
// the second one's insert does nothing and its select reads the first one's link.

#include <algorithm>
#include <limits>
#include <utility>

#include "state/sqlite_state_store.h"
#include "state/unix_time.h"

namespace weft::state {
namespace {

constexpr std::string_view kFindSql =
    "SELECT canonical_id FROM crosswalk WHERE entity = ?1 AND system = ?2 AND external_id = ?3";
// Only the primary key is the conflict target: a candidate that is already another external
// id's canonical id in this system still fails, on the unique index.
constexpr std::string_view kInsertIfAbsentSql =
    "INSERT INTO crosswalk (entity, system, external_id, canonical_id, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (entity, system, external_id) DO NOTHING";
constexpr std::string_view kReverseSql =
    "SELECT external_id FROM crosswalk WHERE entity = ?1 AND canonical_id = ?2 AND system = ?3";
constexpr std::string_view kRemoveExternalSql =
    "DELETE FROM crosswalk WHERE entity = ?1 AND system = ?2 AND external_id = ?3";
constexpr std::string_view kRemoveCanonicalSql =
    "DELETE FROM crosswalk WHERE entity = ?1 AND canonical_id = ?2 AND system = ?3";
constexpr std::string_view kInsertSql =
    "INSERT INTO crosswalk (entity, system, external_id, canonical_id, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5)";
constexpr std::string_view kListColumns =
    "SELECT entity, system, external_id, canonical_id, updated_at FROM crosswalk";

// "customer/stripe id 'cus_123'", how messages name an external id.
std::string external_text(const std::string& entity, const std::string& system,
                          const std::string& external_id) {
  return entity + "/" + system + " id '" + external_id + "'";
}

// What is wrong with a link the store is asked to write, or "" when nothing is.
std::string empty_field(const std::string& entity, const std::string& system,
                        const std::string& external_id, const std::string& canonical_id) {
  if (entity.empty()) return "the entity is empty";
  if (system.empty()) return "the system is empty";
  if (external_id.empty()) return "the external id is empty";
  if (canonical_id.empty()) return "the canonical id is empty";
  return "";
}

// " WHERE ..." selecting the filter's links in list order, with named parameters that
// bind_list_filter fills; "" when the filter selects everything.
std::string where_clause(const CrosswalkFilter& filter) {
  std::string where;
  const auto add = [&where](std::string_view term) {
    where += where.empty() ? " WHERE " : " AND ";
    where += term;
  };
  if (!filter.entity.empty()) add("entity = :entity");
  if (!filter.system.empty()) add("system = :system");
  if (filter.after) {
    // When the page boundary lies inside the filter (it does when it is the last link of the
    // previous page), the columns the filter fixes are left out of the comparison, so that
    // SQLite seeks the primary key on all of them instead of only the first.
    const bool same_entity = !filter.entity.empty() && filter.after->entity == filter.entity;
    const bool same_system =
        same_entity && !filter.system.empty() && filter.after->system == filter.system;
    if (same_system) {
      add("external_id > :after_external_id");
    } else if (same_entity) {
      add("(system, external_id) > (:after_system, :after_external_id)");
    } else {
      add("(entity, system, external_id) > (:after_entity, :after_system, :after_external_id)");
    }
  }
  return where;
}

int bind_list_filter(sqlite3_stmt* stmt, const CrosswalkFilter& filter) {
  const auto bind = [stmt](const char* name, const auto& value) {
    const int index = sqlite3_bind_parameter_index(stmt, name);
    return index == 0 ? SQLITE_OK : bind_value(stmt, index, value);
  };
  int rc = bind(":entity", filter.entity);
  if (rc == SQLITE_OK) rc = bind(":system", filter.system);
  if (rc == SQLITE_OK && filter.after) {
    rc = bind(":after_entity", filter.after->entity);
    if (rc == SQLITE_OK) rc = bind(":after_system", filter.after->system);
    if (rc == SQLITE_OK) rc = bind(":after_external_id", filter.after->external_id);
  }
  if (rc == SQLITE_OK) {
    constexpr std::size_t kMax = std::numeric_limits<std::int64_t>::max();
    rc = bind(":limit", static_cast<std::int64_t>(std::min(filter.limit, kMax)));
  }
  return rc;
}

std::string list_operation(const CrosswalkFilter& filter) {
  std::string operation = "list crosswalk links";
  if (!filter.entity.empty() || !filter.system.empty()) {
    operation += " of " + (filter.entity.empty() ? std::string("*") : filter.entity) + "/" +
                 (filter.system.empty() ? std::string("*") : filter.system);
  }
  return operation;
}

}  // namespace

Result<CrosswalkStatements> CrosswalkStatements::prepare(sqlite3* db) {
  constexpr unsigned kFlags = SQLITE_PREPARE_PERSISTENT;
  auto find = state::prepare(db, kFindSql, kFlags, "prepare crosswalk find");
  if (!find) return find.error();
  auto insert_if_absent =
      state::prepare(db, kInsertIfAbsentSql, kFlags, "prepare crosswalk create");
  if (!insert_if_absent) return insert_if_absent.error();
  auto reverse = state::prepare(db, kReverseSql, kFlags, "prepare crosswalk reverse");
  if (!reverse) return reverse.error();
  auto remove_external = state::prepare(db, kRemoveExternalSql, kFlags, "prepare crosswalk delete");
  if (!remove_external) return remove_external.error();
  auto remove_canonical =
      state::prepare(db, kRemoveCanonicalSql, kFlags, "prepare crosswalk delete");
  if (!remove_canonical) return remove_canonical.error();
  auto insert = state::prepare(db, kInsertSql, kFlags, "prepare crosswalk insert");
  if (!insert) return insert.error();
  return CrosswalkStatements{std::move(*find),
                             std::move(*insert_if_absent),
                             std::move(*reverse),
                             std::move(*remove_external),
                             std::move(*remove_canonical),
                             std::move(*insert)};
}

Result<std::optional<std::string>> SqliteStateStore::crosswalk_lookup(
    sqlite3_stmt* stmt, const std::string& a, const std::string& b, const std::string& c,
    const std::string& operation) {
  StatementUse use(stmt);
  int rc = bind_all(stmt, a, b, c);
  if (rc == SQLITE_OK) rc = sqlite3_step(stmt);
  if (rc == SQLITE_DONE) return std::optional<std::string>();
  if (rc != SQLITE_ROW) return failure(rc, operation);
  return std::optional<std::string>(column_string(stmt, 0));
}

Result<std::optional<std::string>> SqliteStateStore::crosswalk_find(
    const std::string& entity, const std::string& system, const std::string& external_id) {
  std::lock_guard lock(mutex_);
  return crosswalk_lookup(crosswalk_.find.get(), entity, system, external_id,
                          "look up crosswalk " + external_text(entity, system, external_id));
}

Result<std::optional<std::string>> SqliteStateStore::crosswalk_reverse(
    const std::string& entity, const std::string& canonical_id, const std::string& system) {
  std::lock_guard lock(mutex_);
  return crosswalk_lookup(
      crosswalk_.reverse.get(), entity, canonical_id, system,
      "reverse crosswalk lookup of " + entity + " '" + canonical_id + "' in " + system);
}

Result<std::vector<std::string>> SqliteStateStore::crosswalk_find_or_create_many(
    const std::string& entity, const std::string& system,
    const std::vector<std::string>& external_ids, const std::vector<std::string>& candidates) {
  auto operation_for = [&](std::size_t i) {
    return "create crosswalk link for " + external_text(entity, system, external_ids[i]);
  };
  if (external_ids.size() != candidates.size()) {
    return located(Error::permanent("create crosswalk links: " +
                                    std::to_string(external_ids.size()) + " ids but " +
                                    std::to_string(candidates.size()) + " candidates"));
  }
  for (std::size_t i = 0; i < external_ids.size(); ++i) {
    if (const std::string problem = empty_field(entity, system, external_ids[i], candidates[i]);
        !problem.empty()) {
      return located(Error::permanent(operation_for(i) + ": " + problem));
    }
  }
  const std::int64_t now = to_unix_ms(Clock::now());
  std::lock_guard lock(mutex_);
  // Usually the links exist: reads, without the write lock or an fsync.
  std::vector<std::string> canonical(external_ids.size());
  std::vector<std::size_t> missing;
  for (std::size_t i = 0; i < external_ids.size(); ++i) {
    auto found =
        crosswalk_lookup(crosswalk_.find.get(), entity, system, external_ids[i], operation_for(i));
    if (!found) return found.error();
    if (*found) {
      canonical[i] = std::move(**found);
    } else {
      missing.push_back(i);
    }
  }
  if (missing.empty()) return canonical;

  const std::string batch_operation =
      missing.size() == 1 ? operation_for(missing[0])
                          : "create " + std::to_string(missing.size()) + " crosswalk links for " +
                                entity + "/" + system;
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, batch_operation);
  // From here to the commit no other connection can write, so each select reads either this
  // insert or the link another caller committed since the reads above.
  for (std::size_t i : missing) {
    const std::string operation = operation_for(i);
    {
      StatementUse use(crosswalk_.insert_if_absent.get());
      int rc = bind_all(use.get(), entity, system, external_ids[i], candidates[i], now);
      if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
      if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        // The unique index: the candidate already stands for another of the system's ids. The
        // statement's failure left the transaction open, so the holder can be read in it.
        auto holder =
            crosswalk_lookup(crosswalk_.reverse.get(), entity, candidates[i], system, operation);
        rollback();
        if (!holder) return holder.error();
        return located(Error::permanent(operation + ": canonical id '" + candidates[i] +
                                        "' is already linked to " + system + " id '" +
                                        holder->value_or("?") + "'"));
      }
      if (rc != SQLITE_DONE) return abort_transaction(rc, operation);
    }
    StatementUse use(crosswalk_.find.get());
    int rc = bind_all(use.get(), entity, system, external_ids[i]);
    if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    if (rc != SQLITE_ROW) {
      // DONE cannot happen inside the transaction that linked the id; report it anyway.
      if (rc == SQLITE_DONE) {
        rollback();
        return located(Error::permanent(operation + ": the link vanished after it was created"));
      }
      return abort_transaction(rc, operation);
    }
    canonical[i] = column_string(use.get(), 0);
  }
  if (Status committed = commit(batch_operation); !committed) return committed.error();
  return canonical;
}

Status SqliteStateStore::crosswalk_put(const std::vector<CrosswalkLink>& links) {
  if (links.empty()) return Status::ok_status();
  const std::string operation =
      links.size() == 1 ? "put crosswalk link for " +
                              external_text(links[0].entity, links[0].system, links[0].external_id)
                        : "put " + std::to_string(links.size()) + " crosswalk links";
  for (std::size_t i = 0; i < links.size(); ++i) {
    const CrosswalkLink& link = links[i];
    if (const std::string problem =
            empty_field(link.entity, link.system, link.external_id, link.canonical_id);
        !problem.empty()) {
      std::string where =
          links.size() == 1 ? ""
                            : "link " + std::to_string(i + 1) + " (" +
                                  external_text(link.entity, link.system, link.external_id) + "): ";
      return located(Error::permanent(operation + ": " + where + problem));
    }
  }
  const std::int64_t now = to_unix_ms(Clock::now());
  std::lock_guard lock(mutex_);
  if (const int rc = begin_write(); rc != SQLITE_DONE) return failure(rc, operation);
  for (const CrosswalkLink& link : links) {
    // What the external id meant before, and the system's previous id for the canonical id,
    // give way to the new link (a link listed twice: the later one wins).
    int rc = SQLITE_OK;
    {
      StatementUse use(crosswalk_.remove_external.get());
      rc = bind_all(use.get(), link.entity, link.system, link.external_id);
      if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    }
    if (rc == SQLITE_DONE) {
      StatementUse use(crosswalk_.remove_canonical.get());
      rc = bind_all(use.get(), link.entity, link.canonical_id, link.system);
      if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    }
    if (rc == SQLITE_DONE) {
      StatementUse use(crosswalk_.insert.get());
      rc = bind_all(use.get(), link.entity, link.system, link.external_id, link.canonical_id, now);
      if (rc == SQLITE_OK) rc = sqlite3_step(use.get());
    }
    if (rc != SQLITE_DONE) return abort_transaction(rc, operation);
  }
  return commit(operation);
}

Result<std::vector<CrosswalkLink>> SqliteStateStore::crosswalk_list(const CrosswalkFilter& filter) {
  const std::string operation = list_operation(filter);
  std::string sql =
      std::string(kListColumns) + where_clause(filter) + " ORDER BY entity, system, external_id";
  if (filter.limit > 0) sql += " LIMIT :limit";

  std::lock_guard lock(mutex_);
  // Prepared per call: listing is rare (`weft crosswalk export`), and the shapes are many.
  auto stmt = prepare(db_.get(), sql, 0, operation);
  if (!stmt) return located(stmt.error());
  int rc = bind_list_filter(stmt->get(), filter);
  std::vector<CrosswalkLink> links;
  while (rc == SQLITE_OK || rc == SQLITE_ROW) {
    rc = sqlite3_step(stmt->get());
    if (rc != SQLITE_ROW) break;
    sqlite3_stmt* row = stmt->get();
    links.push_back(CrosswalkLink{column_string(row, 0), column_string(row, 1),
                                  column_string(row, 2), column_string(row, 3),
                                  from_unix_ms(sqlite3_column_int64(row, 4))});
  }
  if (rc != SQLITE_DONE) return failure(rc, operation);
  return links;
}

}  // namespace weft::state
