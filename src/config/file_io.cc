#include "config/file_io.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace weft {
namespace {

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

}  // namespace

FileText read_whole_file(const std::string& path) {
  FileText out;
  errno = 0;
  std::unique_ptr<std::FILE, FileCloser> file(std::fopen(path.c_str(), "rb"));
  if (!file) {
    out.error = std::strerror(errno);
    return out;
  }
  std::string text;
  char buffer[16 * 1024];
  for (;;) {
    const std::size_t n = std::fread(buffer, 1, sizeof buffer, file.get());
    text.append(buffer, n);
    if (n < sizeof buffer) break;
  }
  // fopen() succeeds on a directory; the read is what fails (EISDIR).
  if (std::ferror(file.get())) {
    out.error = std::strerror(errno != 0 ? errno : EIO);
    return out;
  }
  out.text = std::move(text);
  return out;
}

}  // namespace weft
