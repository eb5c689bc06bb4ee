#pragma once

// Runs `files` sources in process against a TestLocation (a directory or an s3rver bucket), each
// source on a thread of its own as a pipeline's strand would run it, with an in-memory ledger
// standing in for the state store's.

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "config/environment.h"
#include "config/pipeline_loader.h"
#include "connectors/run_coroutine.h"
#include "files/files_config.h"
#include "files/files_source.h"
#include "files/test_location.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::files::testing {

// The state store's ledger, in memory, shared by the sources a test makes one after another.
class MemoryLedger {
 public:
  struct Entry {
    std::string version;
    std::uint64_t ordinal = 0;
    bool done = false;
  };

  ObjectLedger access() {
    ObjectLedger ledger;
    ledger.versions = [this](const std::vector<std::string>& keys) {
      std::lock_guard lock(mutex_);
      std::vector<std::optional<std::string>> out;
      for (const auto& key : keys) {
        auto it = entries_.find(key);
        const bool done = it != entries_.end() && it->second.done;
        out.push_back(done ? std::optional(it->second.version) : std::nullopt);
      }
      return Result<std::vector<std::optional<std::string>>>(std::move(out));
    };
    ledger.record = [this](const std::vector<ObjectEntry>& entries) {
      std::lock_guard lock(mutex_);
      for (const auto& e : entries) entries_[e.key] = Entry{e.version, e.ordinal, e.done};
      return Status{};
    };
    ledger.confirm = [this](std::uint64_t through) {
      std::lock_guard lock(mutex_);
      std::vector<std::pair<std::uint64_t, std::pair<std::string, std::string>>> confirmed;
      for (auto& [key, entry] : entries_) {
        if (entry.done || entry.ordinal > through) continue;
        entry.done = true;
        confirmed.push_back({entry.ordinal, {key, entry.version}});
      }
      std::sort(confirmed.begin(), confirmed.end());
      std::vector<std::pair<std::string, std::string>> out;
      for (auto& c : confirmed) out.push_back(std::move(c.second));
      return Result<std::vector<std::pair<std::string, std::string>>>(std::move(out));
    };
    ledger.discard = [this](std::uint64_t after) {
      std::lock_guard lock(mutex_);
      std::erase_if(entries_, [after](const auto& e) {
        return !e.second.done && e.second.ordinal > after;
      });
      return Status{};
    };
    return ledger;
  }
  // Done objects: key -> version.
  std::map<std::string, std::string> snapshot() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::string> out;
    for (const auto& [key, entry] : entries_) {
      if (entry.done) out[key] = entry.version;
    }
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

class FilesSourceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    location_ = make_location(GetParam(),
                              ::testing::UnitTest::GetInstance()->current_test_info()->name());
  }
  void TearDown() override { close_source(); }

  // A source from a `source:` block (without type and url) at the test's location, validated
  // like a pipeline file.
  std::unique_ptr<Source> make_source(const std::string& block) {
    return make_source_with("url: " + location_->url() + "\n" + location_->settings() + block);
  }

  // A source from a whole `source:` block but its type.
  std::unique_ptr<Source> make_source_with(const std::string& block) {
    std::string text = "name: files\nsource:\n  type: files\n";
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);) text += "  " + line + "\n";
    text += "sink:\n  type: file\n  path: out.jsonl\n";
    auto loaded =
        load_pipeline_file(temp_.write("p.yaml", text), builtin_registry(), Environment::process());
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
    if (!loaded.ok()) return nullptr;
    auto config = FilesConfig::from(loaded.value->source.settings, Environment::process());
    EXPECT_TRUE(config.ok()) << config.error().message();
    if (!config.ok()) return nullptr;
    ConnectorContext context;
    context.pipeline = "files";
    context.connector = "files";
    context.logger = spdlog::default_logger();
    context.metrics = &registry_;
    context.objects = ledger_.access();
    return make_files_source(std::move(*config), context);
  }

  Status start(const std::string& block, std::optional<Position> checkpoint = std::nullopt) {
    close_source();
    source_ = make_source(block);
    if (!source_) return Error::invalid_config("the block does not validate");
    return runner_.run(source_->connect(std::move(checkpoint)));
  }

  void close_source() {
    if (!source_) return;
    runner_.run(source_->close());
    source_.reset();
  }

  // Reads until `count` records arrived, or until `idle_reads` reads in a row brought nothing
  // (each waits at most a quarter second), or a read failed (returned in `error`).
  std::vector<Record> read(std::size_t count = SIZE_MAX, int idle_reads = 3,
                           std::optional<Error>* error = nullptr, std::size_t batch = 100) {
    std::vector<Record> out;
    int idle = 0;
    while (out.size() < count && idle < idle_reads) {
      Result<Batch> got = runner_.run(source_->read_batch(std::min(batch, count - out.size())));
      if (!got.ok()) {
        if (error) *error = got.error();
        else ADD_FAILURE() << got.error().message();
        break;
      }
      idle = got->empty() ? idle + 1 : 0;
      for (auto& r : *got) out.push_back(std::move(r));
    }
    return out;
  }

  Status commit(const Record& record) { return runner_.run(source_->commit(record.position)); }

  static std::vector<std::string> values(const std::vector<Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records) out.push_back(r.value.text());
    return out;
  }

  test::TempDir temp_;
  prometheus::Registry registry_;
  MemoryLedger ledger_;
  std::unique_ptr<TestLocation> location_;
  weft::testing::CoroutineThread runner_;
  std::unique_ptr<Source> source_;
};

}  // namespace weft::files::testing
