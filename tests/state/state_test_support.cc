#include "state/state_test_support.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace weft::state_test {

RawDatabase::RawDatabase(const std::string& path) {
  if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << "open " << path << ": " << sqlite3_errmsg(db_);
  }
  sqlite3_busy_timeout(db_, 5000);
}

RawDatabase::~RawDatabase() { sqlite3_close_v2(db_); }

void RawDatabase::exec(const std::string& sql) {
  if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
  }
}

std::string RawDatabase::query(const std::string& sql) {
  sqlite3_stmt* stmt = nullptr;
  std::string result;
  if (sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr) != SQLITE_OK) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
    return result;
  }
  const int rc = sqlite3_step(stmt);
  if (rc == SQLITE_ROW) {
    if (const unsigned char* text = sqlite3_column_text(stmt, 0)) {
      result = reinterpret_cast<const char*>(text);
    }
  } else if (rc != SQLITE_DONE) {
    ADD_FAILURE() << sql << ": " << sqlite3_errmsg(db_);
  }
  sqlite3_finalize(stmt);
  return result;
}

ChildResult run_in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (pipe(fds) != 0) throw std::system_error(errno, std::system_category(), "pipe");
  const pid_t pid = fork();
  if (pid < 0) throw std::system_error(errno, std::system_category(), "fork");
  if (pid == 0) {
    close(fds[0]);
    const std::string output = body();
    std::size_t written = 0;
    while (written < output.size()) {
      const ssize_t n = write(fds[1], output.data() + written, output.size() - written);
      if (n <= 0) _exit(3);
      written += static_cast<std::size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  ChildResult result;
  char buffer[4096];
  ssize_t n = 0;
  while ((n = read(fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    result.output.append(buffer, static_cast<std::size_t>(n));
  }
  close(fds[0]);
  waitpid(pid, &result.wait_status, 0);
  return result;
}

void limit_file_size(unsigned long bytes) {
  signal(SIGXFSZ, SIG_IGN);  // else the kernel kills the process instead of failing the write
  const rlimit limit{bytes, bytes};
  setrlimit(RLIMIT_FSIZE, &limit);
}

std::unique_ptr<StateStore> open_store_or_fail(const std::string& path,
                                               const SqliteStateStoreOptions& options) {
  auto store = open_sqlite_state_store(path, options);
  EXPECT_TRUE(store.ok()) << store.error().message();
  return store.ok() ? std::move(*store) : nullptr;
}

void expect_same_record(const Record& actual_record, const Record& expected_record,
                        const std::string& where) {
  SCOPED_TRACE(where);
  // Copies: Payload::text() on an empty payload caches "null" and makes it non-empty.
  const Record actual = actual_record;
  const Record expected = expected_record;
  EXPECT_EQ(actual.key, expected.key);
  EXPECT_EQ(actual.value.empty(), expected.value.empty());
  EXPECT_EQ(actual.value.text(), expected.value.text());
  EXPECT_EQ(actual.op, expected.op);
  ASSERT_EQ(actual.before.has_value(), expected.before.has_value());
  if (expected.before) {
    EXPECT_EQ(actual.before->empty(), expected.before->empty());
    EXPECT_EQ(actual.before->text(), expected.before->text());
  }
  EXPECT_EQ(actual.headers, expected.headers);
  EXPECT_EQ(actual.id, expected.id);
  EXPECT_EQ(actual.rejected, expected.rejected);
  EXPECT_EQ(actual.event_time, expected.event_time);
  EXPECT_EQ(actual.ingest_time, expected.ingest_time);
  EXPECT_EQ(actual.position, expected.position);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream contents;
  contents << in.rdbuf();
  return contents.str();
}

void write_file(const std::string& path, const std::string& contents) {
  std::ofstream(path, std::ios::binary) << contents;
}

}  // namespace weft::state_test
