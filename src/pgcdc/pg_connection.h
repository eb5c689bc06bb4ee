#pragma once

// A libpq connection driven by the Asio loop: libpq runs in non-blocking mode and the
// connection's socket is awaited with Asio, so no thread ever blocks on the database.
//
// Threading: a connection belongs to one strand; nothing here is thread-safe. At most one
// operation is in progress at a time, except that `cancel_waits()` may be called while one is.

#include <libpq-fe.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/status.h"

namespace weft::pgcdc {

struct PgResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using PgResult = std::unique_ptr<PGresult, PgResultDeleter>;

// A cell's text, or nullopt for SQL NULL.
std::optional<std::string_view> cell(const PGresult* result, int row, int column);

struct ConnectOptions {
  std::string dsn;  // the user's conninfo string or postgres:// URI (holds secrets: never logged)
  bool replication = false;  // `replication=database`: the walsender protocol plus plain SQL
  std::string application_name = "weft";
  std::chrono::milliseconds connect_timeout{10000};
};

// The session settings every weft connection runs with, so values arrive in the text forms
// pg_value.h expects whatever the server's defaults are.
inline constexpr const char* kSessionOptions =
    "-c TimeZone=UTC -c DateStyle=ISO -c IntervalStyle=iso_8601 -c extra_float_digits=3 "
    "-c bytea_output=hex";

class PgConnection {
 public:
  // Connects without blocking. Errors: retryable when the server could not be reached (or
  // refused for a transient reason), permanent for authentication and a malformed dsn. The
  // message never contains the dsn's password.
  static boost::asio::awaitable<Result<std::unique_ptr<PgConnection>>> connect(
      boost::asio::any_io_executor executor, ConnectOptions options);

  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Runs `sql` (simple query protocol: several statements allowed; the only protocol a
  // replication connection speaks) and returns the last result, or the COPY BOTH result of
  // START_REPLICATION. A server error is an Error with the server's message; its SQLSTATE is
  // then in last_sqlstate().
  boost::asio::awaitable<Result<PgResult>> query(const std::string& sql);
  // The extended protocol with text parameters ($1, $2 ...); regular connections only.
  boost::asio::awaitable<Result<PgResult>> query(
      const std::string& sql, const std::vector<std::optional<std::string>>& params);

  // Runs `copy_sql` (a COPY ... FROM STDIN) and streams `data` as its input, in chunks that
  // wait for the socket rather than block, then ends the copy. A row the server rejects is an
  // Error with the server's message, which names the input line.
  boost::asio::awaitable<Status> copy_in(const std::string& copy_sql, std::string_view data);

  // In COPY BOTH mode: the next CopyData message, waiting at most `timeout` for it. nullopt
  // when the timeout passed first (or cancel_waits() was called). The view is valid until the
  // next call. The server ending the copy or the connection breaking is an Error.
  boost::asio::awaitable<Result<std::optional<std::string_view>>> read_copy_data(
      std::chrono::milliseconds timeout);
  // In COPY BOTH mode: sends one CopyData message and flushes it.
  boost::asio::awaitable<Status> write_copy_data(std::string_view data);

  // Wakes an operation waiting on the socket; it returns as if its timeout passed.
  void cancel_waits();

  // The SQLSTATE of the last server error ("55000"), or "" after a non-server failure.
  const std::string& last_sqlstate() const { return last_sqlstate_; }
  // False once the connection is broken: make a new one.
  bool usable() const { return PQstatus(conn_) == CONNECTION_OK; }
  // Rows the last command changed (the count in its tag: INSERT, UPDATE, DELETE, MERGE, COPY).
  static std::int64_t changed_rows(const PGresult* result);
  // The database this connection is attached to.
  std::string database() const { return PQdb(conn_); }
  // The server's version as an integer (150004 for 15.4).
  int server_version() const { return PQserverVersion(conn_); }
  // Quotes `name` as an SQL identifier ("my table" -> "\"my table\"").
  std::string quote_identifier(std::string_view name) const;
  std::string quote_literal(std::string_view text) const;

 private:
  struct Waiter;
  PgConnection(boost::asio::any_io_executor executor, PGconn* conn);

  // Waits until the socket is readable (or writable); false on timeout or cancel_waits().
  boost::asio::awaitable<Result<bool>> wait(bool for_write,
                                            std::optional<std::chrono::milliseconds> timeout);
  boost::asio::awaitable<Status> flush();
  boost::asio::awaitable<Result<PgResult>> collect_results();
  Error connection_error(std::string_view what);

  boost::asio::any_io_executor executor_;
  PGconn* conn_;
  std::unique_ptr<Waiter> waiter_;
  char* copy_buffer_ = nullptr;  // the last CopyData message, freed on the next read
  std::string last_sqlstate_;
};

// Classifies a server error by SQLSTATE class: connection problems, resource shortages,
// shutdowns, serialization failures and an object in use (a replication slot another client
// holds) are worth retrying; everything else fails the same way again.
bool retryable_sqlstate(std::string_view sqlstate);

}  // namespace weft::pgcdc
