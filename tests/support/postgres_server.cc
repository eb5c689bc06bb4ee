#include "support/postgres_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "support/temp_dir.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;

constexpr int kStartAttempts = 8;
constexpr std::size_t kLogTail = 4000;

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string tail(const std::string& text, std::size_t n = kLogTail) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

std::string quote_shell(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

bool is_executable(const fs::path& p) { return ::access(p.c_str(), X_OK) == 0; }

// WEFT_PG_BINDIR, else /usr/lib/postgresql/15/bin, else the highest /usr/lib/postgresql/*/bin,
// else `pg_config --bindir` (on Debian that one is often the client-only directory).
std::string find_bin_dir() {
  if (const char* env = std::getenv("WEFT_PG_BINDIR"); env != nullptr && *env != '\0') {
    if (is_executable(fs::path(env) / "initdb")) return env;
    throw std::runtime_error(std::string("WEFT_PG_BINDIR=") + env + " holds no initdb");
  }
  const fs::path root = "/usr/lib/postgresql";
  if (is_executable(root / "15" / "bin" / "initdb")) return (root / "15" / "bin").string();
  int best = -1;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(root, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || !std::all_of(name.begin(), name.end(), ::isdigit)) continue;
    if (is_executable(entry.path() / "bin" / "initdb")) best = std::max(best, std::stoi(name));
  }
  if (best >= 0) return (root / std::to_string(best) / "bin").string();
  if (FILE* p = ::popen("pg_config --bindir 2>/dev/null", "r"); p != nullptr) {
    char buf[4096] = {};
    const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
    ::pclose(p);
    std::string dir = got ? std::string(buf) : std::string();
    while (!dir.empty() && (dir.back() == '\n' || dir.back() == '\r')) dir.pop_back();
    if (!dir.empty() && is_executable(fs::path(dir) / "initdb")) return dir;
  }
  throw std::runtime_error(
      "PostgreSQL server binaries not found (no initdb in /usr/lib/postgresql/*/bin); run "
      "scripts/install-deps.sh or set WEFT_PG_BINDIR");
}

std::string find_runuser() {
  for (const char* p : {"/usr/sbin/runuser", "/sbin/runuser", "/usr/bin/runuser", "/bin/runuser"}) {
    if (is_executable(p)) return p;
  }
  throw std::runtime_error("running as root but runuser is missing: PostgreSQL refuses root");
}

bool running_as_root() { return ::geteuid() == 0; }

// The argv prefix that runs a PostgreSQL tool as an allowed user.
std::vector<std::string> as_postgres_user() {
  if (!running_as_root()) return {};
  return {find_runuser(), "-u", "postgres", "--"};
}

