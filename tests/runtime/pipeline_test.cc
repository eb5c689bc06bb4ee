#include "runtime/pipeline.h"

#include <algorithm>
#include <future>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "runtime/pipeline_fixture.h"

namespace weft {
namespace {

using namespace std::chrono_literals;
using testing::CountingSource;
using testing::ScriptedSink;
using testing::SinkLog;
using testing::SourceLog;

TEST_F(PipelineTest, DeliversEveryRecordInOrderAndCommitsTheLastPosition) {
  auto p = make_pipeline(1000);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << to_string(p->snapshot().state) << " " << p->snapshot().error;
  std::lock_guard lock(sink_log_->mutex);
  ASSERT_EQ(sink_log_->delivered.size(), 1000u);
  for (std::size_t i = 0; i < 1000; ++i) ASSERT_EQ(sink_log_->delivered[i], std::to_string(i + 1));
  EXPECT_EQ(saved_checkpoint(), "1000");
  std::lock_guard source_lock(source_log_->mutex);
  ASSERT_FALSE(source_log_->commits.empty());
  EXPECT_EQ(source_log_->commits.back(), "1000") << "the source is told what was committed";
  EXPECT_TRUE(sink_log_->closed && source_log_->closed);
  EXPECT_EQ(p->snapshot().records_out, 1000u);
}

TEST_F(PipelineTest, SinkIsFlushedBeforeEachCheckpoint) {
  auto p = make_pipeline(500, 50);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_GE(sink_log_->flushes, 1u);
  EXPECT_EQ(sink_log_->delivered_at_last_flush, 500u)
      << "the final checkpoint (500) was committed only after a flush covering it";
}

TEST_F(PipelineTest, RetryableFailuresAreRetriedUntilDelivered) {
  int failures_left = 3;
  sink_log_->script = [&](const Batch&) {
    if (failures_left-- > 0) return WriteResult::failed(Error::retryable("503 from target"));
    return WriteResult::all_delivered();
  };
  auto p = make_pipeline(300);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(sink_log_->delivered.size(), 300u) << "nothing lost, nothing delivered twice";
  EXPECT_EQ(saved_checkpoint(), "300");
  EXPECT_EQ(metrics_handles_->sink_retryable_errors.Value(), 3);
}

TEST_F(PipelineTest, PerRecordFailureResendsOnlyTheFailedRecord) {
  bool failed_once = false;
  sink_log_->script = [&](const Batch& batch) {
    WriteResult r;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].key == "42" && !failed_once) {
        failed_once = true;
        r.failures.push_back({i, Error::retryable("row locked")});
      }
    }
    return r;
  };
  auto p = make_pipeline(100);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::lock_guard lock(sink_log_->mutex);
  ASSERT_EQ(sink_log_->write_sizes.size(), 2u);
  EXPECT_EQ(sink_log_->write_sizes[0], 100u);
  EXPECT_EQ(sink_log_->write_sizes[1], 1u) << "the 99 delivered records were not resent";
  EXPECT_EQ(sink_log_->delivered.size(), 100u);
  EXPECT_EQ(sink_log_->delivered.back(), "42");
  EXPECT_EQ(saved_checkpoint(), "100");
}

TEST_F(PipelineTest, WithoutADlqAPermanentFailureStopsThePipelineBeforeTheRecord) {
  sink_log_->script = [&](const Batch& batch) {
    WriteResult r;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      if (batch[i].key == "150") r.failures.push_back({i, Error::permanent("field 'sku' rejected")});
    }
    return r;
  };
  auto p = make_pipeline(0, 100, 2, "dlq: {enabled: false}\n");  // endless, no DLQ
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFailed; }));
  ASSERT_TRUE(eventually([&] { return sink_log_->closed.load(); }));
  PipelineSnapshot s = p->snapshot();
  EXPECT_NE(s.error.find("field 'sku' rejected"), std::string::npos) << s.error;
  EXPECT_NE(s.error.find("position 150"), std::string::npos) << s.error;
  EXPECT_EQ(saved_checkpoint(), "149") << "the rejected record will be read again";
  EXPECT_EQ(metrics_handles_->up.Value(), 0);
}

