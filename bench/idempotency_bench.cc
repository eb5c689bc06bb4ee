// Idempotency keys through the SQLite state store, the way a pipeline uses them: per batch,
// find_keys, then remember_keys for the keys not seen before. Next to it, the physical limit
// measured in the same run on the same disk: remember_keys commits durably, so a batch cannot
// go faster than one fsync.
//
//   weft_bench_idempotency [keys (500000)] [batch (1000)] [runs (3)]
//
// Phases, each for random and for sequential keys: `fresh` (every key new: check + insert),
// `duplicate` (the same keys again: check only, as the pipeline acks duplicates without
// recording them again). One line each.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "state/state_store.h"

namespace {

using weft::Clock;
using Seconds = std::chrono::duration<double>;

constexpr char kPipeline[] = "bench";

enum class KeyOrder { kRandom, kSequential };

const char* to_string(KeyOrder order) {
  return order == KeyOrder::kRandom ? "random keys" : "sequential keys";
}

// Random: like UUIDs (32 hex digits), each lands anywhere in the key index. Sequential: like
// offsets, LSNs or time-ordered ids (ULID, UUIDv7), each lands after the previous one.
std::vector<std::string> make_keys(std::size_t count, KeyOrder order) {
  std::uint64_t state = 0x9E3779B97F4A7C15u;
  const auto next = [&state] {  // splitmix64
    std::uint64_t z = (state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
  };
  std::vector<std::string> keys;
  keys.reserve(count);
  char buffer[40];
  for (std::size_t i = 0; i < count; ++i) {
    if (order == KeyOrder::kRandom) {
      std::snprintf(buffer, sizeof buffer, "%016llx%016llx",
                    static_cast<unsigned long long>(next()),
                    static_cast<unsigned long long>(next()));
    } else {
      std::snprintf(buffer, sizeof buffer, "%032zu", i);
    }
    keys.emplace_back(buffer);
  }
  return keys;
}

struct Phase {
  double check_seconds = 0;
  double insert_seconds = 0;
  std::size_t found = 0;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "weft_bench_idempotency: %s\n", what.c_str());
  std::exit(1);
}

Phase run_phase(weft::StateStore& store, const std::vector<std::string>& keys, std::size_t batch) {
  Phase phase;
  std::vector<std::string> chunk;
  std::vector<std::string> unseen;
  for (std::size_t begin = 0; begin < keys.size(); begin += batch) {
    const std::size_t end = std::min(keys.size(), begin + batch);
    chunk.assign(keys.begin() + static_cast<std::ptrdiff_t>(begin),
                 keys.begin() + static_cast<std::ptrdiff_t>(end));
    const auto start = Clock::now();
    auto found = store.find_keys(kPipeline, chunk, start);
    if (!found) fail(found.error().message());
    const auto checked = Clock::now();
    unseen.clear();
    for (std::size_t i = 0; i < chunk.size(); ++i) {
      if ((*found)[i]) {
        ++phase.found;
      } else {
        unseen.push_back(std::move(chunk[i]));
      }
    }
    if (auto remembered = store.remember_keys(kPipeline, unseen, start + std::chrono::hours(24));
        !remembered) {
      fail(remembered.error().message());
    }
    const auto inserted = Clock::now();
    phase.check_seconds += Seconds(checked - start).count();
    phase.insert_seconds += Seconds(inserted - checked).count();
  }
  return phase;
}

// A 4 KiB write and fdatasync at a time, overwriting a preallocated file the way SQLite reuses
// its WAL after a checkpoint: commits per second this disk allows.
double measure_fsync_rate(const std::string& path) {
  constexpr std::size_t kPage = 4096;
  constexpr std::size_t kPages = 1024;
  constexpr int kSyncs = 300;
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) fail("cannot create " + path);
  const std::string page(kPage, 'x');
  for (std::size_t i = 0; i < kPages; ++i) {
    if (::write(fd, page.data(), kPage) != static_cast<ssize_t>(kPage)) fail("write " + path);
  }
  if (::fsync(fd) != 0) fail("fsync " + path);
  const auto start = Clock::now();
  for (int i = 0; i < kSyncs; ++i) {
    const auto offset = static_cast<off_t>((static_cast<std::size_t>(i) % kPages) * kPage);
    if (::pwrite(fd, page.data(), kPage, offset) != static_cast<ssize_t>(kPage) ||
        ::fdatasync(fd) != 0) {
      fail("pwrite/fdatasync " + path);
    }
  }
  const double seconds = Seconds(Clock::now() - start).count();
  ::close(fd);
  return kSyncs / seconds;
}

