// The files source in the real daemon: kill -9 in the middle of a file, restart, and every row
// arrives, with only rows after the saved checkpoint delivered twice; a file much larger than
// memory is streamed with bounded RSS; S3 credentials come from the environment and a bad row
// waits in the dead-letter queue named by file and line.

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <iterator>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <string>

#include "e2e/e2e_helpers.h"
#include "e2e/saved_checkpoint.h"
#include "e2e/weft_process.h"
#include "files/files_position.h"
#include "support/s3_server.h"
#include "support/temp_dir.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kFiles = 4;
constexpr int kRowsPerFile = 50000;

std::string file_name(int f) { return "drop_" + std::to_string(f) + ".csv"; }

void write_csv(const fs::path& path, int file, int rows, std::size_t pad = 40) {
  fs::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary);
  out << "file,row,pad\n";
  const std::string padding(pad, 'x');
  for (int r = 1; r <= rows; ++r) out << file << ',' << r << ',' << padding << '\n';
}

// (file, row) of every line the file sink wrote, counting repeats. A line torn by kill -9 is
// skipped (the restarted daemon appends after it).
std::map<std::pair<int, int>, int> delivered(const fs::path& path) {
  std::map<std::pair<int, int>, int> out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    auto row = nlohmann::json::parse(line, nullptr, false);
    if (row.is_discarded() || !row.is_object()) {
      const auto start = line.rfind("{\"file\":");
      if (start == std::string::npos || start == 0) continue;
      row = nlohmann::json::parse(line.substr(start), nullptr, false);
      if (row.is_discarded()) continue;
    }
    ++out[{std::stoi(row.value("file", "-1")), std::stoi(row.value("row", "-1"))}];
  }
  return out;
}

std::size_t line_count(const fs::path& path) {
  std::ifstream in(path);
  return static_cast<std::size_t>(
      std::count(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>(), '\n'));
}

// VmHWM of a running process, in bytes.
std::size_t peak_rss(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

class FilesE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("config/weft.yaml",
               "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
               "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n");
  }

  // `extra`: more pipeline-level YAML.
  void write_pipeline(const std::string& source_block, const std::string& extra = "") {
    dir_.write("pipelines/drops.yaml",
               "name: drops\nsource:\n  type: files\n" + source_block +
                   "sink:\n  type: file\n  path: " + (dir_.path() / "out.jsonl").string() +
                   "\n  max_size: 100GiB\ncheckpoint:\n  interval: 200ms\n" + extra);
  }

  std::unique_ptr<WeftProcess> start(const std::string& log) {
    auto weft = std::make_unique<WeftProcess>(
        std::vector<std::string>{"run", "--config", dir_.file("config/weft.yaml")},
        dir_.file(log));
    EXPECT_TRUE(weft->admin_port(20s).has_value()) << weft->output();
    return weft;
  }

  fs::path out() const { return dir_.path() / "out.jsonl"; }

  TempDir dir_;
};

TEST_F(FilesE2ETest, KillNineMidFileLosesNoRowAndRepeatsOnlyRowsAfterTheCheckpoint) {
  for (int f = 0; f < kFiles; ++f) write_csv(dir_.path() / "drops" / file_name(f), f, kRowsPerFile);
  write_pipeline("  url: file://" + (dir_.path() / "drops").string() +
                 "\n  poll_interval: 500ms\n  after_read: move\n  move_to: done/\n"
                 "  read_size: 256KiB\n",
                 // Slow enough that the second file spans several checkpoints: unthrottled, it
                 // could pass between two looks at the saved checkpoint, and the test missed it.
                 "rate_limit:\n  per_second: 20000\n");
  auto weft = start("run1.log");
  // Killed in the middle of the second file, once a checkpoint inside it has been saved.
  ASSERT_TRUE(eventually(
      [&] {
        auto saved = files::FilePosition::decode(saved_checkpoint(dir_.file("data/weft.db"), "drops"));
        return saved && saved->key == file_name(1) && line_count(out()) >= kRowsPerFile * 3 / 2;
      },
      120s))
      << weft->output();
  weft->signal(SIGKILL);
  weft->wait(10s);
  const auto before_restart = delivered(out());
  const std::string checkpoint = saved_checkpoint(dir_.file("data/weft.db"), "drops");
  auto at = files::FilePosition::decode(checkpoint);
  ASSERT_TRUE(at.has_value()) << "checkpoint: '" << checkpoint << "'";

  weft = start("run2.log");
  const std::size_t all = static_cast<std::size_t>(kFiles) * kRowsPerFile;
  ASSERT_TRUE(eventually([&] { return delivered(out()).size() >= all; }, 180s))
      << delivered(out()).size() << " of " << all << "\n" << weft->output();
  ASSERT_TRUE(eventually([&] { return fs::exists(dir_.path() / "drops/done" / file_name(kFiles - 1)); }, 30s));
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();

  // Every row exactly once, except rows delivered before the kill but after the checkpoint.
  const auto rows = delivered(out());
  ASSERT_EQ(rows.size(), all);
  const int checkpoint_file = std::stoi(at->key.substr(5));  // "drop_<n>.csv"
  std::size_t repeated = 0;
  for (const auto& [row, count] : rows) {
    if (count == 1) continue;
    ++repeated;
    ASSERT_EQ(count, 2) << "file " << row.first << " row " << row.second;
    ASSERT_TRUE(before_restart.count(row)) << "repeated rows were delivered before the kill";
    const bool after_checkpoint =
        row.first > checkpoint_file ||
        (row.first == checkpoint_file && static_cast<std::uint64_t>(row.second + 1) > at->line);
    EXPECT_TRUE(after_checkpoint) << "file " << row.first << " row " << row.second
                                  << " was repeated though the checkpoint covered it ("
                                  << checkpoint << ")";
  }
  EXPECT_LT(repeated, before_restart.size());
  // Every file was moved once all its rows were acknowledged.
  for (int f = 0; f < kFiles; ++f) {
    EXPECT_TRUE(fs::exists(dir_.path() / "drops/done" / file_name(f))) << f;
    EXPECT_FALSE(fs::exists(dir_.path() / "drops" / file_name(f))) << f;
  }
}

