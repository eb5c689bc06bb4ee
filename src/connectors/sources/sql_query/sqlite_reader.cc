#include "connectors/sources/sql_query/sqlite_reader.h"

#include <sqlite3.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "common/text.h"
#include "pgcdc/json_text.h"
#include "pgcdc/pg_value.h"

namespace weft::sql_query {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// How long a read waits for a writer's lock before giving up with a retryable error. Short,
// because the wait blocks the thread (see sqlite_reader.h).
constexpr int kBusyTimeoutMs = 200;

struct DatabaseCloser {
  void operator()(sqlite3* db) const noexcept { sqlite3_close_v2(db); }
};
using Database = std::unique_ptr<sqlite3, DatabaseCloser>;

struct StatementFinalizer {
  void operator()(sqlite3_stmt* stmt) const noexcept { sqlite3_finalize(stmt); }
};
using Statement = std::unique_ptr<sqlite3_stmt, StatementFinalizer>;

// Another connection holding a lock, or a file that cannot be opened (yet): worth retrying.
// Everything else (no such table or column, a syntax error, a corrupt file) fails again.
bool retryable_code(int rc) {
  const int primary = rc & 0xff;
  return primary == SQLITE_BUSY || primary == SQLITE_LOCKED || primary == SQLITE_CANTOPEN ||
         primary == SQLITE_IOERR || primary == SQLITE_NOMEM;
}

// The kind of value a declared column type says the integers or text hold.
enum class Declared { kOther, kBoolean, kJson };

Declared declared(const char* decltype_text) {
  if (decltype_text == nullptr) return Declared::kOther;
  const std::string type = to_upper(decltype_text);
  if (type == "BOOLEAN" || type == "BOOL") return Declared::kBoolean;
  if (type == "JSON" || type == "JSONB") return Declared::kJson;
  return Declared::kOther;
}

// RFC 4648 base64 with padding, as pg_value.h writes bytea.
std::string base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    const unsigned n = static_cast<unsigned char>(bytes[i]) << 16 |
                       static_cast<unsigned char>(bytes[i + 1]) << 8 |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += kAlphabet[n >> 6 & 63];
    out += kAlphabet[n & 63];
  }
  if (const auto left = bytes.size() - i; left > 0) {
    unsigned n = static_cast<unsigned char>(bytes[i]) << 16;
    if (left == 2) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[n >> 18 & 63];
    out += kAlphabet[n >> 12 & 63];
    out += left == 2 ? kAlphabet[n >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

std::string_view column_text(sqlite3_stmt* stmt, int column) {
  // column_text before column_bytes: the byte count is of the text conversion.
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, column));
  if (text == nullptr) return {};
  return {text, static_cast<std::size_t>(sqlite3_column_bytes(stmt, column))};
}