struct Rates {
  double fresh = 0;           // keys per second
  double fresh_check_ms = 0;  // per batch
  double fresh_insert_ms = 0;
  double duplicate = 0;
};

// One run on a new store at `path`; removes the store afterwards.
Rates run_once(const std::string& path, const std::vector<std::string>& keys, std::size_t batch) {
  Rates rates;
  {
    auto store = weft::open_sqlite_state_store(path);
    if (!store) fail(store.error().message());
    const Phase fresh = run_phase(**store, keys, batch);
    if (fresh.found != 0) fail("fresh keys reported as seen: " + std::to_string(fresh.found));
    const Phase duplicate = run_phase(**store, keys, batch);
    if (duplicate.found != keys.size()) {
      fail("duplicates missed: " + std::to_string(keys.size() - duplicate.found));
    }
    const double batches = static_cast<double>((keys.size() + batch - 1) / batch);
    rates.fresh = keys.size() / (fresh.check_seconds + fresh.insert_seconds);
    rates.fresh_check_ms = 1000 * fresh.check_seconds / batches;
    rates.fresh_insert_ms = 1000 * fresh.insert_seconds / batches;
    rates.duplicate = keys.size() / (duplicate.check_seconds + duplicate.insert_seconds);
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return rates;
}

}  // namespace

int main(int argc, char** argv) {
  const std::size_t count = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 500000;
  const std::size_t batch = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 1000;
  const int runs = argc > 3 ? std::atoi(argv[3]) : 3;
  if (count == 0 || batch == 0 || runs <= 0) {
    fail("usage: weft_bench_idempotency [keys (500000)] [batch (1000)] [runs (3)]");
  }

  std::string pattern = (std::filesystem::temp_directory_path() / "weft-bench-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) fail("cannot create a temporary directory");
  const std::filesystem::path dir = pattern;

  // Best of `runs` for each figure: other load on the machine only ever slows a run down.
  double fsync_rate = 0;
  for (int run = 0; run < runs; ++run) {
    fsync_rate = std::max(fsync_rate, measure_fsync_rate((dir / "fsync-probe").string()));
  }
  const double limit = fsync_rate * static_cast<double>(batch);
  std::printf("fsync limit: %.0f keys/s (one 4 KiB write + fdatasync per batch of %zu)\n", limit,
              batch);
  for (const KeyOrder order : {KeyOrder::kRandom, KeyOrder::kSequential}) {
    const std::vector<std::string> keys = make_keys(count, order);
    Rates best;
    for (int run = 0; run < runs; ++run) {
      const Rates rates = run_once((dir / "state.db").string(), keys, batch);
      if (rates.fresh > best.fresh) {
        best.fresh = rates.fresh;
        best.fresh_check_ms = rates.fresh_check_ms;
        best.fresh_insert_ms = rates.fresh_insert_ms;
      }
      best.duplicate = std::max(best.duplicate, rates.duplicate);
    }
    std::printf(
        "idempotency fresh, %s: %.0f keys/s (check+insert, batch %zu; per batch %.2f ms check + "
        "%.2f ms insert); fresh/fsync limit = %.2f\n",
        to_string(order), best.fresh, batch, best.fresh_check_ms, best.fresh_insert_ms,
        best.fresh / limit);
    std::printf("idempotency duplicate, %s: %.0f keys/s (check only, all found, batch %zu)\n",
                to_string(order), best.duplicate, batch);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
