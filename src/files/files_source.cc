#include "files/files_source.h"

#include <algorithm>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <regex>
#include <utility>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include "common/exception_text.h"
#include "files/files_position.h"
#include "files/local_directory.h"
#include "files/object_job.h"
#include "files/s3_bucket.h"
#include "net/http_client.h"
#include "s3/s3_client.h"

namespace weft::files {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using SteadyClock = std::chrono::steady_clock;

// The longest read_batch waits for the next poll before returning an empty batch, so the
// pipeline can commit and notice a stop.
constexpr auto kIdleSlice = std::chrono::milliseconds(250);

bool starts_with(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

struct FilesMetrics {
  explicit FilesMetrics(const ConnectorContext& ctx)
      : processed(prometheus::BuildCounter()
                      .Name("weft_files_objects_processed_total")
                      .Help("Objects the files source read to the end and had acknowledged")
                      .Register(*ctx.metrics)
                      .Add({{"pipeline", ctx.pipeline}})),
        queued(prometheus::BuildGauge()
                   .Name("weft_files_objects_queued")
                   .Help("Objects listed and waiting to be read")
                   .Register(*ctx.metrics)
                   .Add({{"pipeline", ctx.pipeline}})) {}
  prometheus::Counter& processed;
  prometheus::Gauge& queued;
};

class FilesSource final : public Source {
 public:
  FilesSource(FilesConfig config, const ConnectorContext& ctx)
      : config_(std::make_shared<const FilesConfig>(std::move(config))),
        ctx_(ctx),
        metrics_(ctx.metrics ? std::make_unique<FilesMetrics>(ctx) : nullptr) {}

  awaitable<Status> connect(std::optional<Position> checkpoint) override {
    executor_ = co_await asio::this_coro::executor;
    if (Status opened = open_store(); !opened) co_return opened;
    std::uint64_t covered = 0;  // objects numbered up to this one are acknowledged
    if (checkpoint) {
      auto position = FilePosition::decode(*checkpoint);
      if (!position) {
        co_return Error::permanent(
            "the checkpoint '" + *checkpoint +
            "' is not a files source position (was the pipeline's source changed?); delete the "
            "pipeline's checkpoint to start over");
      }
      covered = position->end ? position->ordinal : position->ordinal - 1;
      next_ordinal_ = position->ordinal + 1;
      if (!position->end) {
        resume_ = std::move(*position);
        ctx_.logger->info("resuming {} after line {}", store_->describe(resume_->key),
                          resume_->line);
      }
    }
    // Objects the checkpoint covers are done, even if the daemon stopped before it heard so;
    // those read after it are read again.
    if (Status s = co_await confirm_through(covered); !s) co_return s;
    if (ctx_.objects.discard) {
      if (Status s = ctx_.objects.discard(covered); !s) co_return s;
    }
    co_return Status{};
  }

  awaitable<Result<Batch>> read_batch(std::size_t max_records) override {
    Result<Batch> read = co_await read_records(max_records);
    // The objects this read finished go into the ledger before their records leave: no
    // checkpoint can cover a record whose object's entry is not durable yet.
    write_ledger_entries();
    co_return std::move(read);
  }

  awaitable<Status> commit(const Position& position) override {
    auto committed = FilePosition::decode(position);
    if (!committed) co_return Status{};
    co_return co_await confirm_through(committed->end ? committed->ordinal
                                                      : committed->ordinal - 1);
  }

  awaitable<void> close() override {
    stop_jobs();
    co_return;
  }

  Health health() const override {
    std::lock_guard lock(problem_mutex_);
    if (problem_.empty()) return {};
    return Health{false, problem_};
  }

 private:
  awaitable<Result<Batch>> read_records(std::size_t max_records) {
    if (fatal_) co_return *fatal_;
    Batch out;
    out.reserve(max_records);
    for (;;) {
      if (queue_.empty() && SteadyClock::now() >= next_list_) {
        Status listed = co_await list_new_objects();
        // A failed listing is tried again when the runtime reads again (after its backoff).
        if (listed) next_list_ = SteadyClock::now() + config_->poll_interval;
        listing_problem_ = listed ? "" : listed.error().message();
        if (!listed) {
          note_problem(listing_problem_);
          co_return listed.error();
        }
      }
      start_jobs();
      if (jobs_.empty()) {
        note_problem(listing_problem_);
        co_await idle_wait();
        co_return std::move(out);
      }
      std::shared_ptr<ObjectJob> job = jobs_.front();
      note_problem(job->retrying);
      if (job->take(max_records - out.size(), out) > 0) job_emitting_ = true;
      if (job->done && job->waiting() == 0) {
        jobs_.pop_front();
        const bool emitted_any = job_emitting_;
        job_emitting_ = false;
        if (job->fatal) {
          fatal_ = job->fatal;
          stop_jobs();
          if (!out.empty()) co_return std::move(out);
          co_return *fatal_;
        }
        if (job->abandoned) {
          release(job->object.key, job->object.etag);
        } else if (!emitted_any) {
          // Nothing to acknowledge: done now.
          record_in_ledger(*job, /*done=*/true);
          if (metrics_) metrics_->processed.Increment();
          co_await after_read(job->object.key, job->object.etag);
        } else {
          record_in_ledger(*job, /*done=*/false);  // done once a checkpoint covers it
        }
        continue;
      }
      if (!out.empty()) co_return std::move(out);
      auto [ec] = co_await job->ready.async_receive(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return std::move(out);  // stopping
    }
  }

  Status open_store() {
    if (store_) return Status{};
    if (!config_->is_s3) {
      std::error_code ec;
      if (!std::filesystem::is_directory(config_->directory, ec)) {
        return Error::permanent(config_->url + ": " + config_->directory +
                                " is not a directory (create it, or fix `url`)");
      }
      store_ = std::make_shared<LocalDirectory>(config_->directory);
      return Status{};
    }
    if (config_->credentials.access_key_id.empty() ||
        config_->credentials.secret_access_key.empty()) {
      return Error::permanent(config_->url +
                              ": S3 needs credentials: set access_key_id and secret_access_key, "
                              "or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY in weft's "
                              "environment");
    }
    net::HttpClientOptions http;
    http.name = "files source";
    http.connect_timeout = config_->connect_timeout;
    http.read_timeout = config_->read_timeout;
    http.total_timeout = std::max(http.total_timeout, 4 * config_->read_timeout);
    http.max_response_bytes = config_->read_size + 64 * 1024;
    http.max_idle_connections_per_host = config_->concurrency + 2;
    http.accept_compressed = false;  // ranges of a gzip file are not gzip streams
    auto client = net::HttpClient::create(executor_, std::move(http), ctx_.logger);
    if (!client) return client.error();
    s3::ClientOptions options;
    options.bucket = config_->bucket;
    options.region = config_->region;
    options.endpoint = config_->endpoint;
    options.path_style = config_->path_style;
    options.credentials = config_->credentials;
    auto s3 = s3::Client::create(std::move(*client), std::move(options));
    if (!s3) return s3.error();
    store_ = std::make_shared<S3Bucket>(std::move(*s3));
    return Status{};
  }

  // Lists the location once and queues what is new.
  awaitable<Status> list_new_objects() {
    const auto now = Clock::now();
    std::optional<std::string> token;
    do {
      auto page = co_await store_->list(config_->prefix, config_->start_after, token);
      if (!page) co_return page.error();
      std::vector<ObjectInfo> wanted;
      for (ObjectInfo& object : page->objects) {
        if (wanted_now(object, now)) wanted.push_back(std::move(object));
      }
      if (Status s = drop_processed(wanted); !s) co_return s;
      for (ObjectInfo& object : wanted) {
        in_progress_[object.key] = object.etag;
        queue_.push_back(std::move(object));
      }
      token = std::move(page->continuation);
    } while (token);
    if (metrics_) metrics_->queued.Set(static_cast<double>(queue_.size()));
    co_return Status{};
  }

  bool wanted_now(const ObjectInfo& object, Clock::time_point now) const {
    if (object.key.empty() || object.key.back() == '/') return false;  // a "folder" marker
    if (!config_->move_to.empty() && starts_with(object.key, config_->move_to)) return false;
    const std::string relative = object.key.substr(config_->prefix.size());
    if (config_->pattern && !std::regex_match(relative, *config_->pattern)) return false;
    if (object.last_modified > now - config_->min_age) return false;  // still being written
    const auto busy = in_progress_.find(object.key);
    if (busy != in_progress_.end() && busy->second == object.etag) return false;
    const auto done = remembered_.find(object.key);
    return done == remembered_.end() || done->second != object.etag;
  }

  // Removes the objects the ledger has at the same version.
  Status drop_processed(std::vector<ObjectInfo>& objects) const {
    if (!ctx_.objects.versions || objects.empty()) return Status{};
    std::vector<std::string> keys;
    keys.reserve(objects.size());
    for (const auto& object : objects) keys.push_back(object.key);
    auto versions = ctx_.objects.versions(keys);
    if (!versions) return versions.error();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < objects.size(); ++i) {
      if ((*versions)[i] == objects[i].etag) continue;
      if (kept != i) objects[kept] = std::move(objects[i]);  // never a self-move: it empties
      ++kept;
    }
    objects.resize(kept);
    return Status{};
  }

  void start_jobs() {
    while (!queue_.empty() && jobs_.size() < config_->concurrency) {
      std::string location = store_->describe(queue_.front().key);
      auto job = std::make_shared<ObjectJob>(executor_, std::move(queue_.front()), next_ordinal_++,
                                             std::move(location));
      queue_.pop_front();
      if (resume_ && resume_->key == job->object.key) {
        if (resume_->etag == job->object.etag) job->skip_through_line = resume_->line;
        resume_.reset();
      }
      ReadSettings settings{config_, store_, ctx_.logger};
      // The handler keeps the job, and with it the cancellation signal, alive until the
      // coroutine has let go of its slot. A job that throws stops the pipeline: its records
      // would otherwise never come.
      asio::co_spawn(executor_, run_object_job(std::move(settings), job),
                     asio::bind_cancellation_slot(job->cancel.slot(), [job](std::exception_ptr e) {
                       if (!e) return;
                       job->fatal = Error::permanent("reading " + job->object.key +
                                                     " failed: " + describe_exception(e));
                       job->done = true;
                       job->ready.try_send(boost::system::error_code{});
                     }));
      jobs_.push_back(std::move(job));
    }
    if (metrics_) metrics_->queued.Set(static_cast<double>(queue_.size()));
  }

  void stop_jobs() {
    for (auto& job : jobs_) job->cancel.emit(asio::cancellation_type::terminal);
    jobs_.clear();
    queue_.clear();
  }

  awaitable<void> idle_wait() {
    asio::steady_timer timer(executor_);
    timer.expires_after(std::min<SteadyClock::duration>(
        kIdleSlice, std::max<SteadyClock::duration>(next_list_ - SteadyClock::now(), {})));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }

  // Notes a finished object for the ledger: done, or pending until a checkpoint covers it.
  // Written by write_ledger_entries before the read returns.
  void record_in_ledger(const ObjectJob& job, bool done) {
    ledger_entries_.push_back(ObjectEntry{job.object.key, job.object.etag, job.ordinal, done});
  }

  // Writes the noted entries in one transaction. Without a ledger, or when it fails, the
  // objects are remembered for this run only (a restart may read them again).
  void write_ledger_entries() {
    if (ledger_entries_.empty()) return;
    Status written = ctx_.objects.record ? ctx_.objects.record(ledger_entries_) : Status{};
    if (!written) {
      ctx_.logger->error("could not record {} object(s) as processed, starting with {} (they may "
                         "be read again after a restart): {}",
                         ledger_entries_.size(), store_->describe(ledger_entries_.front().key),
                         written.error().message());
    }
    for (const ObjectEntry& entry : ledger_entries_) {
      if (!ctx_.objects.record || !written) remembered_[entry.key] = entry.version;
      if (entry.done || !ctx_.objects.record || !written) release(entry.key, entry.version);
    }
    ledger_entries_.clear();
  }

  // The object is no longer queued, read or in flight.
  void release(const std::string& key, const std::string& etag) {
    const auto it = in_progress_.find(key);
    if (it != in_progress_.end() && it->second == etag) in_progress_.erase(it);
  }

  // Every object numbered up to `through` is acknowledged: its pending entry in the ledger
  // becomes done, then it is kept, deleted or moved.
  awaitable<Status> confirm_through(std::uint64_t through) {
    if (!ctx_.objects.confirm || through == 0 || through <= confirmed_through_) {
      co_return Status{};
    }
    auto confirmed = ctx_.objects.confirm(through);
    if (!confirmed) co_return confirmed.error();
    confirmed_through_ = through;
    for (const auto& [key, etag] : *confirmed) {
      release(key, etag);
      if (metrics_) metrics_->processed.Increment();
      co_await after_read(key, etag);
    }
    co_return Status{};
  }

  // What `after_read` says happens to a processed object. Failures are logged; the object
  // stays processed either way.
  awaitable<void> after_read(const std::string& key, const std::string& etag) {
    if (config_->after_read == AfterRead::kKeep) co_return;
    // Replaced since it was read: deleting or moving it now would lose the new version unread.
    auto current = co_await store_->version(key);
    if (!current || *current != etag) {
      ctx_.logger->warn("{} was processed but not {}: {}", store_->describe(key),
                        config_->after_read == AfterRead::kDelete ? "deleted" : "moved",
                        !current ? current.error().message()
                                 : "it was replaced since it was read (the new version is read "
                                   "at the next poll)");
      co_return;
    }
    Status after;
    if (config_->after_read == AfterRead::kDelete) {
      after = co_await store_->remove(key);
    } else if (config_->after_read == AfterRead::kMove) {
      const std::string target = config_->move_to + key.substr(config_->prefix.size());
      after = co_await store_->move(key, target);
    }
    if (!after) {
      ctx_.logger->warn("{} was processed but not {}: {}", store_->describe(key),
                        config_->after_read == AfterRead::kDelete ? "deleted" : "moved",
                        after.error().message());
    }
  }

  void note_problem(const std::string& problem) {
    std::lock_guard lock(problem_mutex_);
    problem_ = problem;
  }

  const std::shared_ptr<const FilesConfig> config_;
  const ConnectorContext ctx_;
  std::unique_ptr<FilesMetrics> metrics_;
  asio::any_io_executor executor_;
  std::shared_ptr<ObjectStore> store_;

  std::deque<ObjectInfo> queue_;                     // listed, not started
  std::deque<std::shared_ptr<ObjectJob>> jobs_;      // being read; the front one is emitting
  bool job_emitting_ = false;                        // the front job's records have started
  std::uint64_t next_ordinal_ = 1;                   // the number the next object read gets
  std::uint64_t confirmed_through_ = 0;              // objects up to this one are done
  std::vector<ObjectEntry> ledger_entries_;          // finished during this read, not yet written
  std::map<std::string, std::string> in_progress_;   // key -> ETag: queued, read or in flight
  std::map<std::string, std::string> remembered_;    // key -> ETag processed, not in the ledger
  std::optional<FilePosition> resume_;               // the checkpoint inside an object
  std::optional<Error> fatal_;
  SteadyClock::time_point next_list_{};
  std::string listing_problem_;  // why the last listing failed; "" after one succeeded

  mutable std::mutex problem_mutex_;
  std::string problem_;  // guarded by problem_mutex_
};

}  // namespace

std::unique_ptr<Source> make_files_source(FilesConfig config, const ConnectorContext& ctx) {
  return std::make_unique<FilesSource>(std::move(config), ctx);
}

}  // namespace weft::files
