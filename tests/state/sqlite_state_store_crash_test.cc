// Fault test (CONVENTIONS.md "Tests"): a process saving checkpoints is SIGKILLed mid-stream; the
// next open must find an intact database holding the last acknowledged save or the one after it.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <string>

#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

// Child: continues the sequence stored under "orders", reporting each value on `ack_fd` only
// after save_checkpoint returned. Never returns; the parent kills it.
[[noreturn]] void save_forever(const std::string& path, int ack_fd) {
  auto store = open_sqlite_state_store(path);
  if (!store) _exit(2);
  auto current = (*store)->load_checkpoint("orders");
  if (!current) _exit(3);
  std::int64_t next = current->has_value() ? std::stoll((*current)->position) + 1 : 1;
  for (;; ++next) {
    if (!(*store)->save_checkpoint("orders", std::to_string(next)).ok()) _exit(4);
    if (write(ack_fd, &next, sizeof next) != sizeof next) _exit(5);
  }
}

// Parent: reads acknowledgements until `kill_after` arrived, kills the child, then drains what it
// wrote before dying. Returns the last acknowledged value (0 if none).
std::int64_t kill_after_acks(pid_t child, int ack_fd, int kill_after) {
  std::int64_t last = 0;
  int acks = 0;
  bool killed = false;
  for (;;) {
    std::int64_t value = 0;
    const ssize_t n = read(ack_fd, &value, sizeof value);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;                                 // EOF: the child is gone
    EXPECT_EQ(n, static_cast<ssize_t>(sizeof value));  // pipe writes this small are atomic
    last = value;
    if (++acks == kill_after && !killed) {
      kill(child, SIGKILL);
      killed = true;
    }
  }
  EXPECT_TRUE(killed) << "the child stopped after " << acks << " saves";
  return last;
}

TEST(SqliteStateStoreCrash, KilledWriterLosesNoAcknowledgedSave) {
  state_test::TempDir dir;
  const std::string path = dir.file("state.db");
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      save_forever(path, fds[1]);
    }
    close(fds[1]);
    const std::int64_t acknowledged = kill_after_acks(pid, fds[0], 20 + 17 * round);
    close(fds[0]);
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
        << "child exited with status " << status;

    state_test::RawDatabase raw(path);
    EXPECT_EQ(raw.query("PRAGMA integrity_check"), "ok");

    auto store = open_sqlite_state_store(path);
    ASSERT_TRUE(store.ok()) << store.error().message();
    auto loaded = (*store)->load_checkpoint("orders");
    ASSERT_TRUE(loaded.ok()) << loaded.error().message();
    ASSERT_TRUE(loaded->has_value());
    const std::int64_t stored = std::stoll((*loaded)->position);
    // At most one save can have completed without its acknowledgement reaching the pipe.
    EXPECT_GE(stored, acknowledged);
    EXPECT_LE(stored, acknowledged + 1);
  }
}

}  // namespace
}  // namespace weft
