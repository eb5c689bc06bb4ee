#include "e2e/weft_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include <fcntl.h>

#include <cstdlib>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace weft::test {

std::string weft_binary() {
  const char* path = std::getenv("WEFT_BINARY");
  if (path == nullptr) throw std::runtime_error("WEFT_BINARY is not set (run the tests via ctest)");
  return path;
}

std::string fault_daemon_binary() {
#ifdef WEFT_FAULT_DAEMON_PATH
  return WEFT_FAULT_DAEMON_PATH;
#else
  throw std::runtime_error("this test binary is not built with the fault daemon");
#endif
}

WeftProcess::WeftProcess(const std::vector<std::string>& args, std::string log_path,
                         std::string binary)
    : log_path_(std::move(log_path)) {
  pid_ = ::fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    argv.push_back(binary.data());
    std::vector<std::string> copy = args;
    for (auto& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(binary.c_str(), argv.data());
    ::_exit(127);
  }
}

WeftProcess::~WeftProcess() {
  if (pid_ > 0 && !exit_code_) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
}

void WeftProcess::signal(int sig) { ::kill(pid_, sig); }

std::optional<int> WeftProcess::wait(std::chrono::milliseconds timeout) {
  if (exit_code_) return exit_code_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    pid_t r = ::waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      return exit_code_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::optional<unsigned short> WeftProcess::admin_port(std::chrono::milliseconds timeout) {
  return logged_port(R"(admin server listening on [^ ]*:(\d+))", timeout);
}

std::optional<unsigned short> WeftProcess::webhook_port(std::chrono::milliseconds timeout) {
  return logged_port(R"(webhooks: listening on [^ ]* \(port (\d+)\))", timeout);
}

std::optional<unsigned short> WeftProcess::logged_port(const std::string& pattern,
                                                       std::chrono::milliseconds timeout) {
  const std::regex kListening(pattern);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = output();
    if (std::regex_search(text, m, kListening)) {
      return static_cast<unsigned short>(std::stoi(m[1]));
    }
    if (wait(std::chrono::milliseconds(0))) return std::nullopt;  // exited
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

std::string WeftProcess::output() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::pair<int, std::string> run_weft(const std::vector<std::string>& args,
                                     const std::string& log_path) {
  WeftProcess p(args, log_path);
  auto code = p.wait(std::chrono::seconds(30));
  return {code.value_or(-1), p.output()};
}

}  // namespace weft::test