TEST_F(FilesE2ETest, AFileFarLargerThanMemoryIsStreamedWithBoundedRss) {
  constexpr int kRows = 1'500'000;  // ~230 MB with 140-byte rows
  write_csv(dir_.path() / "drops" / "huge.csv", 7, kRows, 130);
  const auto file_size = fs::file_size(dir_.path() / "drops" / "huge.csv");
  write_pipeline("  url: file://" + (dir_.path() / "drops").string() + "\n");
  auto weft = start("run.log");
  std::size_t peak = 0;
  ASSERT_TRUE(eventually(
      [&] {
        peak = std::max(peak, peak_rss(weft->pid()));
        return line_count(out()) >= static_cast<std::size_t>(kRows);
      },
      300s))
      << line_count(out()) << " lines\n" << weft->output();
  peak = std::max(peak, peak_rss(weft->pid()));
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();
  std::cout << "file " << file_size / 1'000'000 << " MB, weft peak RSS " << peak / 1'000'000
            << " MB\n";
  EXPECT_LT(peak, file_size / 2) << "the file must be streamed, not loaded";
}

TEST_F(FilesE2ETest, S3CredentialsFromTheEnvironmentAndMoveAfterRead) {
  auto& s3 = S3Server::shared();
  s3.create_bucket("e2e-drops");
  s3.put_object("e2e-drops", "incoming/customers_1.csv", "id,email\n1,a@example.com\n2,b@example.com\n");
  s3.put_object("e2e-drops", "incoming/notes.txt", "not matched by the glob");
  s3.put_object("e2e-drops", "incoming/customers_2.csv", "id,email\n3,c@example.com\n4\n");
  setenv("AWS_ACCESS_KEY_ID", S3Server::kAccessKeyId, 1);
  setenv("AWS_SECRET_ACCESS_KEY", S3Server::kSecretAccessKey, 1);
  write_pipeline("  url: s3://e2e-drops/incoming/\n  endpoint: " + s3.endpoint() +
                 "\n  glob: 'customers_*.csv'\n  poll_interval: 500ms\n  after_read: move\n"
                 "  move_to: processed/\n");
  auto weft = start("run.log");
  ASSERT_TRUE(eventually([&] {
    return s3.list_keys("e2e-drops", "processed/") ==
           std::vector<std::string>{"processed/customers_1.csv", "processed/customers_2.csv"};
  }, 60s)) << weft->output();
  // The bad row waits in the dead-letter queue, named by file and line.
  auto [code, listed] = run_weft({"dlq", "show", "1", "--config", dir_.file("config/weft.yaml")},
                                 dir_.file("dlq.log"));
  EXPECT_EQ(code, 0) << listed;
  EXPECT_NE(listed.find("\"stage\": \"source\""), std::string::npos) << listed;
  EXPECT_NE(listed.find("\"error\": \"s3://e2e-drops/incoming/customers_2.csv line 3: row has 1 "
                        "field, expected 2\""),
            std::string::npos)
      << listed;
  EXPECT_NE(listed.find("\"_row\": \"3\""), std::string::npos) << listed;
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0) << weft->output();
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  std::ifstream in(out());
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(text,
            "{\"id\":\"1\",\"email\":\"a@example.com\"}\n{\"id\":\"2\",\"email\":\"b@example.com\"}\n"
            "{\"id\":\"3\",\"email\":\"c@example.com\"}\n");
  EXPECT_EQ(s3.list_keys("e2e-drops", "incoming/"), std::vector<std::string>{"incoming/notes.txt"});
}

}  // namespace
}  // namespace weft::test
