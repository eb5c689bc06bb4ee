#include "files/object_job.h"

#include <algorithm>
#include <ctime>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <spdlog/spdlog.h>

#include "files/files_position.h"
#include "files/gunzip.h"
#include "files/row_decoder.h"
#include "runtime/backoff.h"

namespace weft::files {
namespace {

namespace asio = boost::asio;
using asio::awaitable;

// Raw bytes are decompressed and decoded this much at a time, so a range's records are handed
// out (and their memory bounded) as the range is worked through.
constexpr std::size_t kSlice = 256 * 1024;
// How much of an unreadable file's start its dead letter keeps, for people to recognise it.
constexpr std::size_t kUnreadableSample = 1024;

// "2026-11-27T10:00:00.000Z"
std::string utc_timestamp(Clock::time_point time) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch());
  const std::time_t seconds = static_cast<std::time_t>(ms.count() / 1000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char buffer[40];
  const std::size_t n = std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buffer + n, sizeof buffer - n, ".%03dZ", static_cast<int>(ms.count() % 1000));
  return buffer;
}

// What a waiting row counts for against kBufferedRowBytes: its text, and about what its record
// will add (headers, position).
std::size_t buffered_size(const Row& row) { return row.json.size() + row.raw.size() + 256; }

// How a pass over the object ended.
enum class PassEnd {
  kComplete,    // read to the end
  kUnreadable,  // the file as a whole cannot be read in its format: `error` says why
  kStopped,     // cancelled, or the store failed for good (`error`, when it did)
};

struct PassResult {
  PassEnd end = PassEnd::kComplete;
  std::optional<Error> error;
};

// Where the rows of a pass go.
struct RowTarget {
  bool emit = true;  // false: skip_file's checking pass, which only looks for bad rows
  std::uint64_t bad_rows = 0;
  std::optional<Row> first_bad;
};

class JobReader {
 public:
  JobReader(const ReadSettings& settings, std::shared_ptr<ObjectJob> job)
      : settings_(settings),
        config_(*settings.config),
        job_(std::move(job)) {}

  awaitable<void> run() {
    auto options = decoder_options();
    if (!options) {
      emit_unreadable(options.error(), "");
      co_return finish();
    }
    if (config_.on_error == OnError::kSkipFile) {
      RowTarget check;
      check.emit = false;
      PassResult checked = co_await pass(*options, check);
      if (checked.end == PassEnd::kStopped) co_return stop(checked);
      if (checked.end == PassEnd::kUnreadable) {
        emit_unreadable(*checked.error, sample_);
        co_return finish();
      }
      if (check.bad_rows > 0) {
        emit_skipped(check);
        co_return finish();
      }
    }
    RowTarget target;
    PassResult result = co_await pass(*options, target);
    if (result.end == PassEnd::kStopped) co_return stop(result);
    if (result.end == PassEnd::kUnreadable) emit_unreadable(*result.error, sample_);
    finish();
  }

 private:
  Result<DecoderOptions> decoder_options() const {
    DecoderOptions options = config_.decoder;
    if (config_.format) {
      options.format = *config_.format;
    } else if (auto by_extension = format_from_extension(job_->object.key)) {
      options.format = *by_extension;
    } else {
      return Error::permanent(
          "cannot tell its format from the extension (.csv, .jsonl, .ndjson, .json, optionally "
          ".gz); set `format`");
    }
    return options;
  }

