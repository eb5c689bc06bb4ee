#include "connectors/sinks/file/file_sink.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "connectors/run_coroutine.h"
#include "runtime/logging.h"
#include "support/temp_dir.h"

namespace weft::file {
namespace {

namespace fs = std::filesystem;
using weft::testing::run_coroutine;

class FileSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<Sink> make(FileSinkConfig config) {
    ConnectorContext ctx;
    ctx.pipeline = "demo";
    ctx.connector = "file";
    ctx.logger = make_logger("demo/file");
    return make_file_sink(std::move(config), ctx);
  }

  static Batch records(int from, int to) {
    Batch b;
    for (int i = from; i <= to; ++i) {
      Record r;
      r.key = std::to_string(i);
      r.position = r.key;
      r.op = Operation::kUpdate;
      r.headers.set("_row", r.key);
      r.value = Payload::from_text("{\"n\":" + r.key + "}");
      b.push_back(std::move(r));
    }
    return b;
  }

  static std::vector<std::string> lines(const fs::path& p) {
    std::ifstream in(p);
    std::vector<std::string> out;
    for (std::string line; std::getline(in, line);) out.push_back(line);
    return out;
  }

  weft::test::TempDir temp_;
  const fs::path& dir_ = temp_.path();
};

TEST_F(FileSinkTest, AppendsOneJsonValuePerLineCreatingDirectories) {
  FileSinkConfig config;
  config.path = (dir_ / "nested" / "out.jsonl").string();
  auto sink = make(config);
  ASSERT_TRUE(run_coroutine(sink->connect()).ok());
  ASSERT_TRUE(run_coroutine(sink->write_batch(records(1, 3))).status.ok());
  ASSERT_TRUE(run_coroutine(sink->write_batch(records(4, 5))).status.ok());
  ASSERT_TRUE(run_coroutine(sink->flush()).ok());
  run_coroutine(sink->close());
  auto got = lines(config.path);
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(got[0], "{\"n\":1}");
  EXPECT_EQ(got[4], "{\"n\":5}");
}

TEST_F(FileSinkTest, RecordFormatWritesTheEnvelope) {
  FileSinkConfig config;
  config.path = (dir_ / "out.jsonl").string();
  config.format = LineFormat::kRecord;
  auto sink = make(config);
  ASSERT_TRUE(run_coroutine(sink->connect()).ok());
  ASSERT_TRUE(run_coroutine(sink->write_batch(records(7, 7))).status.ok());
  run_coroutine(sink->close());
  auto line = nlohmann::json::parse(lines(config.path).at(0));
  EXPECT_EQ(line["key"], "7");
  EXPECT_EQ(line["op"], "update");
  EXPECT_EQ(line["value"]["n"], 7);
  EXPECT_EQ(line["headers"]["_row"], "7");
  EXPECT_EQ(line["position"], "7");
}

TEST_F(FileSinkTest, RotatesBySizeAndKeepsMaxFiles) {
  FileSinkConfig config;
  config.path = (dir_ / "out.jsonl").string();
  config.max_size = 30;  // about four 8-byte lines
  config.max_files = 2;
  auto sink = make(config);
  ASSERT_TRUE(run_coroutine(sink->connect()).ok());
  for (int i = 1; i <= 40; i += 2) {
    ASSERT_TRUE(run_coroutine(sink->write_batch(records(i, i + 1))).status.ok());
  }
  run_coroutine(sink->close());
  EXPECT_TRUE(fs::exists(config.path + ".1"));
  EXPECT_TRUE(fs::exists(config.path + ".2"));
  EXPECT_FALSE(fs::exists(config.path + ".3")) << "only max_files rotated files are kept";
  EXPECT_LE(fs::file_size(config.path), 30u);
  // The newest lines are in the live file, the ones before them in .1: nothing reordered.
  EXPECT_EQ(lines(config.path).back(), "{\"n\":40}");
  auto previous = lines(config.path + ".1");
  int first_live = std::stoi(nlohmann::json::parse(lines(config.path).front())["n"].dump());
  EXPECT_EQ(nlohmann::json::parse(previous.back())["n"], first_live - 1);
}

TEST_F(FileSinkTest, AppendsToAnExistingFileAfterRestart) {
  FileSinkConfig config;
  config.path = (dir_ / "out.jsonl").string();
  for (int run = 0; run < 2; ++run) {
    auto sink = make(config);
    ASSERT_TRUE(run_coroutine(sink->connect()).ok());
    ASSERT_TRUE(run_coroutine(sink->write_batch(records(run * 10 + 1, run * 10 + 2))).status.ok());
    run_coroutine(sink->close());
  }
  EXPECT_EQ(lines(config.path).size(), 4u);
}

TEST_F(FileSinkTest, UnwritablePathIsAPermanentErrorNamingThePath) {
  temp_.write("not-a-dir", "x");
  FileSinkConfig config;
  config.path = (dir_ / "not-a-dir" / "out.jsonl").string();
  auto sink = make(config);
  Status s = run_coroutine(sink->connect());
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kPermanent);
  EXPECT_NE(s.error().message().find("not-a-dir"), std::string::npos) << s.error().message();
}

TEST_F(FileSinkTest, CloseWithoutConnectIsHarmless) {
  FileSinkConfig config;
  config.path = (dir_ / "never.jsonl").string();
  auto sink = make(config);
  run_coroutine(sink->close());
  EXPECT_FALSE(fs::exists(config.path));
}

}  // namespace
}  // namespace weft::file
