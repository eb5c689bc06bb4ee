#pragma once

// Reading one object: its ranges fetched, decompressed and decoded into rows on a coroutine of
// its own, so several objects are fetched and parsed at once while the source hands out the
// records of the first. Memory per job is bounded: one range of raw bytes plus at most
// kBufferedRowBytes of rows waiting to be taken.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/experimental/channel.hpp>

#include "files/files_config.h"
#include "files/object_store.h"
#include "files/row_decoder.h"
#include "weft/record.h"
#include "weft/status.h"

namespace spdlog {
class logger;
}

namespace weft::files {

// What a job needs to know about how to read, shared by all jobs of a source.
struct ReadSettings {
  std::shared_ptr<const FilesConfig> config;
  std::shared_ptr<ObjectStore> store;
  std::shared_ptr<spdlog::logger> log;
};

// One object being read. The job's coroutine and the source share it on one strand.
struct ObjectJob {
  using Signal = boost::asio::experimental::channel<void(boost::system::error_code)>;

  ObjectJob(const boost::asio::any_io_executor& executor, ObjectInfo object, std::uint64_t ordinal,
            std::string location);

  ObjectInfo object;
  std::uint64_t ordinal = 0;            // the object's number in the pipeline's reading order
  std::uint64_t skip_through_line = 0;  // rows up to this line were delivered before a restart

  std::string location;  // the object as people name it (s3://b/k, /dir/k), for bad rows
  // The headers every record of the object carries: _filename, _etag, _load_timestamp (when
  // the job started).
  std::shared_ptr<const Headers::List> headers;

  // ---- filled by the job, taken by the source ----
  // Rows not yet taken: rows[taken..]. They become records only when taken, straight into
  // the source's batch: a row is cheaper to keep and move than a record. A vector, not a
  // deque: a deque block holds few rows, so rows would cost allocations of their own.
  std::vector<Row> rows;
  std::size_t taken = 0;
  std::size_t waiting() const { return rows.size() - taken; }
  std::size_t buffered_bytes = 0;  // bytes of the rows waiting
  bool done = false;               // no more rows will come
  bool end_taken = false;          // the record ending the object has been taken
  std::optional<Error> fatal;      // on_error abort, or a permanent error: the pipeline stops
  std::string retrying;            // the last retryable error, while the job waits to retry
  // The store failed for good mid-read (the object was deleted or replaced): the records read
  // stay delivered, but the object is not recorded as processed nor kept/deleted/moved.
  bool abandoned = false;

  Signal ready;  // the job added rows or finished
  Signal space;  // the source took rows
  // Stops the job's coroutine. Whoever spawns the coroutine keeps the job alive in its
  // completion handler: the coroutine clears its slot only after it has finished.
  boost::asio::cancellation_signal cancel;

  // Takes up to `max` rows into `out` as records. The last one stays until the job is done,
  // so that the record ending a completely read object can be marked as its end
  // (FilePosition::end). Returns how many it took.
  std::size_t take(std::size_t max, Batch& out);
};

// A job holding this much row data waits until the source takes some.
inline constexpr std::size_t kBufferedRowBytes = 4 * 1024 * 1024;

// Reads the object into job->rows until it is done, failed for good or is cancelled.
boost::asio::awaitable<void> run_object_job(ReadSettings settings, std::shared_ptr<ObjectJob> job);

}  // namespace weft::files
