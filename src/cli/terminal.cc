#include "cli/terminal.h"

#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <thread>

namespace weft::cli {
namespace {

// What the signal handlers need to restore the terminal; set while a KeyReader lives.
struct termios g_saved;
volatile sig_atomic_t g_keys = 0;  // g_saved holds standard input's settings to restore
volatile sig_atomic_t g_resized = 0;

constexpr char kHideCursor[] = "\x1b[?25l";
constexpr char kShowCursor[] = "\x1b[?25h";
constexpr int kEndingSignals[] = {SIGINT, SIGTERM, SIGHUP};

void write_all(const char* text, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(STDOUT_FILENO, text, size);
    if (n <= 0 && errno != EINTR) return;
    if (n > 0) {
      text += n;
      size -= static_cast<std::size_t>(n);
    }
  }
}

// Async-signal-safe: tcsetattr and write only.
void restore_terminal() {
  if (g_keys) ::tcsetattr(STDIN_FILENO, TCSANOW, &g_saved);
  write_all(kShowCursor, sizeof kShowCursor - 1);
}

void enter_key_mode() {
  if (g_keys) {
    struct termios raw = g_saved;
    raw.c_lflag &= ~static_cast<tcflag_t>(ICANON | ECHO);  // ISIG stays: Ctrl-C still works
    raw.c_cc[VMIN] = 1;
    raw.c_cc[VTIME] = 0;
    ::tcsetattr(STDIN_FILENO, TCSANOW, &raw);
  }
  write_all(kHideCursor, sizeof kHideCursor - 1);
}

void install(int sig, void (*handler)(int)) {
  struct sigaction action {};
  action.sa_handler = handler;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a resize interrupts poll() so the screen is redrawn
  ::sigaction(sig, &action, nullptr);
}

void on_ending_signal(int sig) {
  const int saved_errno = errno;
  restore_terminal();
  ::signal(sig, SIG_DFL);
  ::raise(sig);
  errno = saved_errno;
}

void on_stop(int) {
  const int saved_errno = errno;
  restore_terminal();
  ::signal(SIGTSTP, SIG_DFL);
  ::raise(SIGTSTP);  // stops here until `fg`
  install(SIGTSTP, on_stop);
  enter_key_mode();
  g_resized = 1;  // redraw: the shell wrote over the screen meanwhile
  errno = saved_errno;
}

void on_resize(int) { g_resized = 1; }

std::optional<winsize> window_size() {
  winsize size{};
  if (::ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) != 0 || size.ws_col == 0) return std::nullopt;
  return size;
}

}  // namespace

bool stdout_is_terminal() { return ::isatty(STDOUT_FILENO) == 1; }

std::optional<std::size_t> terminal_columns() {
  if (!stdout_is_terminal()) return std::nullopt;
  const auto size = window_size();
  return size ? std::optional<std::size_t>(size->ws_col) : std::nullopt;
}

std::optional<std::size_t> terminal_rows() {
  if (!stdout_is_terminal()) return std::nullopt;
  const auto size = window_size();
  return size && size->ws_row > 0 ? std::optional<std::size_t>(size->ws_row) : std::nullopt;
}

KeyReader::KeyReader() {
  keys_ = ::isatty(STDIN_FILENO) == 1 && ::tcgetattr(STDIN_FILENO, &g_saved) == 0;
  g_keys = keys_ ? 1 : 0;
  for (int sig : kEndingSignals) install(sig, on_ending_signal);
  install(SIGTSTP, on_stop);
  install(SIGWINCH, on_resize);
  enter_key_mode();
}

KeyReader::~KeyReader() {
  restore_terminal();
  for (int sig : kEndingSignals) ::signal(sig, SIG_DFL);
  ::signal(SIGTSTP, SIG_DFL);
  ::signal(SIGWINCH, SIG_DFL);
  g_keys = 0;
}

std::optional<char> KeyReader::read_key(std::chrono::milliseconds timeout) {
  if (!keys_) {
    std::this_thread::sleep_for(timeout);
    return std::nullopt;
  }
  pollfd in{STDIN_FILENO, POLLIN, 0};
  const int ready = ::poll(&in, 1, static_cast<int>(timeout.count()));
  if (ready <= 0) return std::nullopt;  // time is up, or a signal (a resize) interrupted
  char key = 0;
  if (::read(STDIN_FILENO, &key, 1) == 1) return key;
  keys_ = false;  // closed or broken: from now on only wait
  std::this_thread::sleep_for(timeout);
  return std::nullopt;
}

bool KeyReader::take_resized() {
  const bool resized = g_resized != 0;
  g_resized = 0;
  return resized;
}

}  // namespace weft::cli
