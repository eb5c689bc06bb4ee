#pragma once

// Helpers shared by the state store tests: a scratch directory, raw SQLite access to inspect
// what the store wrote, and running code in a forked child (for crashes and per-process limits).

#include <sqlite3.h>

#include <functional>
#include <memory>
#include <string>

#include "state/state_store.h"
#include "support/temp_dir.h"

namespace weft::state_test {

using TempDir = weft::test::TempDir;

// A connection of its own to a database file, opened without the store, for tests that inspect
// or tamper with the file. Fails the current test (ADD_FAILURE) on SQLite errors.
class RawDatabase {
 public:
  explicit RawDatabase(const std::string& path);
  ~RawDatabase();
  RawDatabase(const RawDatabase&) = delete;
  RawDatabase& operator=(const RawDatabase&) = delete;

  sqlite3* get() const { return db_; }
  void exec(const std::string& sql);
  // The first column of the first row as text ("" when there is no row).
  std::string query(const std::string& sql);

 private:
  sqlite3* db_ = nullptr;
};

struct ChildResult {
  std::string output;   // everything the child wrote to the pipe
  int wait_status = 0;  // as filled in by waitpid
};

// Forks; the child runs `body`, writes what it returns to a pipe and _exits without running
// destructors or atexit handlers. Call only while this process has no other threads.
ChildResult run_in_child(const std::function<std::string()>& body);

// Sets RLIMIT_FSIZE (and ignores SIGXFSZ) in the calling process, so that any write to a file at
// or past `bytes` fails with EFBIG: an unwritable disk, even for root. Use inside run_in_child.
void limit_file_size(unsigned long bytes);

// Opens the store, failing the current test (and returning null) when that fails.
std::unique_ptr<StateStore> open_store_or_fail(const std::string& path,
                                               const SqliteStateStoreOptions& options = {});

// Expects every field of the two records to be equal; payloads compare by their text (what a
// sink writes) and by whether they are empty. `where` labels failures.
void expect_same_record(const Record& actual, const Record& expected, const std::string& where);

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& contents);

}  // namespace weft::state_test
