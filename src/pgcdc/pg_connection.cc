#include "pgcdc/pg_connection.h"

#include <cstdlib>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace weft::pgcdc {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

// libpq's messages end in a newline (sometimes two lines); errors read better on one line.
std::string tidy(std::string_view message) {
  std::string out(message);
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  for (auto& c : out) {
    if (c == '\n') c = ' ';
  }
  return out;
}

// A connection failure that retrying cannot fix: credentials, a database or role that does not
// exist, TLS settings the server or its certificate do not satisfy, pg_hba.conf, privileges.
// libpq reports these only as text.
bool fails_the_same_way_again(std::string_view message) {
  for (std::string_view marker :
       {"authentication", "password", "does not exist", "SSL", "certificate", "pg_hba.conf",
        "must be superuser", "permission denied"}) {
    if (message.find(marker) != std::string_view::npos) return true;
  }
  return false;
}

}  // namespace

std::optional<std::string_view> cell(const PGresult* result, int row, int column) {
  if (PQgetisnull(result, row, column)) return std::nullopt;
  return std::string_view(PQgetvalue(result, row, column),
                          static_cast<std::size_t>(PQgetlength(result, row, column)));
}

bool retryable_sqlstate(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return true;  // not a server error: the connection broke
  const auto cls = sqlstate.substr(0, 2);
  return cls == "08" || cls == "53" || cls == "57" || sqlstate == "40001" || sqlstate == "40P01" ||
         sqlstate == "55006" || sqlstate == "55P03";  // object in use, lock timeout
}

// The socket as Asio sees it. libpq owns the descriptor (and may replace it while connecting),
// so it is released, never closed, by Asio.
struct PgConnection::Waiter {
  explicit Waiter(const asio::any_io_executor& executor) : socket(executor), timer(executor) {}
  ~Waiter() { detach(); }
  void detach() {
    if (socket.is_open()) socket.release();
  }
  void attach(int fd) {
    if (socket.is_open() && socket.native_handle() == fd) return;
    detach();
    socket.assign(fd);
  }
  asio::posix::stream_descriptor socket;
  asio::steady_timer timer;
};

PgConnection::PgConnection(asio::any_io_executor executor, PGconn* conn)
    : executor_(std::move(executor)), conn_(conn), waiter_(std::make_unique<Waiter>(executor_)) {}

PgConnection::~PgConnection() {
  waiter_.reset();
  if (copy_buffer_ != nullptr) PQfreemem(copy_buffer_);
  PQfinish(conn_);
}

awaitable<Result<std::unique_ptr<PgConnection>>> PgConnection::connect(
    asio::any_io_executor executor, ConnectOptions options) {
  // expand_dbname: the dsn is parsed as a conninfo string or URI, and the keywords after it
  // override what it says (a dsn cannot switch replication on or the session settings off).
  const char* keys[] = {"dbname", "replication", "application_name", "options", nullptr};
  const char* values[] = {options.dsn.c_str(), options.replication ? "database" : nullptr,
                          options.application_name.c_str(), kSessionOptions, nullptr};
  if (!options.replication) {
    keys[1] = "application_name";
    values[1] = options.application_name.c_str();
    keys[2] = "options";
    values[2] = kSessionOptions;
    keys[3] = nullptr;
    values[3] = nullptr;
  }
  PGconn* raw = PQconnectStartParams(keys, values, /*expand_dbname=*/1);
  if (raw == nullptr) co_return Error::retryable("postgres: out of memory starting a connection");
  std::unique_ptr<PgConnection> conn(new PgConnection(executor, raw));
  if (PQstatus(raw) == CONNECTION_BAD) {
    // A dsn libpq cannot parse: the message names the bad keyword, never a password.
    co_return Error::invalid_config("postgres dsn: " + tidy(PQerrorMessage(raw)));
  }
  const auto deadline = std::chrono::steady_clock::now() + options.connect_timeout;
  PostgresPollingStatusType poll = PGRES_POLLING_WRITING;
  while (poll != PGRES_POLLING_OK) {
    if (poll == PGRES_POLLING_FAILED) {
      std::string message = tidy(PQerrorMessage(raw));
      co_return fails_the_same_way_again(message)
          ? Error::permanent("postgres: " + message)
          : Error::retryable("postgres: cannot connect: " + message);
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      co_return Error::retryable("postgres: cannot connect: no answer within " +
                                 std::to_string(options.connect_timeout.count()) + " ms");
    }
    auto ready = co_await conn->wait(poll == PGRES_POLLING_WRITING, left);
    if (!ready.ok()) co_return ready.error();
    if (!*ready) continue;  // timed out: the deadline check above reports it
    poll = PQconnectPoll(raw);
  }
  if (PQsetnonblocking(raw, 1) != 0) {
    co_return Error::retryable("postgres: cannot switch to non-blocking mode: " +
                               tidy(PQerrorMessage(raw)));
  }
  co_return std::move(conn);
}

