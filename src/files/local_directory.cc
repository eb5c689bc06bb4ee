#include "files/local_directory.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <cstdio>
#include <system_error>

#include "weft/record.h"

namespace weft::files {
namespace {

namespace fs = std::filesystem;

constexpr std::size_t kPageSize = 1000;  // like S3, so both stores page alike

std::string errno_text(int err) { return std::strerror(err); }

// Not found, permission denied and the like will not change by retrying; anything else
// (EIO, ENOSPC, EMFILE) might.
Error io_error(const std::string& what, const std::string& path, int err) {
  std::string message = what + " " + path + ": " + errno_text(err);
  if (err == ENOENT || err == EACCES || err == EPERM || err == ENOTDIR || err == EISDIR) {
    return Error::permanent(std::move(message));
  }
  return Error::retryable(std::move(message));
}

bool hidden(const fs::path& relative) {
  for (const auto& part : relative) {
    const std::string name = part.string();
    if (!name.empty() && name[0] == '.') return true;
  }
  return false;
}

std::int64_t mtime_ns(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec;
}

}  // namespace

std::string file_version(const struct stat& st) {
  char buffer[80];
  std::snprintf(buffer, sizeof buffer, "%llx-%llx-%llx", static_cast<unsigned long long>(st.st_size),
                static_cast<unsigned long long>(mtime_ns(st)),
                static_cast<unsigned long long>(st.st_ino));
  return buffer;
}

LocalDirectory::LocalDirectory(std::string root) : root_(std::move(root)) {}

std::string LocalDirectory::describe(const std::string& key) const { return root_ + "/" + key; }

Result<std::vector<ObjectInfo>> LocalDirectory::scan(const std::string& prefix,
                                                     const std::string& start_after) const {
  std::vector<ObjectInfo> out;
  std::error_code ec;
  fs::recursive_directory_iterator it(root_, fs::directory_options::skip_permission_denied, ec);
  if (ec) return io_error("cannot list", root_, ec.value());
  for (const fs::recursive_directory_iterator end; it != end; it.increment(ec)) {
    if (ec) return io_error("cannot list", root_, ec.value());
    const fs::path relative = it->path().lexically_relative(root_);
    if (hidden(relative)) {
      if (it->is_directory(ec)) it.disable_recursion_pending();
      continue;
    }
    struct stat st {};
    if (::stat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;  // gone, or not a file
    std::string key = relative.generic_string();
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    if (!start_after.empty() && key <= start_after) continue;
    ObjectInfo info;
    info.key = std::move(key);
    info.size = static_cast<std::uint64_t>(st.st_size);
    info.etag = file_version(st);
    info.last_modified = Clock::time_point(
        std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(mtime_ns(st))));
    out.push_back(std::move(info));
  }
  std::sort(out.begin(), out.end(),
            [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  return out;
}

boost::asio::awaitable<Result<ObjectPage>> LocalDirectory::list(
    const std::string& prefix, const std::string& start_after,
    std::optional<std::string> continuation) {
  if (!continuation) {
    auto scanned = scan(prefix, start_after);
    if (!scanned) co_return scanned.error();
    scanned_ = std::move(*scanned);
  }
  auto first = scanned_.begin();
  if (continuation) {
    first = std::upper_bound(scanned_.begin(), scanned_.end(), *continuation,
                             [](const std::string& key, const ObjectInfo& o) { return key < o.key; });
  }
  ObjectPage page;
  const auto count = std::min<std::size_t>(kPageSize, static_cast<std::size_t>(scanned_.end() - first));
  page.objects.assign(first, first + static_cast<std::ptrdiff_t>(count));
  if (first + static_cast<std::ptrdiff_t>(count) != scanned_.end()) {
    page.continuation = page.objects.back().key;
  } else {
    scanned_.clear();
  }
  co_return page;
}

boost::asio::awaitable<Result<std::string>> LocalDirectory::read(const ObjectInfo& object,
                                                                 std::uint64_t offset,
                                                                 std::uint64_t length,
                                                                 std::string buffer) {
  const std::string path = describe(object.key);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) co_return io_error("cannot open", path, errno);
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    co_return io_error("cannot stat", path, err);
  }
  if (file_version(st) != object.etag) {
    ::close(fd);
    co_return Error::permanent(path + " changed while it was read (size or modification time)");
  }
  std::string out = std::move(buffer);
  out.resize(length);  // within the capacity of the range handed back: no fresh pages
  std::size_t filled = 0;
  while (filled < length) {
    const ssize_t n = ::pread(fd, out.data() + filled, length - filled,
                              static_cast<off_t>(offset + filled));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      co_return io_error("cannot read", path, err);
    }
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(filled);
  co_return std::move(out);  // a coroutine does not move it implicitly
}

boost::asio::awaitable<Result<std::string>> LocalDirectory::version(const std::string& key) {
  const std::string path = describe(key);
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) co_return std::string();
    co_return io_error("cannot stat", path, errno);
  }
  co_return file_version(st);
}

boost::asio::awaitable<Status> LocalDirectory::remove(const std::string& key) {
  const std::string path = describe(key);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) co_return io_error("cannot delete", path, errno);
  co_return Status{};
}

boost::asio::awaitable<Status> LocalDirectory::move(const std::string& key,
                                                    const std::string& new_key) {
  const std::string from = describe(key);
  const std::string to = describe(new_key);
  std::error_code ec;
  fs::create_directories(fs::path(to).parent_path(), ec);
  if (ec) co_return io_error("cannot create the directory of", to, ec.value());
  if (::rename(from.c_str(), to.c_str()) != 0) {
    co_return io_error("cannot move " + from + " to", to, errno);
  }
  co_return Status{};
}

}  // namespace weft::files
