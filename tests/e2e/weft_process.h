#pragma once

// Starts the real `weft` binary for end-to-end tests and talks to it the way an operator would:
// signals, the admin port it logs, its exit code, its stderr.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace weft::test {

// The weft binary under test (CTest passes WEFT_BINARY).
std::string weft_binary();

// weft with the `fault` test sink (its path is compiled into the e2e tests).
std::string fault_daemon_binary();

class WeftProcess {
 public:
  // Runs `weft <args...>` with stdout and stderr captured to `log_path`; `binary` replaces the
  // weft binary under test (e.g. fault_daemon_binary()).
  WeftProcess(const std::vector<std::string>& args, std::string log_path,
              std::string binary = weft_binary());
  ~WeftProcess();  // SIGKILLs the process if it is still running
  WeftProcess(const WeftProcess&) = delete;
  WeftProcess& operator=(const WeftProcess&) = delete;

  int pid() const { return pid_; }
  void signal(int sig);

  // Waits for exit; returns the exit code (128+signal when killed), nullopt on timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);

  // The admin port, read from the "admin server listening on HOST:PORT" start-up line.
  std::optional<unsigned short> admin_port(std::chrono::milliseconds timeout);
  // The webhook listener's port, read from "webhooks: listening on HOST:PORT (port N)", logged
  // when the first webhook pipeline starts.
  std::optional<unsigned short> webhook_port(std::chrono::milliseconds timeout);

  std::string output() const;

 private:
  // The number `pattern`'s first group captures in the output, once it appears.
  std::optional<unsigned short> logged_port(const std::string& pattern,
                                            std::chrono::milliseconds timeout);

  int pid_ = -1;
  std::optional<int> exit_code_;
  std::string log_path_;
};

// Runs weft to completion (for validate, spec, failing starts) and returns {exit code, output}.
std::pair<int, std::string> run_weft(const std::vector<std::string>& args,
                                     const std::string& log_path);

}  // namespace weft::test
