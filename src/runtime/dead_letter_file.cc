#include "runtime/dead_letter_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "state/dead_letter_json.h"

namespace weft {
namespace {

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

}  // namespace

Status DeadLetterFile::append(const std::vector<DeadLetter>& letters) {
  std::string text;
  for (const DeadLetter& letter : letters) {
    text += dead_letter_to_json(letter, true).dump();
    text += '\n';
  }
  auto fail = [&](const char* what, bool retryable) {
    std::string message = "dead-letter file " + path_ + ": " + what + ": " + std::strerror(errno);
    return retryable ? Error::retryable(message) : Error::permanent(message);
  };
  std::error_code ec;
  const auto dir = std::filesystem::path(path_).parent_path();
  if (!dir.empty()) std::filesystem::create_directories(dir, ec);
  // Opened per append: dead letters are rare, and this survives the file being rotated away.
  FileDescriptor fd(::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640));
  if (fd.get() < 0) return fail("cannot open", false);
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd.get(), text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail("write failed", true);
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return fail("fsync failed", true);
  return Status::ok_status();
}

}  // namespace weft
