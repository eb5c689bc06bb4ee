#pragma once

#include <optional>
#include <string>

namespace weft {

// The whole content of a file, or why it could not be read.
struct FileText {
  std::optional<std::string> text;
  std::string error;  // strerror() of the failing call when text is empty, e.g. "Is a directory"
};

// Reads `path` in binary mode. Never throws; safe to call from any thread.
FileText read_whole_file(const std::string& path);

}  // namespace weft