  // One read of the object from its start. The rows go into job->rows, or, for a pass that
  // only checks them, into a vector of its own.
  awaitable<PassResult> pass(const DecoderOptions& options, RowTarget& target) {
    auto decoder = make_row_decoder(options);
    std::optional<Gunzip> gunzip;
    std::vector<Row> checked;
    std::vector<Row>& rows = target.emit ? job_->rows : checked;
    std::string plain;
    std::string spare;  // the previous range's memory, for the store to reuse
    std::uint64_t offset = 0;
    for (;;) {
      auto range = co_await read_range(offset, std::move(spare));
      if (!range) co_return PassResult{PassEnd::kStopped, range.error()};
      const bool last = range->size() < config_.read_size;
      if (offset == 0) {
        sample_ = range->substr(0, kUnreadableSample);
        const bool gzipped = config_.compression == Compression::kGzip ||
                             (config_.compression == Compression::kAuto && looks_gzipped(*range));
        if (gzipped) gunzip.emplace();
      }
      offset += range->size();
      for (std::size_t at = 0; at < range->size(); at += kSlice) {
        std::string_view slice = std::string_view(*range).substr(at, kSlice);
        if (gunzip) {
          plain.clear();
          if (Status s = gunzip->feed(slice, plain); !s) co_return unreadable(s.error());
          slice = plain;
        }
        const std::size_t first = rows.size();
        if (Status s = decoder->feed(slice, rows); !s) co_return unreadable(s.error());
        if (!co_await accept_rows(rows, first, target)) co_return PassResult{PassEnd::kStopped, {}};
      }
      if (last) break;
      spare = std::move(*range);
    }
    if (gunzip) {
      if (Status s = gunzip->finish(); !s) co_return unreadable(s.error());
    }
    const std::size_t first = rows.size();
    if (Status s = decoder->finish(rows); !s) co_return unreadable(s.error());
    if (!co_await accept_rows(rows, first, target)) co_return PassResult{PassEnd::kStopped, {}};
    co_return PassResult{};
  }

  static PassResult unreadable(const Error& error) {
    return PassResult{PassEnd::kUnreadable, error};
  }

  // Bytes from `offset`, retrying what may pass (a timeout, a 503) with backoff. An error is
  // permanent (the object is gone or was replaced) or cancellation.
  awaitable<Result<std::string>> read_range(std::uint64_t offset, std::string buffer) {
    // The listing's size is the version's size: nothing lies beyond it (and some servers answer
    // a range of an empty object badly).
    if (offset >= job_->object.size) co_return std::string();
    Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(30));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      auto range = co_await settings_.store->read(job_->object, offset, config_.read_size,
                                                  std::move(buffer));
      if (range.ok() || !range.error().retryable()) {
        job_->retrying.clear();
        co_return range;
      }
      const auto delay = backoff.next(range.error().retry_after());
      job_->retrying = range.error().message();
      settings_.log->warn("reading {} failed, retrying in {} ms: {}",
                          job_->location, delay.count(),
                          range.error().message());
      timer.expires_after(delay);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return Error::cancelled("stopped while waiting to read again");
    }
  }

  // Looks at the rows the decoder just added, rows[first..]: counts bad ones in a checking
  // pass, drops rows delivered before a restart, stops at a bad row under on_error: abort.
  // Then lets the source know, and waits while the job holds too much. False when the job
  // was cancelled meanwhile or must stop.
  awaitable<bool> accept_rows(std::vector<Row>& rows, std::size_t first, RowTarget& target) {
    if (!target.emit) {
      for (Row& row : rows) {
        if (!row.error.empty() && target.bad_rows++ == 0) target.first_bad = std::move(row);
      }
      rows.clear();
      co_return true;
    }
    // rows[first..]; an erase invalidates iterators, so this is asked again after each.
    const auto fresh = [&rows, first] { return rows.begin() + static_cast<std::ptrdiff_t>(first); };
    if (job_->skip_through_line > 0) {
      const std::uint64_t skip = job_->skip_through_line;
      rows.erase(
          std::remove_if(fresh(), rows.end(), [skip](const Row& r) { return r.line <= skip; }),
          rows.end());
    }
    if (config_.on_error == OnError::kAbort) {
      const auto bad =
          std::find_if(fresh(), rows.end(), [](const Row& r) { return !r.error.empty(); });
      if (bad != rows.end()) {
        job_->fatal = Error::permanent(where(bad->line) + ": " + bad->error +
                                       " (on_error: abort stops the pipeline; fix or remove the "
                                       "file, then restart)");
        rows.erase(bad, rows.end());
      }
    }
    for (auto row = fresh(); row != rows.end(); ++row) job_->buffered_bytes += buffered_size(*row);
    job_->ready.try_send(boost::system::error_code{});
    if (job_->fatal) co_return false;
    while (job_->buffered_bytes >= kBufferedRowBytes) {
      auto [ec] = co_await job_->space.async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return false;
    }
    co_return true;
  }

  std::string where(std::uint64_t line) const {
    return job_->location + " line " + std::to_string(line);
  }

  // The whole file as one dead letter (line 0); its value is the start of the file.
  void emit_unreadable(const Error& error, std::string sample) {
    emit_whole_file("unreadable: " + error.message(), std::move(sample));
  }

  void emit_skipped(RowTarget& check) {
    emit_whole_file("skipped (on_error: skip_file), " + std::to_string(check.bad_rows) +
                        " bad row(s); the first: " + where(check.first_bad->line) + ": " +
                        check.first_bad->error,
                    std::move(check.first_bad->raw));
  }

  void emit_whole_file(std::string why, std::string raw) {
    Row row;
    row.error = std::move(why);
    row.raw = std::move(raw);
    job_->buffered_bytes += buffered_size(row);
    job_->rows.push_back(std::move(row));
  }

  void stop(const PassResult& result) {
    // A store error that will not pass (the object was deleted or replaced while it was read)
    // ends the job with what it read; a replaced object is listed again under its new ETag.
    if (result.error && result.error->kind() != ErrorKind::kCancelled && !job_->fatal) {
      settings_.log->warn("stopped reading {}: {}", job_->location,
                          result.error->message());
      job_->abandoned = true;
    }
    finish();
  }

  void finish() {
    job_->done = true;
    job_->ready.try_send(boost::system::error_code{});
  }

  const ReadSettings& settings_;
  const FilesConfig& config_;
  std::shared_ptr<ObjectJob> job_;
  std::string sample_;  // the start of the file, for an unreadable file's dead letter
};

}  // namespace