TEST_F(PipelineTest, ASlowSinkStopsTheSourceFromReadingAhead) {
  sink_log_->gate_closed = true;
  auto p = make_pipeline(0, 100, 2);
  p->start();
  ASSERT_TRUE(eventually([&] { return source_log_->produced.load() >= 200; }));
  std::this_thread::sleep_for(200ms);
  // One batch inside the sink, `buffer.batches` queued, one being sent by the reader.
  EXPECT_LE(source_log_->produced.load(), 400u) << "the reader must block, not buffer";
  sink_log_->gate_closed = false;
  ASSERT_TRUE(eventually([&] { return source_log_->produced.load() > 1000; }));
  stop_and_wait(*p);
}

TEST_F(PipelineTest, StopDrainsCommitsAndClosesBothConnectors) {
  auto p = make_pipeline(0, 100);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().records_out >= 1000; }));
  stop_and_wait(*p);
  PipelineSnapshot s = p->snapshot();
  EXPECT_EQ(s.state, PipelineState::kStopped);
  std::lock_guard lock(sink_log_->mutex);
  ASSERT_FALSE(sink_log_->delivered.empty());
  EXPECT_EQ(saved_checkpoint(), sink_log_->delivered.back())
      << "every delivered record is committed at the end of a drain";
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_TRUE(sink_log_->closed && source_log_->closed);
}

TEST_F(PipelineTest, StopWhileTheSinkIsSlowStillDeliversEverythingRead) {
  sink_log_->gate_closed = true;
  auto p = make_pipeline(0, 100, 2);
  p->start();
  ASSERT_TRUE(eventually([&] { return source_log_->produced.load() >= 300; }));
  std::promise<void> stopped;
  p->stop([&] { stopped.set_value(); });  // the reader is blocked on a full channel
  std::this_thread::sleep_for(50ms);
  sink_log_->gate_closed = false;
  ASSERT_EQ(stopped.get_future().wait_for(30s), std::future_status::ready);
  PipelineSnapshot s = p->snapshot();
  EXPECT_EQ(s.records_out, s.records_in) << "the batch waiting to enter the channel is delivered";
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(saved_checkpoint(), std::to_string(s.records_in));
}

TEST_F(PipelineTest, AConnectorsOwnHealthShowsInTheSnapshot) {
  auto p = make_pipeline(0);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kRunning; }));
  EXPECT_EQ(p->snapshot().error, "");
  {
    std::lock_guard lock(sink_log_->mutex);
    sink_log_->unhealthy_reason = "warehouse stage is 90% full";
  }
  EXPECT_EQ(p->snapshot().error, "warehouse stage is 90% full");
  stop_and_wait(*p);
}

TEST_F(PipelineTest, ARestartResumesAfterTheCommittedPosition) {
  auto first = make_pipeline(0, 100);
  first->start();
  ASSERT_TRUE(eventually([&] { return first->snapshot().records_out >= 500; }));
  stop_and_wait(*first);
  std::string committed = *saved_checkpoint();

  auto second = make_pipeline(0, 100);
  second->start();
  ASSERT_TRUE(eventually([&] { return second->snapshot().records_out >= 100; }));
  stop_and_wait(*second);
  std::lock_guard lock(source_log_->mutex);
  EXPECT_EQ(source_log_->connected_at, committed);
  std::lock_guard sink_lock(sink_log_->mutex);
  // Keys across both runs are 1..N with no gap and no repeat.
  for (std::size_t i = 0; i < sink_log_->delivered.size(); ++i) {
    ASSERT_EQ(sink_log_->delivered[i], std::to_string(i + 1)) << "at index " << i;
  }
}

TEST_F(PipelineTest, ASinkThatKeepsThePositionDecidesWhereTheSourceResumes) {
  sink_log_->keeps_position = true;
  auto first = make_pipeline(0, 100);
  first->start();
  ASSERT_TRUE(eventually([&] { return first->snapshot().records_out >= 300; }));
  stop_and_wait(*first);
  {
    std::lock_guard lock(sink_log_->mutex);
    ASSERT_FALSE(sink_log_->commits.empty());
    // The sink stores each checkpoint after flushing, before the state store does.
    EXPECT_GE(sink_log_->flushes_at_first_commit, 1u);
    EXPECT_EQ(sink_log_->commits.back(), *saved_checkpoint());
    // The target committed more than the daemon's checkpoint says (a crash between the two):
    // the source must resume after what the target holds, or those records load twice.
    sink_log_->held = std::to_string(std::stoull(*saved_checkpoint()) + 50);
  }
  const std::string held = *sink_log_->held;

  auto second = make_pipeline(0, 100);
  second->start();
  ASSERT_TRUE(eventually([&] { return second->snapshot().records_out >= 100; }));
  stop_and_wait(*second);
  std::lock_guard lock(source_log_->mutex);
  EXPECT_EQ(source_log_->connected_at, held);
  std::lock_guard sink_lock(sink_log_->mutex);
  const auto resumed_at = std::find(sink_log_->delivered.begin(), sink_log_->delivered.end(),
                                    std::to_string(std::stoull(held) + 1));
  ASSERT_NE(resumed_at, sink_log_->delivered.end());
  EXPECT_EQ(std::count(sink_log_->delivered.begin(), sink_log_->delivered.end(), held), 0)
      << "record " << held << " was written again after the restart";
}

