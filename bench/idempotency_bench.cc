// Idempotency keys through the SQLite state store, the way a pipeline uses them: per batch,
// find_keys, then remember_keys for the keys not seen before. Next to it, measured in the same
// run on the same disk: appending the same keys durably with no index at all (see append_rate).
//
//   weft_bench_idempotency [keys (500000)] [batch (1000)] [runs (3)]
//
// Phases, each for random and for sequential keys: `fresh` (every key new: find + remember),
// `duplicate` (the same keys again: find only, as the pipeline acks duplicates without
// recording them again), `reload` (the first find after reopening the store, which rebuilds the
// in-memory key index from the log), and the memory the store grew by per million keys. One
// line each.

#include <malloc.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "state/state_store.h"

namespace {

using weft::Clock;
using Seconds = std::chrono::duration<double>;

constexpr char kPipeline[] = "bench";

enum class KeyOrder { kRandom, kSequential };

const char* to_string(KeyOrder order) {
  return order == KeyOrder::kRandom ? "random" : "sequential";
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

// Resident set size (VmRSS) in bytes, 0 if /proc is unavailable.
double rss_bytes() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return 1024.0 * std::strtod(line.c_str() + 6, nullptr);
  }
  return 0;
}

// Bytes malloc has handed out and not had back. Unlike VmRSS it does not depend on what an
// earlier run freed and the allocator kept.
double heap_bytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
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

// The reference in the same run: the same keys appended durably to a plain SQLite table in the
// same mode (WAL, synchronous=FULL, one transaction per batch) with no index to look them up.
// That is the cost of writing the keys at all; what the store spends beyond it is the key index.
double append_rate(const std::string& path, const std::vector<std::string>& keys,
                   std::size_t batch) {
  sqlite3* db = nullptr;
  const auto check = [&db](int rc, const char* what) {
    if (rc != SQLITE_OK && rc != SQLITE_DONE) {
      fail(std::string(what) + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    }
  };
  check(sqlite3_open(path.c_str(), &db), "open");
  check(sqlite3_exec(db,
                     "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; "
                     "CREATE TABLE log (pipeline TEXT NOT NULL, key TEXT NOT NULL, "
                     "expires_at INTEGER NOT NULL)",
                     nullptr, nullptr, nullptr),
        "create");
  sqlite3_stmt* insert = nullptr;
  check(sqlite3_prepare_v3(db, "INSERT INTO log VALUES (?1, ?2, ?3)", -1, SQLITE_PREPARE_PERSISTENT,
                           &insert, nullptr),
        "prepare");
  const auto start = Clock::now();
  for (std::size_t begin = 0; begin < keys.size(); begin += batch) {
    check(sqlite3_exec(db, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr), "begin");
    for (std::size_t i = begin; i < std::min(keys.size(), begin + batch); ++i) {
      sqlite3_bind_text(insert, 1, kPipeline, -1, SQLITE_STATIC);
      sqlite3_bind_text(insert, 2, keys[i].data(), static_cast<int>(keys[i].size()), SQLITE_STATIC);
      sqlite3_bind_int64(insert, 3, 0);
      check(sqlite3_step(insert), "insert");
      sqlite3_reset(insert);
    }
    check(sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr), "commit");
  }
  const double seconds = Seconds(Clock::now() - start).count();
  sqlite3_finalize(insert);
  sqlite3_close(db);
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  return static_cast<double>(keys.size()) / seconds;
}

struct Rates {
  double fresh = 0;           // keys per second
  double fresh_check_ms = 0;  // per batch
  double fresh_insert_ms = 0;
  double duplicate = 0;
  double reload = 0;      // keys per second loaded into the index after reopening
  double rss_growth = 0;  // bytes over the fresh phase (index, SQLite page cache)
  double heap_growth = 0;
};

// One run on a new store at `path`; removes the store afterwards.
Rates run_once(const std::string& path, const std::vector<std::string>& keys, std::size_t batch) {
  Rates rates;
  {
    auto store = weft::open_sqlite_state_store(path);
    if (!store) fail(store.error().message());
    const double rss_before = rss_bytes();
    const double heap_before = heap_bytes();
    const Phase fresh = run_phase(**store, keys, batch);
    rates.rss_growth = rss_bytes() - rss_before;
    rates.heap_growth = heap_bytes() - heap_before;
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
  {
    auto store = weft::open_sqlite_state_store(path);
    if (!store) fail(store.error().message());
    const std::vector<std::string> first(
        keys.begin(), keys.begin() + static_cast<std::ptrdiff_t>(std::min(batch, keys.size())));
    const auto start = Clock::now();
    auto found = (*store)->find_keys(kPipeline, first, start);
    const double seconds = Seconds(Clock::now() - start).count();
    if (!found) fail(found.error().message());
    if (std::count(found->begin(), found->end(), true) != static_cast<long>(first.size())) {
      fail("keys forgotten after reopening");
    }
    rates.reload = keys.size() / seconds;
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
  for (const KeyOrder order : {KeyOrder::kRandom, KeyOrder::kSequential}) {
    const std::vector<std::string> keys = make_keys(count, order);
    Rates best;
    double append = 0;
    for (int run = 0; run < runs; ++run) {
      const Rates rates = run_once((dir / "state.db").string(), keys, batch);
      if (run == 0) {  // later runs reuse memory the first one freed
        best.rss_growth = rates.rss_growth;
        best.heap_growth = rates.heap_growth;
      }
      best.reload = std::max(best.reload, rates.reload);
      if (rates.fresh > best.fresh) {
        best.fresh = rates.fresh;
        best.fresh_check_ms = rates.fresh_check_ms;
        best.fresh_insert_ms = rates.fresh_insert_ms;
      }
      best.duplicate = std::max(best.duplicate, rates.duplicate);
      append = std::max(append, append_rate((dir / "append.db").string(), keys, batch));
    }
    const double per_million = 1e6 / static_cast<double>(count) / (1024.0 * 1024.0);
    std::printf(
        "idempotency %s fresh: %.0f keys/s (find+remember, batch %zu; per batch %.2f ms find + "
        "%.2f ms remember)\n",
        to_string(order), best.fresh, batch, best.fresh_check_ms, best.fresh_insert_ms);
    std::printf("idempotency %s duplicate: %.0f keys/s (find only, all found, batch %zu)\n",
                to_string(order), best.duplicate, batch);
    std::printf("idempotency %s reload: %.0f keys/s (first find after reopening %zu keys)\n",
                to_string(order), best.reload, count);
    std::printf("idempotency %s memory: %.1f MiB heap, %.1f MiB RSS per million keys (first run)\n",
                to_string(order), best.heap_growth * per_million, best.rss_growth * per_million);
    std::printf(
        "reference %s: durable append without an index %.0f keys/s; fresh / append = %.2f\n",
        to_string(order), append, best.fresh / append);
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir, ignored);
  return 0;
}
