#include "connectors/sinks/file/file_sink.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace weft::file {
namespace {

namespace asio = boost::asio;
namespace fs = std::filesystem;

// Errors that may go away on their own (a full disk gets cleaned up, a quota raised); the rest
// (permissions, a path that is a directory) need a person.
Error classify(int err, const std::string& what) {
  std::string message = what + ": " + std::strerror(err);
  switch (err) {
    case ENOSPC:
    case EDQUOT:
    case EIO:
    case EINTR:
    case EAGAIN:
    case EMFILE:
    case ENFILE:
      return Error::retryable(message);
    default:
      return Error::permanent(message);
  }
}

class FileSink final : public Sink {
 public:
  FileSink(FileSinkConfig config, const ConnectorContext& ctx)
      : config_(std::move(config)), log_(ctx.logger) {}
  ~FileSink() override { close_fd(); }

  asio::awaitable<Status> connect() override { co_return open_file(); }

  asio::awaitable<WriteResult> write_batch(const Batch& batch) override {
    if (fd_ < 0) {
      if (Status s = open_file(); !s.ok()) co_return WriteResult::failed(s.error());
    }
    const std::size_t bytes = gather(batch);
    if (config_.max_size > 0 && size_ > 0 && size_ + bytes > config_.max_size) {
      if (Status s = rotate(); !s.ok()) co_return WriteResult::failed(s.error());
    }
    co_return write_all(bytes);
  }

  asio::awaitable<Status> flush() override { co_return sync(); }

  asio::awaitable<void> close() override {
    if (fd_ >= 0) {
      if (Status s = sync(); !s.ok()) log_->warn("{}", s.error().message());
    }
    close_fd();
    co_return;
  }

 private:
  Status open_file() {
    std::error_code ec;
    fs::path path(config_.path);
    if (path.has_parent_path()) fs::create_directories(path.parent_path(), ec);
    if (ec) return Error::permanent("cannot create directory " + path.parent_path().string() +
                                    ": " + ec.message());
    fd_ = ::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd_ < 0) return classify(errno, "cannot open " + config_.path);
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return classify(errno, "cannot stat " + config_.path);
    size_ = static_cast<std::uint64_t>(st.st_size);
    return {};
  }

  // Points pieces_ at the batch's lines; returns their size. Values are written from the
  // records' own text (writev) rather than copied into one buffer first: the kernel copies
  // them either way, and that copy is most of what this sink costs per byte.
  std::size_t gather(const Batch& batch) {
    pieces_.clear();
    std::size_t bytes = 0;
    const auto add = [&](const char* data, std::size_t size) {
      if (size == 0) return;
      pieces_.push_back(iovec{const_cast<char*>(data), size});
      bytes += size;
    };
    if (config_.format == LineFormat::kValue) {
      pieces_.reserve(2 * batch.size());
      for (const Record& r : batch) {
        const std::string& text = r.value.text();
        add(text.data(), text.size());
        add("\n", 1);
      }
      return bytes;
    }
    buffer_.clear();
    for (const Record& r : batch) append_line(r, config_.format, buffer_);
    add(buffer_.data(), buffer_.size());
    return bytes;
  }

  // Appends pieces_ (`bytes` in all) entirely or not at all: a failed write is cut back to the
  // previous size so the retry does not leave half a line in the file.
  WriteResult write_all(std::size_t bytes) {
    std::size_t next = 0;  // the first piece not completely written
    while (next < pieces_.size()) {
      const int count = static_cast<int>(std::min<std::size_t>(pieces_.size() - next, IOV_MAX));
      ssize_t n = ::writev(fd_, pieces_.data() + next, count);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        if (::ftruncate(fd_, static_cast<off_t>(size_)) != 0) {
          log_->error("could not cut {} back to {} bytes after a failed write: {}", config_.path,
                      size_, std::strerror(errno));
        }
        return WriteResult::failed(classify(err, "write to " + config_.path));
      }
      auto written = static_cast<std::size_t>(n);
      while (next < pieces_.size() && written >= pieces_[next].iov_len) {
        written -= pieces_[next++].iov_len;
      }
      if (written > 0) {  // a short write ended inside this piece
        pieces_[next].iov_base = static_cast<char*>(pieces_[next].iov_base) + written;
        pieces_[next].iov_len -= written;
      }
    }
    size_ += bytes;
    return WriteResult::all_delivered();
  }

  Status sync() {
    if (fd_ < 0 || !config_.fsync) return {};
    if (::fsync(fd_) != 0) return classify(errno, "fsync " + config_.path);
    return {};
  }

  // <path> -> <path>.1, <path>.1 -> <path>.2, ...; the file beyond max_files is deleted. The
  // current file is fsynced first, so rotation never loses acknowledged data.
  Status rotate() {
    if (Status s = sync(); !s.ok()) return s;
    close_fd();
    std::error_code ec;
    auto numbered = [&](int n) { return config_.path + "." + std::to_string(n); };
    fs::remove(numbered(config_.max_files), ec);
    for (int n = config_.max_files - 1; n >= 1; --n) {
      if (fs::exists(numbered(n), ec)) fs::rename(numbered(n), numbered(n + 1), ec);
    }
    fs::rename(config_.path, numbered(1), ec);
    if (ec) return Error::retryable("rotate " + config_.path + ": " + ec.message());
    log_->info("rotated {} at {} bytes", config_.path, size_);
    return open_file();
  }

  void close_fd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  FileSinkConfig config_;
  std::shared_ptr<spdlog::logger> log_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
  std::string buffer_;          // the record format's lines; reused between batches
  std::vector<iovec> pieces_;   // what the next write sends, in order
};

void append_json_string(const std::string& s, std::string& out) {
  out += nlohmann::json(s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

}  // namespace

void append_line(const Record& record, LineFormat format, std::string& out) {
  if (format == LineFormat::kValue) {
    out += record.value.text();
    out += '\n';
    return;
  }
  out += "{\"key\":";
  append_json_string(record.key, out);
  out += ",\"op\":\"";
  out += to_string(record.op);
  out += "\",\"value\":";
  out += record.value.empty() ? "null" : record.value.text();
  out += ",\"headers\":";
  out += nlohmann::json(record.headers).dump();
  out += ",\"position\":";
  append_json_string(record.position, out);
  out += ",\"event_time\":";
  out += std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                            record.event_time.time_since_epoch())
                            .count());
  out += "}\n";
}

std::unique_ptr<Sink> make_file_sink(FileSinkConfig config, const ConnectorContext& ctx) {
  return std::make_unique<FileSink>(std::move(config), ctx);
}

}  // namespace weft::file
