// The rest source in the real daemon: a kill -9 in the middle of paging loses nothing and the
// restarted daemon continues where it stopped instead of at page one; `weft trigger` starts a
// run now.

#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "e2e/e2e_helpers.h"
#include "e2e/weft_process.h"
#include "fakes/fake_rest_api.h"
#include "support/http_client.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr int kRecords = 20000;

class RestE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("weft-rest-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    out_ = dir_ / "out" / "items.jsonl";
    fs::create_directories(dir_ / "config");
    fs::create_directories(dir_ / "pipelines");
    fakes::FakeRestApiOptions options;
    options.records = kRecords;
    options.auth = fakes::parse_auth("bearer:e2e-token").value();
    auto api = fakes::FakeRestApi::start(io_, options);
    ASSERT_TRUE(api.ok()) << api.error().message();
    api_ = std::move(*api);
    thread_ = std::thread([this] { io_.run(); });
    ::setenv("WEFT_E2E_API_TOKEN", "e2e-token", 1);
    std::ofstream(dir_ / "config" / "weft.yaml")
        << "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
        << "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n";
    std::ofstream(dir_ / "pipelines" / "items.yaml")
        << "name: items\nsource:\n  type: rest\n  url: " << api_->base_url() << "/cursor/items\n"
        << "  records: $.items\n  primary_key: $.number\n"
        << "  paginator: {type: cursor, cursor_path: $.next_cursor, page_size: 100}\n"
        << "  auth: {type: bearer, token: '${WEFT_E2E_API_TOKEN}'}\n"
        << "  schedule: {interval: 1h}\n"
        << "sink:\n  type: file\n  path: " << out_.string() << "\n"
        << "checkpoint: {interval: 50ms}\n";
  }

  void TearDown() override {
    api_->stop();
    work_.reset();
    io_.stop();
    thread_.join();
    if (!HasFailure()) fs::remove_all(dir_);
  }

  std::unique_ptr<WeftProcess> start(const std::string& log) {
    auto weft = std::make_unique<WeftProcess>(std::vector<std::string>{"run", "--config", config()},
                                              (dir_ / log).string());
    admin_port_ = weft->admin_port(30s).value_or(0);
    EXPECT_NE(admin_port_, 0) << weft->output();
    return weft;
  }

  std::string config() const { return (dir_ / "config" / "weft.yaml").string(); }

  // How many times each record number arrived in the sink's file.
  std::map<int, int> delivered() const {
    std::map<int, int> counts;
    std::ifstream in(out_);
    for (std::string line; std::getline(in, line);) {
      auto record = nlohmann::json::parse(line, nullptr, false);
      if (record.is_discarded()) continue;  // a line cut by kill -9 was never acknowledged
      ++counts[record["number"].get<int>()];
    }
    return counts;
  }

  std::size_t first_page_requests() const {
    std::size_t n = 0;
    for (const auto& r : api_->requests()) {
      if (r.target.find("/cursor/items") == 0 && r.target.find("cursor=") == std::string::npos) ++n;
    }
    return n;
  }

  fs::path dir_;
  fs::path out_;
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_ =
      boost::asio::make_work_guard(io_);
  std::thread thread_;
  std::unique_ptr<fakes::FakeRestApi> api_;
  unsigned short admin_port_ = 0;
};

TEST_F(RestE2ETest, KillDashNineMidPaginationLosesNothingAndResumesInPlace) {
  // Slow pages, so that the kill lands in the middle of the run.
  fakes::Fault slow;
  slow.delay = 15ms;
  slow.count = kRecords / 100;
  ASSERT_TRUE(api_->add_fault(slow).ok());
  auto weft = start("first.log");
  ASSERT_TRUE(eventually([&] { return delivered().size() >= 5000; }, 60s)) << weft->output();
  weft->signal(SIGKILL);
  ASSERT_EQ(weft->wait(10s), 128 + SIGKILL);
  const std::size_t before = delivered().size();
  ASSERT_LT(before, static_cast<std::size_t>(kRecords)) << "the run ended before the kill";
  ASSERT_EQ(first_page_requests(), 1u);

  auto again = start("second.log");
  ASSERT_TRUE(eventually([&] { return delivered().size() == kRecords; }, 120s))
      << delivered().size() << " of " << kRecords << "\n"
      << again->output();
  // The restart fetched the page it stopped in, not the first page.
  EXPECT_EQ(first_page_requests(), 1u);
  int duplicates = 0;
  for (const auto& [number, count] : delivered()) duplicates += count - 1;
  // Only what was written but not yet checkpointed when the kill came arrives twice.
  EXPECT_LT(duplicates, 5000) << duplicates;
  again->signal(SIGTERM);
  EXPECT_EQ(again->wait(30s), 0);
}

TEST_F(RestE2ETest, AWrongTokenStopsThePipelineWithAReasonInReadyz) {
  ::setenv("WEFT_E2E_API_TOKEN", "wrong-token", 1);
  auto weft = start("weft.log");
  test::HttpResponse ready;
  ASSERT_TRUE(eventually([&] {
    ready = http_get("127.0.0.1", admin_port_, "/readyz");
    return ready.status == 503 && ready.body.find("HTTP 401") != std::string::npos;
  })) << ready.body
      << "\n"
      << weft->output();
  EXPECT_NE(ready.body.find("pipeline items: failed"), std::string::npos) << ready.body;
  EXPECT_NE(ready.body.find("/cursor/items?limit=100"), std::string::npos) << ready.body;
  EXPECT_EQ(ready.body.find("wrong-token"), std::string::npos) << ready.body;
  EXPECT_EQ(weft->output().find("wrong-token"), std::string::npos);
  EXPECT_TRUE(delivered().empty());
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
}

TEST_F(RestE2ETest, TriggerStartsTheNextRunNow) {
  auto weft = start("weft.log");
  ASSERT_TRUE(eventually([&] { return delivered().size() == kRecords; }, 60s)) << weft->output();
  ASSERT_EQ(first_page_requests(), 1u);

  // The CLI finds the daemon through admin.listen, which must name the port it took.
  const std::string cli_config = (dir_ / "config" / "cli.yaml").string();
  std::ofstream(cli_config) << "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:"
                            << admin_port_ << "\npipelines:\n  dir: ../pipelines\n";
  auto [code, output] =
      run_weft({"trigger", "items", "--config", cli_config}, (dir_ / "trigger.log").string());
  EXPECT_EQ(code, 0) << output;
  EXPECT_NE(output.find("pipeline items: run started"), std::string::npos) << output;
  ASSERT_TRUE(eventually([&] { return first_page_requests() == 2; })) << weft->output();

  auto [missing_code, missing] =
      run_weft({"trigger", "nope", "--config", cli_config}, (dir_ / "trigger-nope.log").string());
  EXPECT_EQ(missing_code, 1);
  EXPECT_NE(missing.find("no pipeline named 'nope'"), std::string::npos) << missing;
  weft->signal(SIGTERM);
  EXPECT_EQ(weft->wait(30s), 0);
}

}  // namespace
}  // namespace weft::test