void append_double(std::string& out, double v) {
  if (!std::isfinite(v)) {
    out += v > 0 ? "\"Infinity\"" : "\"-Infinity\"";  // SQLite stores NaN as NULL
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest text that reads back
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  // "1e+20" is JSON; "5" is too, but keep a real recognisable as one.
  if (text.find_first_of(".eEn") == std::string_view::npos) out += ".0";
}

class SqliteReader final : public RowReader {
 public:
  explicit SqliteReader(SqlQueryConfig config) : config_(std::move(config)) {}

  awaitable<Status> open() override {
    if (db_) co_return Status{};
    sqlite3* raw = nullptr;
    const int rc = sqlite3_open_v2(config_.path.c_str(), &raw,
                                   SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nullptr);
    Database db(raw);
    if (rc != SQLITE_OK) {
      co_return Error::retryable("sqlite: cannot open " + config_.path + ": " +
                                 (raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc)));
    }
    sqlite3_busy_timeout(db.get(), kBusyTimeoutMs);
    auto shape = prepare(db.get(), columns_sql(config_));
    if (!shape.ok()) co_return shape.error();
    std::vector<std::string> names;
    for (int c = 0; c < sqlite3_column_count(shape->get()); ++c) {
      names.emplace_back(sqlite3_column_name(shape->get(), c));
    }
    auto columns = find_key_columns(config_, names);
    if (!columns.ok()) co_return columns.error();
    columns_ = *columns;
    db_ = std::move(db);
    co_return Status{};
  }

  awaitable<Result<std::vector<Row>>> read_page(Bound bound, const Cursor& from,
                                                std::size_t limit) override {
    if (Status s = co_await open(); !s.ok()) co_return s.error();
    auto rows = read(bound, from, limit);
    if (!rows.ok()) db_.reset();
    co_return std::move(rows);
  }

  CellValue initial_value(const std::string& text) const override {
    if (auto integer = parse_number<std::int64_t>(text)) return *integer;
    if (auto real = parse_number<double>(text)) return *real;
    return text;
  }

  std::string describe() const override { return "sqlite file " + config_.path; }

  void close() override { db_.reset(); }

 private:
  Error error(sqlite3* db, int rc) const {
    std::string message = "sqlite: " + std::string(sqlite3_errmsg(db)) + " (reading the " +
                          config_.describe_relation() + " in " + config_.path + ")";
    return retryable_code(rc) ? Error::retryable(std::move(message))
                              : Error::permanent(std::move(message));
  }

  Result<Statement> prepare(sqlite3* db, const std::string& sql) const {
    sqlite3_stmt* raw = nullptr;
    const int rc = sqlite3_prepare_v2(db, sql.c_str(), static_cast<int>(sql.size()), &raw, nullptr);
    Statement stmt(raw);
    if (rc != SQLITE_OK) return error(db, rc);
    return stmt;
  }

  static int bind(sqlite3_stmt* stmt, int index, const CellValue& value) {
    if (const auto* text = std::get_if<std::string>(&value)) {
      return sqlite3_bind_text64(stmt, index, text->data(), text->size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8);
    }
    if (const auto* integer = std::get_if<std::int64_t>(&value)) {
      return sqlite3_bind_int64(stmt, index, *integer);
    }
    return sqlite3_bind_double(stmt, index, std::get<double>(value));
  }

  Result<std::vector<Row>> read(Bound bound, const Cursor& from, std::size_t limit) {
    PageSqlOptions o;
    o.dialect = Dialect::kSqlite;
    o.relation = relation_sql(config_);
    o.watermark_column = config_.watermark_column;
    o.key_column = config_.key_column;
    o.bound = bound;
    o.settle = config_.settle.count() > 0;
    o.limit = limit;
    auto prepared = prepare(db_.get(), page_sql(o));
    if (!prepared.ok()) return prepared.error();
    sqlite3_stmt* stmt = prepared->get();
    int index = 0;
    int rc = SQLITE_OK;
    if (bound != Bound::kStart) rc = bind(stmt, ++index, from.watermark);
    if (rc == SQLITE_OK && bound == Bound::kAfter) rc = bind(stmt, ++index, from.key);
    if (rc == SQLITE_OK && o.settle) {
      char modifier[48];
      std::snprintf(modifier, sizeof modifier, "-%.3f seconds",
                    static_cast<double>(config_.settle.count()) / 1000.0);
      rc = bind(stmt, ++index, std::string(modifier));
    }
    if (rc != SQLITE_OK) return error(db_.get(), rc);

    const int columns = sqlite3_column_count(stmt);
    if (columns <= std::max(columns_.watermark, columns_.key) ||
        config_.watermark_column != sqlite3_column_name(stmt, columns_.watermark) ||
        config_.key_column != sqlite3_column_name(stmt, columns_.key)) {
      return Error::retryable("the columns of the " + config_.describe_relation() +
                              " changed; reading them again");
    }
    std::vector<std::string> names;
    std::vector<Declared> kinds;
    for (int c = 0; c < columns; ++c) {
      std::string name;
      pgcdc::append_json_string(name, sqlite3_column_name(stmt, c));
      names.push_back(std::move(name));
      kinds.push_back(declared(sqlite3_column_decltype(stmt, c)));
    }
    std::vector<Row> out;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
      Row& row = out.emplace_back();
      row.value += '{';
      for (int c = 0; c < columns; ++c) {
        if (c > 0) row.value += ',';
        row.value += names[c];
        row.value += ':';
        append_value(row.value, stmt, c, kinds[c]);
      }
      row.value += '}';
      auto watermark = cursor_value(stmt, columns_.watermark);
      if (!watermark) {
        return Error::permanent("watermark_column '" + config_.watermark_column + "' of the " +
                                config_.describe_relation() +
                                " holds a BLOB, which cannot be compared as a watermark");
      }
      auto key = cursor_value(stmt, columns_.key);
      if (!key) {
        return bad_key(config_, sqlite3_column_type(stmt, columns_.key) == SQLITE_NULL
                                    ? "a row has NULL"
                                    : "a row holds a BLOB");
      }
      if (const auto* text = std::get_if<std::string>(&*watermark)) {
        row.event_time = parse_time(*text);
      }
      row.cursor = Cursor{std::move(*watermark), std::move(*key)};
    }
    if (rc != SQLITE_DONE) return error(db_.get(), rc);
    return out;
  }

  // The value as it is bound again for the next page; nullopt for NULL and BLOB.
  static std::optional<CellValue> cursor_value(sqlite3_stmt* stmt, int column) {
    switch (sqlite3_column_type(stmt, column)) {
      case SQLITE_INTEGER:
        return CellValue(static_cast<std::int64_t>(sqlite3_column_int64(stmt, column)));
      case SQLITE_FLOAT:
        return CellValue(sqlite3_column_double(stmt, column));
      case SQLITE_TEXT:
        return CellValue(std::string(column_text(stmt, column)));
      default:
        return std::nullopt;
    }
  }

  static void append_value(std::string& out, sqlite3_stmt* stmt, int column, Declared kind) {
    switch (sqlite3_column_type(stmt, column)) {
      case SQLITE_INTEGER: {
        const auto v = static_cast<std::int64_t>(sqlite3_column_int64(stmt, column));
        if (kind == Declared::kBoolean && (v == 0 || v == 1)) {
          out += v == 1 ? "true" : "false";
        } else {
          out += std::to_string(v);
        }
        return;
      }
      case SQLITE_FLOAT:
        append_double(out, sqlite3_column_double(stmt, column));
        return;
      case SQLITE_TEXT: {
        const auto text = column_text(stmt, column);
        if (kind == Declared::kJson && pgcdc::is_valid_json(text)) {
          out += text;
        } else {
          pgcdc::append_json_string(out, text);  // invalid UTF-8 becomes U+FFFD
        }
        return;
      }
      case SQLITE_BLOB: {
        const auto* bytes = static_cast<const char*>(sqlite3_column_blob(stmt, column));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(stmt, column));
        pgcdc::append_json_string(out, base64(std::string_view(bytes, size)));
        return;
      }
      default:
        out += "null";
        return;
    }
  }

  SqlQueryConfig config_;
  Database db_;
  KeyColumns columns_;
};

}  // namespace

std::unique_ptr<RowReader> make_sqlite_reader(const SqlQueryConfig& config) {
  return std::make_unique<SqliteReader>(config);
}

}  // namespace weft::sql_query