awaitable<Result<bool>> PgConnection::wait(bool for_write,
                                           std::optional<std::chrono::milliseconds> timeout) {
  const int fd = PQsocket(conn_);
  if (fd < 0) co_return connection_error("connection lost");
  waiter_->attach(fd);
  Waiter* waiter = waiter_.get();
  if (timeout) {
    waiter->timer.expires_after(*timeout);
    waiter->timer.async_wait([waiter](boost::system::error_code ec) {
      if (!ec) waiter->socket.cancel();
    });
  }
  auto [ec] =
      co_await waiter->socket.async_wait(for_write ? asio::posix::descriptor_base::wait_write
                                                   : asio::posix::descriptor_base::wait_read,
                                         kNoThrow);
  if (timeout) waiter->timer.cancel();
  auto cancelled = (co_await asio::this_coro::cancellation_state).cancelled();
  if (cancelled != asio::cancellation_type::none) {
    co_return Error::cancelled("postgres: operation cancelled");
  }
  if (ec == asio::error::operation_aborted) co_return false;
  if (ec) co_return connection_error("waiting for the socket: " + ec.message());
  co_return true;
}

void PgConnection::cancel_waits() {
  if (waiter_->socket.is_open()) waiter_->socket.cancel();
}

Error PgConnection::connection_error(std::string_view what) {
  last_sqlstate_.clear();
  std::string detail = tidy(PQerrorMessage(conn_));
  std::string message = "postgres: " + std::string(what);
  if (!detail.empty()) message += ": " + detail;
  return Error::retryable(std::move(message));
}

awaitable<Status> PgConnection::flush() {
  for (;;) {
    const int rc = PQflush(conn_);
    if (rc == 0) co_return Status{};
    if (rc < 0) co_return connection_error("sending");
    // The send buffer is full. Reading what the server sent meanwhile keeps both sides moving.
    auto ready = co_await wait(/*for_write=*/true, std::nullopt);
    if (!ready.ok()) co_return ready.error();
    if (PQconsumeInput(conn_) == 0) co_return connection_error("receiving");
  }
}

awaitable<Result<PgResult>> PgConnection::collect_results() {
  PgResult last;
  PgResult first_error;
  for (;;) {
    while (PQisBusy(conn_) == 0) {
      PgResult result(PQgetResult(conn_));
      if (!result) {
        if (first_error) {
          const char* state = PQresultErrorField(first_error.get(), PG_DIAG_SQLSTATE);
          last_sqlstate_ = state != nullptr ? state : "";
          std::string message = "postgres: " + tidy(PQresultErrorMessage(first_error.get()));
          co_return retryable_sqlstate(last_sqlstate_) ? Error::retryable(std::move(message))
                                                       : Error::permanent(std::move(message));
        }
        if (!last) co_return connection_error("no result");
        co_return std::move(last);
      }
      const auto status = PQresultStatus(result.get());
      if (status == PGRES_COPY_BOTH || status == PGRES_COPY_OUT || status == PGRES_COPY_IN) {
        co_return std::move(result);  // the copy has begun; no further results until it ends
      }
      if (status == PGRES_FATAL_ERROR || status == PGRES_NONFATAL_ERROR) {
        if (!first_error) first_error = std::move(result);
      } else {
        last = std::move(result);
      }
    }
    auto ready = co_await wait(/*for_write=*/false, std::nullopt);
    if (!ready.ok()) co_return ready.error();
    if (PQconsumeInput(conn_) == 0) co_return connection_error("receiving");
  }
}

awaitable<Result<PgResult>> PgConnection::query(const std::string& sql) {
  last_sqlstate_.clear();
  if (PQsendQuery(conn_, sql.c_str()) == 0) co_return connection_error("sending a query");
  if (Status s = co_await flush(); !s.ok()) co_return s.error();
  co_return co_await collect_results();
}