// argv for `<bin_dir>/<tool> args...`, as the postgres OS user when we are root.
std::vector<std::string> pg_tool(const std::string& bin_dir, const std::string& tool,
                                 const std::vector<std::string>& args) {
  auto argv = as_postgres_user();
  argv.push_back(bin_dir + "/" + tool);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

struct PostgresIds {
  uid_t uid;
  gid_t gid;
};

PostgresIds postgres_ids() {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (::getpwnam_r("postgres", &pw, buf.data(), buf.size(), &found) != 0 || found == nullptr) {
    throw std::runtime_error("running as root but there is no `postgres` OS user to run as");
  }
  return {pw.pw_uid, pw.pw_gid};
}

// As root, the postgres user must be able to reach the directory: every ancestor needs o+x.
void check_traversable(const fs::path& dir) {
  for (fs::path p = dir.parent_path(); !p.empty(); p = p.parent_path()) {
    struct stat st {};
    if (::stat(p.c_str(), &st) == 0 && (st.st_mode & S_IXOTH) == 0) {
      throw std::runtime_error("the postgres user cannot traverse " + p.string() +
                               "; set TMPDIR to a directory it can reach (e.g. /tmp)");
    }
    if (p == p.root_path()) break;
  }
}

void chown_tree(const fs::path& dir, PostgresIds ids) {
  auto own = [&](const fs::path& p) {
    if (::lchown(p.c_str(), ids.uid, ids.gid) != 0) {
      throw std::system_error(errno, std::system_category(), "chown " + p.string());
    }
  };
  own(dir);
  for (const auto& entry : fs::recursive_directory_iterator(dir)) own(entry.path());
}

// Runs argv[0] (an absolute path) with cwd `cwd`, stdin from /dev/null and stdout+stderr into
// `output_path`; returns the exit status (-1 when killed by a signal). Only async-signal-safe
// calls happen between fork and exec, since test binaries may have threads.
int run_command(const std::vector<std::string>& args, const std::string& cwd,
                const std::string& output_path) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::system_error(errno, std::system_category(), "fork");
  if (pid == 0) {
    if (::chdir(cwd.c_str()) != 0) ::_exit(126);
    const int in = ::open("/dev/null", O_RDONLY);
    const int out = ::open(output_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0) ::_exit(126);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    ::close_range(3, ~0U, 0);  // nothing of the test process leaks into the postmaster
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw std::system_error(errno, std::system_category(), "waitpid");
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A port that was free on 127.0.0.1 a moment ago (the kernel's pick for port 0). Someone else
// may take it before the server binds; start() retries with another one.
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::system_error(errno, std::system_category(), "socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::system_error(err, std::system_category(), "bind 127.0.0.1:0");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_is_free(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  const bool ok = ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

bool looks_like_port_collision(const std::string& log) {
  return log.find("could not bind") != std::string::npos ||
         log.find("Address already in use") != std::string::npos ||
         log.find("could not create any TCP/IP sockets") != std::string::npos;
}

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};

std::string quote_ident(const std::string& name) {
  std::string out = "\"";
  for (char c : name) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

}  // namespace

PostgresServer::PostgresServer() = default;

PostgresServer::~PostgresServer() {
  try {
    stop(StopMode::kImmediate);
  } catch (...) {
    // The watchdog's cleanup below still runs if the server outlived the stop attempt.
  }
  const bool stopped = !running_;
  if (stopped) disarm_watchdog();
  dir_.reset();
  if (!stopped && watchdog_fd_ >= 0) ::close(watchdog_fd_);  // EOF: the watchdog cleans up
}

PostgresServer& PostgresServer::shared() {
  static std::mutex mu;
  static std::unique_ptr<PostgresServer> server;
  std::lock_guard<std::mutex> lock(mu);
  if (!server) {
    auto started = std::make_unique<PostgresServer>();
    started->start();
    server = std::move(started);
  }
  return *server;
}

void PostgresServer::init_cluster() {
  bin_dir_ = find_bin_dir();
  dir_ = std::make_unique<TempDir>();
  const fs::path dir = dir_->path();
  arm_watchdog();
  fs::create_directory(dir / "socket");
  if (running_as_root()) {
    check_traversable(dir);
    chown_tree(dir, postgres_ids());
  }

  const auto args = pg_tool(bin_dir_, "initdb",
                            {"-D", (dir / "data").string(), "-U", "postgres", "--auth=trust",
                             "--no-sync", "--no-locale", "-E", "UTF8"});
  const std::string out = (dir / "initdb.out").string();
  if (run_command(args, dir.string(), out) != 0) {
    throw std::runtime_error("initdb failed:\n" + tail(read_file(out)));
  }

  // Appended, so the last setting wins over initdb's; the files keep their owner.
  std::ofstream conf(dir / "data" / "postgresql.conf", std::ios::app);
  conf << "\n# weft::test::PostgresServer\n"
       << "listen_addresses = '127.0.0.1'\n"
       << "unix_socket_directories = '" << (dir / "socket").string() << "'\n"
       << "wal_level = logical\n"
       << "max_replication_slots = 10\n"
       << "max_wal_senders = 10\n"
       << "fsync = off\n"
       << "synchronous_commit = off\n"
       // Walsenders and logical decoding stop at the flushed WAL: flush async commits promptly.
       << "wal_writer_delay = 10ms\n"
       << "full_page_writes = off\n"
       << "max_connections = 50\n"
       << "shared_buffers = 32MB\n"
       << "max_parallel_workers_per_gather = 0\n"
       << "log_line_prefix = '%m [%p] %q%u@%d '\n"
       << "log_replication_commands = on\n";
  conf.close();
  std::ofstream hba(dir / "data" / "pg_hba.conf", std::ios::trunc);
  hba << "# weft::test::PostgresServer: trust everything local, replication included\n"
      << "local all all trust\n"
      << "local replication all trust\n"
      << "host all all 127.0.0.1/32 trust\n"
      << "host replication all 127.0.0.1/32 trust\n";
  hba.close();
  if (!conf || !hba) {
    throw std::runtime_error("cannot write the cluster configuration in " + dir.string());
  }
}

void PostgresServer::start() {
  if (running_) return;
  if (!dir_) {
    try {
      init_cluster();
    } catch (...) {
      disarm_watchdog();
      dir_.reset();  // the next start() begins afresh
      throw;
    }
  }
  std::string error;
  int port = port_ != 0 && port_is_free(port_) ? port_ : free_port();
  for (int attempt = 1;; ++attempt) {
    if (try_start(port, error)) {
      port_ = port;
      running_ = true;
      return;
    }
    if (attempt == kStartAttempts || !looks_like_port_collision(error)) {
      throw std::runtime_error("PostgreSQL did not start (attempt " + std::to_string(attempt) +
                               ", port " + std::to_string(port) + "):\n" + error);
    }
    port = free_port();
  }
}

bool PostgresServer::try_start(int port, std::string& error) {
  const fs::path dir = dir_->path();
  const fs::path log = dir / "postgres.log";
  std::error_code ec;
  const auto log_before = fs::exists(log, ec) ? fs::file_size(log, ec) : 0;

  const auto args = pg_tool(bin_dir_, "pg_ctl",
                            {"start", "-w", "-t", "60", "-D", (dir / "data").string(), "-l",
                             log.string(), "-o", "-p " + std::to_string(port)});
  const std::string out = (dir / "pg_ctl.out").string();
  if (run_command(args, dir.string(), out) == 0) return true;

  const std::string full_log = read_file(log);
  const std::string this_attempt =
      log_before < full_log.size() ? full_log.substr(log_before) : std::string();
  error = "pg_ctl: " + tail(read_file(out), 1000) + "\nserver log (" + log.string() + "):\n" +
          tail(this_attempt);
  // pg_ctl may have given up waiting on a server that is still coming up.
  const auto stop_args =
      pg_tool(bin_dir_, "pg_ctl", {"stop", "-D", (dir / "data").string(), "-m", "immediate", "-w"});
  run_command(stop_args, dir.string(), (dir / "pg_ctl_stop.out").string());
  return false;
}

void PostgresServer::stop(StopMode mode) {
  if (!running_) return;
  const fs::path dir = dir_->path();
  const auto args = pg_tool(bin_dir_, "pg_ctl",
                            {"stop", "-D", (dir / "data").string(), "-m",
                             mode == StopMode::kFast ? "fast" : "immediate", "-w", "-t", "60"});
  const std::string out = (dir / "pg_ctl_stop.out").string();
  if (run_command(args, dir.string(), out) != 0) {
    throw std::runtime_error("pg_ctl stop failed:\n" + tail(read_file(out)) + "\nserver log:\n" +
                             tail(server_log()));
  }
  running_ = false;
}

std::string PostgresServer::conninfo(const std::string& dbname, const std::string& user) const {
  return "host=127.0.0.1 port=" + std::to_string(port_) + " user=" + user + " dbname=" + dbname;
}

PostgresServer::Rows PostgresServer::execute(const std::string& sql,
                                             const std::string& dbname) const {
  std::unique_ptr<PGconn, ConnDeleter> conn(
      PQconnectdb((conninfo(dbname) + " connect_timeout=10").c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw std::runtime_error("cannot connect to " + conninfo(dbname) + ": " +
                             (conn ? PQerrorMessage(conn.get()) : "out of memory"));
  }
  PQsetNoticeProcessor(
      conn.get(), [](void*, const char*) {}, nullptr);
  if (PQsendQuery(conn.get(), sql.c_str()) == 0) {
    throw std::runtime_error(std::string("cannot send query: ") + PQerrorMessage(conn.get()));
  }
  Rows rows;
  std::string error;
  while (PGresult* raw = PQgetResult(conn.get())) {
    std::unique_ptr<PGresult, ResultDeleter> result(raw);
    const ExecStatusType status = PQresultStatus(raw);
    if (status == PGRES_TUPLES_OK) {
      rows.clear();
      for (int r = 0; r < PQntuples(raw); ++r) {
        Row row;
        for (int c = 0; c < PQnfields(raw); ++c) {
          if (PQgetisnull(raw, r, c)) {
            row.emplace_back(std::nullopt);
          } else {
            row.emplace_back(std::string(PQgetvalue(raw, r, c), PQgetlength(raw, r, c)));
          }
        }
        rows.push_back(std::move(row));
      }
    } else if (status != PGRES_COMMAND_OK && status != PGRES_EMPTY_QUERY && error.empty()) {
      error = PQresultErrorMessage(raw);
    }
  }
  if (!error.empty()) {
    while (!error.empty() && error.back() == '\n') error.pop_back();
    throw std::runtime_error(error + " (SQL: " + tail(sql, 300) + ")");
  }
  return rows;
}

std::string PostgresServer::scalar(const std::string& sql, const std::string& dbname) const {
  const Rows rows = execute(sql, dbname);
  if (rows.empty() || rows.front().empty() || !rows.front().front()) {
    throw std::runtime_error("no value from: " + sql);
  }
  return *rows.front().front();
}

void PostgresServer::create_database(const std::string& name) const {
  execute("CREATE DATABASE " + quote_ident(name) + " TEMPLATE template0");
}

void PostgresServer::create_login_role(const std::string& name) const {
  execute("CREATE ROLE " + quote_ident(name) + " LOGIN NOSUPERUSER NOREPLICATION");
}

std::string PostgresServer::server_log() const {
  return dir_ ? read_file(dir_->path() / "postgres.log") : std::string();
}

std::string PostgresServer::directory() const { return dir_ ? dir_->path().string() : ""; }

// The watchdog is a detached process (double fork, own session, so neither a CTest kill of the
// test's process tree nor a Ctrl-C reaches it) blocked reading a pipe whose only write end this
// object holds (O_CLOEXEC, so no exec'd child inherits it). A byte means "the owner cleaned up";
// EOF means the test process died: it stops the cluster and removes the directory.
void PostgresServer::arm_watchdog() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::system_category(), "pipe");
  const fs::path dir = dir_->path();
  std::string pg_ctl;
  for (const auto& a :
       pg_tool(bin_dir_, "pg_ctl", {"stop", "-D", (dir / "data").string(), "-m", "immediate"})) {
    pg_ctl += quote_shell(a) + " ";
  }
  const std::string script = pg_ctl + "-w >/dev/null 2>&1; rm -rf " + quote_shell(dir.string());
  const char* argv[] = {"/bin/sh", "-c", script.c_str(), nullptr};
  const int keep = fds[0];

  const pid_t pid = ::fork();
  if (pid < 0) {
    const int err = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::system_error(err, std::system_category(), "fork");
  }
  if (pid == 0) {
    if (::fork() != 0) ::_exit(0);
    ::setsid();
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) {
      ::dup2(null, 0);
      ::dup2(null, 1);  // must not hold CTest's output pipe open
      ::dup2(null, 2);
    }
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
    ::close_range(static_cast<unsigned>(keep) + 1, ~0U, 0);
    char byte = 0;
    ssize_t n;
    while ((n = ::read(keep, &byte, 1)) < 0 && errno == EINTR) {
    }
    if (n == 1) ::_exit(0);
    ::execv(argv[0], const_cast<char* const*>(argv));
    ::_exit(127);
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  watchdog_fd_ = fds[1];
}

void PostgresServer::disarm_watchdog() {
  if (watchdog_fd_ < 0) return;
  const char byte = 'x';
  while (::write(watchdog_fd_, &byte, 1) < 0 && errno == EINTR) {
  }
  ::close(watchdog_fd_);
  watchdog_fd_ = -1;
}

}  // namespace weft::test