ObjectJob::ObjectJob(const boost::asio::any_io_executor& executor, ObjectInfo listed,
                     std::uint64_t number, std::string where)
    : object(std::move(listed)),
      ordinal(number),
      location(std::move(where)),
      headers(Headers::share({{"_filename", object.key},
                              {"_etag", object.etag},
                              {"_load_timestamp", utc_timestamp(Clock::now())}})),
      ready(executor, 1),
      space(executor, 1) {}

std::size_t ObjectJob::take(std::size_t max, Batch& out) {
  const Clock::time_point now = Clock::now();  // the records' ingest time
  std::size_t count = 0;
  while (out.size() < max && waiting() > 0 && (done || waiting() > 1)) {
    Row& row = rows[taken];
    buffered_bytes -= std::min(buffered_bytes, buffered_size(row));
    const bool ends = done && waiting() == 1 && !abandoned && !fatal;
    end_taken = end_taken || ends;
    Record& r = out.emplace_back();
    r.headers = Headers(headers);
    r.headers.set("_row", std::to_string(row.line));
    r.event_time = object.last_modified;
    r.ingest_time = now;
    r.position = FilePosition::format(ordinal, row.line, ends, object.etag, object.key);
    if (row.error.empty()) {
      r.value = Payload::from_text(std::move(row.json));
    } else {
      r.rejected = location;
      if (row.line > 0) r.rejected += " line " + std::to_string(row.line);
      r.rejected += ": " + row.error;
      r.value = Payload::from_text(std::move(row.raw));
    }
    ++taken;
    ++count;
  }
  // Drop the taken front once it is most of the vector, keeping the capacity.
  if (taken > 0 && taken * 2 >= rows.size()) {
    rows.erase(rows.begin(), rows.begin() + static_cast<std::ptrdiff_t>(taken));
    taken = 0;
  }
  space.try_send(boost::system::error_code{});
  return count;
}

awaitable<void> run_object_job(ReadSettings settings, std::shared_ptr<ObjectJob> job) {
  JobReader reader(settings, std::move(job));
  co_await reader.run();
}

}  // namespace weft::files
