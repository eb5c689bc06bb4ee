#pragma once

// A pipeline from a CountingSource into a ScriptedSink, configured from real YAML (so the
// middleware settings get their documented defaults), on two io_context threads, with a real
// SQLite state store.

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "config/pipeline_config.h"
#include "delivery/rate_limiter.h"
#include "runtime/logging.h"
#include "runtime/metrics.h"
#include "runtime/pipeline.h"
#include "runtime/test_connectors.h"
#include "state/state_store.h"
#include "support/temp_dir.h"

namespace weft {

using namespace std::chrono_literals;

// Waits (without asserting on time) until `done` holds; gives up after a generous limit so a
// hung pipeline fails the test instead of hanging CI.
template <typename Pred>
bool eventually(Pred done) {
  for (int i = 0; i < 3000; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return done();
}

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    open_state();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });

    ConnectorInfo source_info;
    source_info.type = "counting";
    source_info.make_source = [this](const Settings&,
                                     const ConnectorContext&) -> Result<std::unique_ptr<Source>> {
      return std::unique_ptr<Source>(
          std::make_unique<testing::CountingSource>(source_log_, source_total_));
    };
    ConnectorInfo sink_info;
    sink_info.type = "scripted";
    sink_info.kind = ConnectorKind::kSink;
    sink_info.make_sink = [this](const Settings&,
                                 const ConnectorContext& ctx) -> Result<std::unique_ptr<Sink>> {
      sink_context_ = ctx;
      return std::unique_ptr<Sink>(std::make_unique<testing::ScriptedSink>(sink_log_));
    };
    registry_.add(std::move(source_info));
    registry_.add(std::move(sink_info));
  }

  void TearDown() override {
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  void open_state() {
    state_.reset();
    auto store = open_sqlite_state_store(dir_.file("state.db"));
    ASSERT_TRUE(store.ok()) << store.error().message();
    state_ = std::move(*store);
  }

  // Pipeline "p" reading `total` records (0: endless). `extra_yaml` adds pipeline settings
  // (retry, dlq, ...) as top-level YAML lines; a `batch:` line there replaces max_records.
  std::shared_ptr<Pipeline> make_pipeline(std::uint64_t total, int max_records = 100,
                                          int buffer_batches = 2,
                                          const std::string& extra_yaml = "") {
    source_total_ = total;
    const std::string path = dir_.file("p.yaml");
    {
      std::ofstream out(path);
      out << "name: p\nsource: {type: counting}\nsink: {type: scripted}\n"
          << (extra_yaml.find("batch:") == std::string::npos
                  ? "batch: {max_records: " + std::to_string(max_records) + "}\n"
                  : std::string())
          << "checkpoint: {interval: 10ms}\n"
          << "buffer: {batches: " << buffer_batches << "}\n"
          << extra_yaml;
      // Quick retries unless the test sets its own.
      if (extra_yaml.find("retry:") == std::string::npos)
        out << "retry: {initial: 1ms, max: 20ms}\n";
    }
    auto loaded = load_pipeline_file(path, registry_, Environment{});
    if (!loaded.ok()) {
      for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
      return nullptr;
    }
    if (!metrics_handles_) {
      metrics_handles_ = std::make_shared<PipelineMetrics>(metrics_, "p", "counting", "scripted");
    }
    return std::make_shared<Pipeline>(io_, std::move(*loaded.value), *state_, metrics_handles_,
                                      make_logger("p"), shared_);
  }

  void stop_and_wait(Pipeline& p) {
    std::promise<void> stopped;
    p.stop([&] { stopped.set_value(); });
    ASSERT_EQ(stopped.get_future().wait_for(30s), std::future_status::ready);
  }

  std::optional<Position> saved_checkpoint() {
    auto loaded = state_->load_checkpoint("p");
    EXPECT_TRUE(loaded.ok());
    if (!loaded.ok() || !*loaded) return std::nullopt;
    return (*loaded)->position;
  }

  std::vector<DeadLetter> dead_letters() {
    auto listed = state_->list_dead_letters(DeadLetterFilter{});
    EXPECT_TRUE(listed.ok());
    return listed.ok() ? std::move(*listed) : std::vector<DeadLetter>{};
  }

  weft::test::TempDir dir_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::vector<std::thread> threads_;
  std::unique_ptr<StateStore> state_;
  DaemonMetrics metrics_;
  std::shared_ptr<PipelineMetrics> metrics_handles_;
  Registry registry_;
  SharedServices shared_;  // the daemon's named rate limits, the crosswalk
  ConnectorContext sink_context_;  // what the last sink built was given
  std::uint64_t source_total_ = 0;
  std::shared_ptr<testing::SourceLog> source_log_ = std::make_shared<testing::SourceLog>();
  std::shared_ptr<testing::SinkLog> sink_log_ = std::make_shared<testing::SinkLog>();
};

}  // namespace weft