awaitable<Result<PgResult>> PgConnection::query(
    const std::string& sql, const std::vector<std::optional<std::string>>& params) {
  last_sqlstate_.clear();
  std::vector<const char*> values;
  values.reserve(params.size());
  for (const auto& p : params) values.push_back(p ? p->c_str() : nullptr);
  if (PQsendQueryParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr, values.data(),
                        nullptr, nullptr, 0) == 0) {
    co_return connection_error("sending a query");
  }
  if (Status s = co_await flush(); !s.ok()) co_return s.error();
  co_return co_await collect_results();
}

awaitable<Result<std::optional<std::string_view>>> PgConnection::read_copy_data(
    std::chrono::milliseconds timeout) {
  if (copy_buffer_ != nullptr) {
    PQfreemem(copy_buffer_);
    copy_buffer_ = nullptr;
  }
  bool waited = false;
  for (;;) {
    const int n = PQgetCopyData(conn_, &copy_buffer_, /*async=*/1);
    if (n > 0) co_return std::optional<std::string_view>(std::string_view(copy_buffer_, n));
    if (n == -2) co_return connection_error("replication stream broken");
    if (n == -1) {
      // The server ended the stream; its result says why (an error, or a clean end).
      auto ended = co_await collect_results();
      if (!ended.ok()) co_return ended.error();
      co_return Error::retryable("postgres: the server ended the replication stream");
    }
    if (waited) co_return std::optional<std::string_view>{};
    auto ready = co_await wait(/*for_write=*/false, timeout);
    if (!ready.ok()) co_return ready.error();
    if (!*ready) waited = true;  // one last look, then report the timeout
    if (PQconsumeInput(conn_) == 0) co_return connection_error("receiving");
  }
}

awaitable<Status> PgConnection::write_copy_data(std::string_view data) {
  if (PQputCopyData(conn_, data.data(), static_cast<int>(data.size())) != 1) {
    co_return connection_error("sending a status update");
  }
  co_return co_await flush();
}

awaitable<Status> PgConnection::copy_in(const std::string& copy_sql, std::string_view data) {
  auto started = co_await query(copy_sql);
  if (!started.ok()) co_return started.error();
  if (PQresultStatus(started->get()) != PGRES_COPY_IN) {
    co_return Error::permanent("postgres: the statement did not start a COPY FROM STDIN");
  }
  // Chunks well below libpq's int limit; each is queued, or waits until the socket drains.
  constexpr std::size_t kChunk = 1 << 20;
  while (!data.empty()) {
    const auto piece = data.substr(0, kChunk);
    const int rc = PQputCopyData(conn_, piece.data(), static_cast<int>(piece.size()));
    if (rc < 0) co_return connection_error("sending COPY data");
    if (rc == 0) {
      auto ready = co_await wait(/*for_write=*/true, std::nullopt);
      if (!ready.ok()) co_return ready.error();
      continue;
    }
    data.remove_prefix(piece.size());
  }
  for (;;) {
    const int rc = PQputCopyEnd(conn_, nullptr);
    if (rc < 0) co_return connection_error("ending COPY");
    if (rc == 1) break;
    auto ready = co_await wait(/*for_write=*/true, std::nullopt);
    if (!ready.ok()) co_return ready.error();
  }
  if (Status s = co_await flush(); !s.ok()) co_return s.error();
  auto ended = co_await collect_results();
  if (!ended.ok()) co_return ended.error();
  co_return Status{};
}

std::int64_t PgConnection::changed_rows(const PGresult* result) {
  const char* tuples = PQcmdTuples(const_cast<PGresult*>(result));
  return tuples == nullptr || *tuples == '\0' ? 0 : std::strtoll(tuples, nullptr, 10);
}

std::string PgConnection::quote_identifier(std::string_view name) const {
  char* quoted = PQescapeIdentifier(conn_, name.data(), name.size());
  if (quoted == nullptr) return "\"" + std::string(name) + "\"";
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

std::string PgConnection::quote_literal(std::string_view text) const {
  char* quoted = PQescapeLiteral(conn_, text.data(), text.size());
  if (quoted == nullptr) return "''";
  std::string out(quoted);
  PQfreemem(quoted);
  return out;
}

}  // namespace weft::pgcdc