TEST_F(PipelineTest, MaxWaitGathersSmallReadsIntoFullWrites) {
  source_log_->read_size = 7;
  auto p = make_pipeline(1000, 100, 4, "batch: {max_records: 100, max_wait: 10s}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(sink_log_->delivered.size(), 1000u);
  // Reads of 7 records are written as batches of 100 (the limit is never exceeded); the source
  // ending closes the last one.
  ASSERT_EQ(sink_log_->write_sizes.size(), 10u);
  for (std::size_t size : sink_log_->write_sizes) EXPECT_EQ(size, 100u);
}

TEST_F(PipelineTest, MaxBytesEndsABatchEarly) {
  source_log_->read_size = 10;
  // Each value is {"n":N}, 7 to 9 bytes: 500 bytes end a batch within 70 records.
  auto p = make_pipeline(200, 100, 4, "batch: {max_records: 100, max_wait: 10s, max_bytes: 500}\n");
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(sink_log_->delivered.size(), 200u);
  for (std::size_t size : sink_log_->write_sizes) EXPECT_LE(size, 70u);
  EXPECT_GT(sink_log_->write_sizes.front(), 10u);
}

TEST_F(PipelineTest, PermanentConnectFailureFailsOnlyThisPipeline) {
  source_log_->connect_error = Error::permanent("checkpoint 'abc' is not a record number");
  auto p = make_pipeline(0);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFailed; }));
  EXPECT_EQ(p->snapshot().error, "source counting: checkpoint 'abc' is not a record number");
  ASSERT_TRUE(eventually([&] { return source_log_->closed.load(); }))
      << "a source that failed to connect is still closed";
  std::promise<void> stopped;
  p->stop([&] { stopped.set_value(); });
  EXPECT_EQ(stopped.get_future().wait_for(5s), std::future_status::ready);
}

TEST_F(PipelineTest, RetryableConnectFailureKeepsTryingUntilTheTargetIsUp) {
  source_log_->connect_error = Error::retryable("connection refused");
  auto p = make_pipeline(100);
  p->start();
  ASSERT_TRUE(eventually([&] { return !p->snapshot().error.empty(); }));
  EXPECT_EQ(p->snapshot().state, PipelineState::kStarting);
  EXPECT_NE(p->snapshot().error.find("connection refused"), std::string::npos);
  {
    std::lock_guard lock(source_log_->mutex);
    source_log_->connect_error.reset();
  }
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  EXPECT_EQ(p->snapshot().records_out, 100u);
}

TEST_F(PipelineTest, AbortDuringAnOutageCommitsOnlyWhatWasDelivered) {
  std::atomic<bool> target_down{false};
  sink_log_->script = [&](const Batch&) {
    if (target_down) return WriteResult::failed(Error::retryable("connection refused"));
    return WriteResult::all_delivered();
  };
  auto p = make_pipeline(0, 100);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().records_out >= 300; }));
  target_down = true;
  ASSERT_TRUE(eventually([&] { return metrics_handles_->sink_retryable_errors.Value() >= 2; }));
  std::promise<void> stopped;
  p->stop([&] { stopped.set_value(); });
  p->abort();
  ASSERT_EQ(stopped.get_future().wait_for(30s), std::future_status::ready);
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(saved_checkpoint(), sink_log_->delivered.back());
  EXPECT_GT(p->snapshot().in_flight, 0u) << "undelivered records stay unacknowledged";
}

TEST_F(PipelineTest, ASinkTakingOneWriteAtATimeNeverGetsTwo) {
  sink_log_->write_time = 2ms;
  auto p = make_pipeline(500, 50);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }));
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(sink_log_->most_writing, 1u);
  EXPECT_EQ(sink_log_->delivered.size(), 500u);
}

