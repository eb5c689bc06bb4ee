#pragma once

// Runs `rest` sources against the fake REST API (tests/fakes): the API on threads of its own,
// each source on a one-thread io_context as the pipeline's strand would run it.

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <memory>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "config/environment.h"
#include "config/pipeline_config.h"
#include "config/pipeline_loader.h"
#include "connectors/run_coroutine.h"
#include "fakes/fake_rest_api.h"
#include "rest/rest_config.h"
#include "rest/rest_source.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::rest {

namespace asio = boost::asio;

// Records read from a source, with what a test asserts on.
struct Drained {
  std::vector<Record> records;
  std::vector<Error> errors;  // failed reads (the runtime would back off and read again)

  std::set<std::string> keys() const {
    std::set<std::string> out;
    for (const auto& r : records) out.insert(r.key);
    return out;
  }
};

class RestSourceTest : public ::testing::Test {
 protected:
  void SetUp() override { start_api({}); }

  void TearDown() override {
    close_source();
    api_->stop();
    api_work_.reset();
    api_io_.stop();
    for (auto& t : api_threads_) t.join();
  }

  void start_api(fakes::FakeRestApiOptions options) {
    if (api_) {
      api_->stop();
      api_.reset();
    }
    auto api = fakes::FakeRestApi::start(api_io_, std::move(options));
    ASSERT_TRUE(api.ok()) << api.error().message();
    api_ = std::move(*api);
    if (api_threads_.empty()) {
      for (int i = 0; i < 2; ++i) api_threads_.emplace_back([this] { api_io_.run(); });
    }
  }

  // Builds a source from a `source:` block (without `type: rest`), validated like a pipeline
  // file; "{api}" in it becomes the fake API's base URL.
  std::unique_ptr<Source> make_source(std::string block) {
    for (auto at = block.find("{api}"); at != std::string::npos; at = block.find("{api}")) {
      block.replace(at, 5, api_->base_url());
    }
    std::string text = "name: rest\nsource:\n  type: rest\n";
    std::istringstream in(block);
    for (std::string line; std::getline(in, line);) text += "  " + line + "\n";
    text += "sink:\n  type: file\n  path: out.jsonl\n";
    auto loaded =
        load_pipeline_file(temp_.write("p.yaml", text), builtin_registry(), Environment::process());
    for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
    if (!loaded.ok()) return nullptr;
    auto config = RestConfig::from(loaded.value->source.settings);
    EXPECT_TRUE(config.ok()) << config.error().message();
    if (!config.ok()) return nullptr;
    ConnectorContext context;
    context.pipeline = "rest";
    context.connector = "rest";
    context.logger = spdlog::default_logger();
    context.metrics = &registry_;
    return make_rest_source(std::move(*config), context);
  }

  template <typename T>
  T run(asio::awaitable<T> op) {
    return runner_.run(std::move(op));
  }

  // Makes and connects the test's source.
  Status start(const std::string& block, std::optional<Position> checkpoint = std::nullopt) {
    close_source();
    source_ = make_source(block);
    if (!source_) return Error::invalid_config("the block does not validate");
    return run(source_->connect(std::move(checkpoint)));
  }

  void close_source() {
    if (!source_) return;
    runner_.run(source_->close());
    source_.reset();
  }

  // Reads until the source finishes (a `once` schedule), `limit` records have arrived, or
  // `max_errors` reads failed; failed reads are retried at once.
  Drained drain(std::size_t limit = SIZE_MAX, int max_errors = 20, std::size_t batch = 1000) {
    Drained out;
    for (int reads = 0; reads < 100000 && !source_->finished() && out.records.size() < limit;
         ++reads) {
      Result<Batch> read = run(source_->read_batch(std::min(batch, limit - out.records.size())));
      if (!read.ok()) {
        out.errors.push_back(read.error());
        if (static_cast<int>(out.errors.size()) >= max_errors) break;
        continue;
      }
      for (auto& r : *read) out.records.push_back(std::move(r));
    }
    return out;
  }

  // Records that arrive in `reads` reads (each waits at most a quarter second when idle).
  std::size_t read_idle(int reads = 2) {
    std::size_t n = 0;
    for (int i = 0; i < reads; ++i) {
      Result<Batch> read = run(source_->read_batch(1000));
      EXPECT_TRUE(read.ok()) << read.error().message();
      if (read.ok()) n += read->size();
    }
    return n;
  }

  std::string metrics() { return prometheus::TextSerializer().Serialize(registry_.Collect()); }

  std::size_t data_requests() const { return api_->stats().data_requests; }

  test::TempDir temp_;
  prometheus::Registry registry_;
  asio::io_context api_io_;
  asio::executor_work_guard<asio::io_context::executor_type> api_work_ =
      asio::make_work_guard(api_io_);
  std::vector<std::thread> api_threads_;
  std::unique_ptr<fakes::FakeRestApi> api_;
  testing::CoroutineThread runner_;  // the source's strand
  std::unique_ptr<Source> source_;
};

}  // namespace weft::rest
