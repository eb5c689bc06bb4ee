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
        job_(std::move(job)),
        load_timestamp_(utc_timestamp(Clock::now())) {}

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

  // One read of the object from its start.
  awaitable<PassResult> pass(const DecoderOptions& options, RowTarget& target) {
    auto decoder = make_row_decoder(options);
    std::optional<Gunzip> gunzip;
    std::vector<Row> rows;
    std::string plain;
    std::uint64_t offset = 0;
    for (;;) {
      auto range = co_await read_range(offset);
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
        if (Status s = decoder->feed(slice, rows); !s) co_return unreadable(s.error());
        if (!co_await take_rows(rows, target)) co_return PassResult{PassEnd::kStopped, {}};
      }
      if (last) break;
    }
    if (gunzip) {
      if (Status s = gunzip->finish(); !s) co_return unreadable(s.error());
    }
    if (Status s = decoder->finish(rows); !s) co_return unreadable(s.error());
    if (!co_await take_rows(rows, target)) co_return PassResult{PassEnd::kStopped, {}};
    co_return PassResult{};
  }

  static PassResult unreadable(const Error& error) {
    return PassResult{PassEnd::kUnreadable, error};
  }

  // Bytes from `offset`, retrying what may pass (a timeout, a 503) with backoff. An error is
  // permanent (the object is gone or was replaced) or cancellation.
  awaitable<Result<std::string>> read_range(std::uint64_t offset) {
    // The listing's size is the version's size: nothing lies beyond it (and some servers answer
    // a range of an empty object badly).
    if (offset >= job_->object.size) co_return std::string();
    Backoff backoff(std::chrono::milliseconds(200), std::chrono::seconds(30));
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (;;) {
      auto range = co_await settings_.store->read(job_->object, offset, config_.read_size);
      if (range.ok() || !range.error().retryable()) {
        job_->retrying.clear();
        co_return range;
      }
      const auto delay = backoff.next(range.error().retry_after());
      job_->retrying = range.error().message();
      settings_.log->warn("reading {} failed, retrying in {} ms: {}",
                          settings_.store->describe(job_->object.key), delay.count(),
                          range.error().message());
      timer.expires_after(delay);
      auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return Error::cancelled("stopped while waiting to read again");
    }
  }

  // Hands the rows on (or only checks them); false when the job was cancelled meanwhile.
  awaitable<bool> take_rows(std::vector<Row>& rows, RowTarget& target) {
    slice_time_ = Clock::now();  // one clock read per slice, not per row
    for (Row& row : rows) {
      if (!target.emit) {
        if (!row.error.empty() && target.bad_rows++ == 0) target.first_bad = std::move(row);
        continue;
      }
      if (row.line <= job_->skip_through_line) continue;  // delivered before a restart
      if (!row.error.empty() && config_.on_error == OnError::kAbort) {
        job_->fatal = Error::permanent(where(row.line) + ": " + row.error +
                                       " (on_error: abort stops the pipeline; fix or remove the "
                                       "file, then restart)");
        rows.clear();
        co_return false;
      }
      push(make_record(row));
    }
    rows.clear();
    job_->ready.try_send(boost::system::error_code{});
    while (job_->buffered_bytes >= kBufferedRecordBytes) {
      auto [ec] = co_await job_->space.async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return false;
    }
    co_return true;
  }

  std::string where(std::uint64_t line) const {
    return settings_.store->describe(job_->object.key) + " line " + std::to_string(line);
  }

  Record base_record(std::uint64_t line) const {
    Record r;
    r.headers.emplace("_filename", job_->object.key);
    r.headers.emplace("_row", std::to_string(line));
    r.headers.emplace("_etag", job_->object.etag);
    r.headers.emplace("_load_timestamp", load_timestamp_);
    r.event_time = job_->object.last_modified;
    r.ingest_time = slice_time_;
    r.position =
        FilePosition{job_->ordinal, job_->object.key, job_->object.etag, line, false}.encode();
    return r;
  }

  Record make_record(Row& row) const {
    Record r = base_record(row.line);
    if (row.error.empty()) {
      r.value = Payload::from_text(std::move(row.json));
    } else {
      r.rejected = where(row.line) + ": " + row.error;
      r.value = Payload::from_text(std::move(row.raw));
    }
    return r;
  }

  void push(Record record) {
    job_->buffered_bytes += record.value.text().size() + 256;  // + headers and position
    job_->records.push_back(std::move(record));
  }

  // The whole file as one dead letter (line 0); its value is the start of the file.
  void emit_unreadable(const Error& error, std::string sample) {
    Record r = base_record(0);
    r.rejected = settings_.store->describe(job_->object.key) + ": unreadable: " + error.message();
    r.value = Payload::from_text(std::move(sample));
    push(std::move(r));
  }

  void emit_skipped(RowTarget& check) {
    Record r = base_record(0);
    r.rejected = settings_.store->describe(job_->object.key) + ": skipped (on_error: skip_file), " +
                 std::to_string(check.bad_rows) + " bad row(s); the first: " +
                 where(check.first_bad->line) + ": " + check.first_bad->error;
    r.value = Payload::from_text(std::move(check.first_bad->raw));
    push(std::move(r));
  }

  void stop(const PassResult& result) {
    // A store error that will not pass (the object was deleted or replaced while it was read)
    // ends the job with what it read; a replaced object is listed again under its new ETag.
    if (result.error && result.error->kind() != ErrorKind::kCancelled && !job_->fatal) {
      settings_.log->warn("stopped reading {}: {}", settings_.store->describe(job_->object.key),
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
  const std::string load_timestamp_;
  std::string sample_;  // the start of the file, for an unreadable file's dead letter
  Clock::time_point slice_time_ = Clock::now();  // ingest time of the rows being taken
};

}  // namespace

std::size_t ObjectJob::take(std::size_t max, Batch& out) {
  std::size_t count = 0;
  while (out.size() < max && waiting() > 0 && (done || waiting() > 1)) {
    Record& record = records[taken];
    buffered_bytes -= std::min(buffered_bytes, record.value.text().size() + 256);
    if (done && waiting() == 1 && !abandoned && !fatal) {
      auto end = FilePosition::decode(record.position);
      end->end = true;
      record.position = end->encode();
      end_taken = true;
    }
    out.push_back(std::move(record));
    ++taken;
    ++count;
  }
  // Drop the moved-from front once it is most of the vector, keeping the capacity.
  if (taken > 0 && taken * 2 >= records.size()) {
    records.erase(records.begin(), records.begin() + static_cast<std::ptrdiff_t>(taken));
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
