#pragma once

// A helper process for tests (a fake server): its stdin is a pipe this object holds, its stdout
// is read line by line, its stderr goes to a log file. Closing stdin is the agreed way to tell
// it to exit, so a test that dies, even by kill -9, takes its helpers with it.
//
//   ChildProcess child;
//   child.start({binary, "--flag"}, log_path);
//   auto first = child.read_line(std::chrono::seconds(30));  // e.g. the port it listens on
//   child.write_line("command");
//
// Not thread-safe; one owner.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace weft::test {

class ChildProcess {
 public:
  ChildProcess() = default;
  ~ChildProcess() { stop(); }
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Starts argv[0] (a path) with `args`; stderr appends to `log_path`. Throws std::system_error
  // when the process cannot be started at all (an exec failure shows as exit status 127).
  void start(const std::vector<std::string>& argv, const std::string& log_path);

  // The next line the child printed (without its newline); nullopt when none came within
  // `timeout` or the child closed its stdout.
  std::optional<std::string> read_line(std::chrono::milliseconds timeout);

  // Sends one line to the child's stdin; false when the child is gone.
  bool write_line(const std::string& line);

  // Closes stdin, sends SIGTERM, and waits up to 5 s before SIGKILL. No-op when not running.
  void stop();

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int stdout_fd_ = -1;
  std::string pending_;  // bytes read from stdout after the last line returned
};

}  // namespace weft::test