TEST_F(PipelineTest, ASinkTakingSeveralWritesGetsThemAndTheCheckpointWaitsForAll) {
  sink_log_->concurrency = 3;
  sink_log_->write_time = 5ms;
  auto p = make_pipeline(2000, 50);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_GT(sink_log_->most_writing, 1u) << "later batches went out while earlier ones waited";
  EXPECT_LE(sink_log_->most_writing, 3u) << "never more than the sink takes";
  const std::set<std::string> keys(sink_log_->delivered.begin(), sink_log_->delivered.end());
  EXPECT_EQ(keys.size(), 2000u);
  EXPECT_EQ(sink_log_->delivered.size(), 2000u) << "each record once";
  EXPECT_EQ(saved_checkpoint(), "2000");
}

// A sink that prepares batches (a warehouse staging rows) gets the next batch while one is
// written, but writes stay one at a time and in order.
TEST_F(PipelineTest, ASinkThatPreparesGetsTheNextBatchWhileOneIsWrittenAndWritesInOrder) {
  sink_log_->prepares = true;
  sink_log_->write_time = 5ms;
  auto p = make_pipeline(2000, 50);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(sink_log_->most_writing, 1u) << "one write at a time";
  EXPECT_GT(sink_log_->prepared_while_writing, 0u) << "batches were prepared during writes";
  EXPECT_EQ(sink_log_->prepared.size(), sink_log_->write_sizes.size())
      << "every batch prepared before its write";
  std::vector<std::string> expected;
  for (int key = 1; key <= 2000; ++key) expected.push_back(std::to_string(key));
  EXPECT_EQ(sink_log_->delivered, expected) << "in order, each record once";
  EXPECT_EQ(saved_checkpoint(), "2000");
}

// The batch after a failed one is prepared meanwhile, but is written only once the failed batch
// went through: a load retried after a later one would bring back older values.
TEST_F(PipelineTest, ABatchRetriedByASinkThatPreparesLandsBeforeTheBatchesAfterIt) {
  sink_log_->prepares = true;
  sink_log_->write_time = 2ms;
  int failures_left = 4;
  sink_log_->script = [&](const Batch& batch) {
    if (batch.front().key == "51" && failures_left-- > 0) {
      return WriteResult::failed(Error::retryable("lock timeout"));
    }
    return WriteResult::all_delivered();
  };
  auto p = make_pipeline(500, 50);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().state == PipelineState::kFinished; }))
      << p->snapshot().error;
  std::lock_guard lock(sink_log_->mutex);
  EXPECT_EQ(failures_left, -1) << "the second batch failed four times, then went through";
  std::vector<std::string> expected;
  for (int key = 1; key <= 500; ++key) expected.push_back(std::to_string(key));
  EXPECT_EQ(sink_log_->delivered, expected) << "no batch overtook the retried one";
  EXPECT_EQ(saved_checkpoint(), "500");
}

TEST_F(PipelineTest, AbortWithSeveralWritesInFlightCommitsOnlyWhatWasDelivered) {
  std::atomic<bool> target_down{false};
  sink_log_->concurrency = 4;
  sink_log_->write_time = 2ms;
  sink_log_->script = [&](const Batch&) {
    if (target_down) return WriteResult::failed(Error::retryable("connection refused"));
    return WriteResult::all_delivered();
  };
  auto p = make_pipeline(0, 100);
  p->start();
  ASSERT_TRUE(eventually([&] { return p->snapshot().records_out >= 1000; }));
  target_down = true;
  ASSERT_TRUE(eventually([&] { return metrics_handles_->sink_retryable_errors.Value() >= 4; }));
  std::promise<void> stopped;
  p->stop([&] { stopped.set_value(); });
  p->abort();
  ASSERT_EQ(stopped.get_future().wait_for(30s), std::future_status::ready);
  std::lock_guard lock(sink_log_->mutex);
  const std::set<std::string> keys(sink_log_->delivered.begin(), sink_log_->delivered.end());
  const std::uint64_t checkpoint = std::stoull(saved_checkpoint().value_or("0"));
  ASSERT_GT(checkpoint, 0u);
  for (std::uint64_t key = 1; key <= checkpoint; ++key) {
    ASSERT_TRUE(keys.contains(std::to_string(key))) << key << " is before the checkpoint";
  }
  EXPECT_GT(p->snapshot().in_flight, 0u) << "undelivered records stay unacknowledged";
}

}  // namespace
}  // namespace weft
