#pragma once

// The terminal as `weft top` uses it: its size, single keys without Enter, and restoring it
// whatever way the process ends.

#include <chrono>
#include <cstddef>
#include <optional>

namespace weft::cli {

// Whether standard output is a terminal (not a pipe or a file).
bool stdout_is_terminal();

// The number of columns of the terminal on standard output; nullopt when it is not one.
std::optional<std::size_t> terminal_columns();
// Its number of rows; nullopt when it is not one.
std::optional<std::size_t> terminal_rows();

// While it lives: the terminal on standard input (when it is one) hands over single keys without
// Enter and does not echo them, and the cursor on standard output is hidden. Destroying it
// restores both, and so do SIGINT, SIGTERM and SIGHUP before the signal ends the process with its
// default action (so the shell sees it); Ctrl-Z restores the terminal while stopped and puts it
// back on `fg`. At most one instance per process; not thread-safe.
class KeyReader {
 public:
  KeyReader();
  ~KeyReader();
  KeyReader(const KeyReader&) = delete;
  KeyReader& operator=(const KeyReader&) = delete;

  // Waits up to `timeout` for a key and returns it. Returns nullopt when the time is up, when the
  // terminal was resized meanwhile (see take_resized()), and, after waiting out `timeout`, when
  // standard input is not a terminal or has been closed.
  std::optional<char> read_key(std::chrono::milliseconds timeout);

  // Whether the terminal was resized since the last call.
  bool take_resized();

 private:
  bool keys_ = false;  // standard input is a terminal in single-key mode
};

}  // namespace weft::cli
