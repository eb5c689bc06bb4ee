// `weft top` on a terminal (a pseudo-terminal the test holds the other end of): it redraws in
// place, acts on single keys, and leaves the terminal as it found it, also when Ctrl-C ends it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "cli/admin_fixture.h"
#include "e2e/weft_process.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

// `weft top` with its standard input, output and error on a new pseudo-terminal.
class TopOnTerminal {
 public:
  explicit TopOnTerminal(const std::vector<std::string>& args) {
    winsize size{};
    size.ws_row = 24;
    size.ws_col = 110;
    if (::openpty(&master_, &slave_, nullptr, nullptr, &size) != 0) {
      ADD_FAILURE() << "openpty failed";
      return;
    }
    std::string binary = weft_binary();
    std::vector<std::string> copy = args;
    std::vector<char*> argv{binary.data()};
    for (auto& arg : copy) argv.push_back(arg.data());
    argv.push_back(nullptr);
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setsid();
      ::ioctl(slave_, TIOCSCTTY, 0);
      ::dup2(slave_, 0);
      ::dup2(slave_, 1);
      ::dup2(slave_, 2);
      ::close(master_);
      ::close(slave_);
      ::setenv("WEFT_ADMIN_TOKEN", "", 1);
      ::execv(binary.c_str(), argv.data());
      ::_exit(127);
    }
  }
  ~TopOnTerminal() {
    if (!exit_status_ && pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
    ::close(master_);
    ::close(slave_);
  }

  // Reads what weft shows until it contains `text` (after what earlier calls consumed), at most
  // 10 s. Returns whether it appeared.
  bool shows(const std::string& text) {
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline;) {
      if (const auto found = screen_.find(text, seen_); found != std::string::npos) {
        seen_ = found + text.size();
        return true;
      }
      read_some(50);
    }
    return false;
  }

  void type(char key) { ASSERT_EQ(::write(master_, &key, 1), 1); }

  // The wait status once weft has exited (and everything it showed has been read), at most 10 s.
  std::optional<int> wait() {
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline;) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        exit_status_ = status;
        while (read_some(100)) {
        }
        return status;
      }
      read_some(10);  // weft must never block writing to a full terminal
    }
    return std::nullopt;
  }

  // Whether the terminal is back in line mode with echo, as a shell expects it.
  bool line_mode_with_echo() const {
    termios settings{};
    if (::tcgetattr(slave_, &settings) != 0) return false;
    return (settings.c_lflag & ICANON) != 0 && (settings.c_lflag & ECHO) != 0;
  }

  const std::string& screen() const { return screen_; }

 private:
  // Appends what weft wrote within `timeout_ms`; false when it wrote nothing.
  bool read_some(int timeout_ms) {
    pollfd ready{master_, POLLIN, 0};
    if (::poll(&ready, 1, timeout_ms) != 1) return false;
    char buffer[4096];
    const ssize_t n = ::read(master_, buffer, sizeof buffer);
    if (n <= 0) return false;
    screen_.append(buffer, static_cast<std::size_t>(n));
    return true;
  }

  int master_ = -1;
  int slave_ = -1;
  pid_t pid_ = -1;
  std::optional<int> exit_status_;
  std::string screen_;
  std::size_t seen_ = 0;
};

using TopTerminalTest = AdminVerbTest;

TEST_F(TopTerminalTest, RedrawsInPlaceSortsOnAKeyAndQuitsOnQ) {
  serve_pipelines(sample_pipelines());
  TopOnTerminal top({"top", "--config", config_, "--interval", "0.2"});
  ASSERT_TRUE(top.shows("\x1b[?25l")) << top.screen();  // the cursor is hidden
  ASSERT_TRUE(top.shows("\x1b[H")) << top.screen();     // drawn from the top left corner
  ASSERT_TRUE(top.shows("sorted by name  (n/r/e: sort, q: quit)")) << top.screen();
  ASSERT_TRUE(top.shows("legacy  running")) << top.screen();
  ASSERT_TRUE(top.shows("\x1b[J")) << top.screen();  // what an earlier screen left is erased
  EXPECT_FALSE(top.line_mode_with_echo());
  top.type('r');
  ASSERT_TRUE(top.shows("sorted by rate")) << top.screen();
  ASSERT_TRUE(top.shows("orders  running  12.5")) << top.screen();  // the busiest first
  ASSERT_TRUE(top.shows("sorted by rate")) << top.screen();         // refreshed, sort kept
  top.type('q');
  const auto status = top.wait();
  ASSERT_TRUE(status) << top.screen();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
  EXPECT_TRUE(top.screen().ends_with("\x1b[?25h")) << top.screen();  // the cursor is back
  EXPECT_TRUE(top.line_mode_with_echo());
  EXPECT_GE(server_->requests().size(), 2u);
}

TEST_F(TopTerminalTest, CtrlCRestoresTheTerminal) {
  serve_pipelines(sample_pipelines());
  TopOnTerminal top({"top", "--config", config_});
  ASSERT_TRUE(top.shows("legacy  running")) << top.screen();
  EXPECT_FALSE(top.line_mode_with_echo());
  top.type('\x03');  // Ctrl-C: the terminal sends SIGINT
  const auto status = top.wait();
  ASSERT_TRUE(status) << top.screen();
  EXPECT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGINT) << *status;
  EXPECT_TRUE(top.shows("\x1b[?25h")) << top.screen();
  EXPECT_TRUE(top.line_mode_with_echo());
}

TEST_F(TopTerminalTest, ADaemonThatGoesAwayIsShownAndRetried) {
  serve_pipelines(sample_pipelines());
  TopOnTerminal top({"top", "--config", config_, "--interval", "0.3", "--iterations", "8"});
  ASSERT_TRUE(top.shows("legacy  running")) << top.screen();
  server_.reset();  // the daemon stops
  ASSERT_TRUE(top.shows("weft top: " + url("/api/pipelines") +
                        ": no daemon is listening (is weft running?); trying again"))
      << top.screen();
  EXPECT_TRUE(top.shows("legacy  running")) << top.screen();  // the last table stays
  const auto status = top.wait();
  ASSERT_TRUE(status) << top.screen();
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << *status;
}

}  // namespace
}  // namespace weft::test
