// `weft pause`, `weft resume` and `weft tap` as an operator runs them: the real binary against a
// fake admin API, checking what it prints, its exit code, what it sent, and that tap prints each
// record as soon as it arrives.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cli/admin_fixture.h"

namespace weft::test {
namespace {

using namespace std::chrono_literals;

using PauseCommandTest = AdminVerbTest;
using TapCommandTest = AdminVerbTest;

void answer_pause(const SeenRequest& request, const FakeAdminServer::Send& send) {
  const std::string& target = request.target;
  if (target == "/api/pipelines/orders/pause" || target == "/api/pipelines/orders/resume") {
    send(http_response(200, std::string(R"({"pipeline": "orders", "paused": )") +
                                (target.ends_with("pause") ? "true}" : "false}")));
  } else if (target.starts_with("/api/pipelines/done/")) {
    send(http_response(409, R"({"error": "pipeline 'done' has finished"})"));
  } else if (target.starts_with("/api/pipelines/locked/")) {
    send(http_response(401, R"({"error": "invalid bearer token"})"));
  } else {
    send(http_response(404, R"({"error": "no pipeline named 'nope'"})"));
  }
}

TEST_F(PauseCommandTest, PauseAndResumeSayWhatHappens) {
  serve(answer_pause, "t0ken");
  auto result = weft({"pause", "orders"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out,
            "pipeline orders paused: it finishes in-flight records, commits, and reads nothing "
            "until 'weft resume orders'\n");
  EXPECT_EQ(result.err, "");
  result = weft({"resume", "orders"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "pipeline orders resumed\n");
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].target, "/api/pipelines/orders/pause");
  EXPECT_EQ(requests[0].authorization, "Bearer t0ken");
  EXPECT_EQ(requests[1].method, "POST");
  EXPECT_EQ(requests[1].target, "/api/pipelines/orders/resume");
}

TEST_F(PauseCommandTest, RefusalsExit1WithTheDaemonsReason) {
  serve(answer_pause);
  auto result = weft({"pause", "nope"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err,
            "weft pause: no pipeline named 'nope' ('weft status' lists the pipelines)\n");
  result = weft({"resume", "done"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft resume: cannot resume done: pipeline 'done' has finished\n");
  result = weft({"pause", "locked"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft pause: " + url("/api/pipelines/locked/pause") +
                            ": HTTP 401: invalid bearer token (check admin.token in " + config_ +
                            ")\n");
  write_config(unused_port());
  result = weft({"resume", "orders"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.err, "weft resume: " + url("/api/pipelines/orders/resume") +
                            ": no daemon is listening (is weft running?)\n");
}

// Waits until `path` holds `text` (weft has printed and flushed it), at most 10 s.
bool file_gets(const std::string& path, const std::string& text) {
  for (auto deadline = std::chrono::steady_clock::now() + 10s;
       std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(10ms)) {
    if (slurp(path) == text) return true;
  }
  return false;
}

TEST_F(TapCommandTest, PrintsEachRecordAsItArrivesAndSaysWhenTheStreamEndsEarly) {
  const std::string out_path = dir_.file("cli.out");  // where run_cli puts weft's stdout
  std::atomic<bool> first_printed_before_the_rest_was_sent = false;
  serve([&](const SeenRequest&, const FakeAdminServer::Send& send) {
    send(ndjson_stream_head() + chunk("{\"id\":1}\n"));
    first_printed_before_the_rest_was_sent = file_gets(out_path, "{\"id\":1}\n");
    send(chunk("\n"));  // a keep-alive line while no records pass
    send(chunk("{\"id\":2,\"na"));
    send(chunk("me\":\"x\"}\n{\"id\":3}\r\n"));
    send(chunk(""));  // the pipeline stopped
  });
  const auto result = weft({"tap", "orders", "--stage", "mapped", "--limit", "5"});
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_TRUE(first_printed_before_the_rest_was_sent);
  EXPECT_EQ(result.out, "{\"id\":1}\n{\"id\":2,\"name\":\"x\"}\n{\"id\":3}\n");
  EXPECT_EQ(result.err,
            "weft tap: the daemon ended the stream after 3 of 5 records (the pipeline stopped, or "
            "the daemon is shutting down)\n");
  const auto requests = server_->requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "GET");
  EXPECT_EQ(requests[0].target, "/api/pipelines/orders/tap?stage=mapped&limit=5");
}

TEST_F(TapCommandTest, StopsAtTheLimitAndHangsUp) {
  bool client_hung_up = false;
  serve([&](const SeenRequest&, const FakeAdminServer::Send& send) {
    send(ndjson_stream_head() + chunk("{\"id\":1}\n{\"id\":2}\n{\"id\":3}\n"));
    // A daemon that keeps the stream open, with keep-alive lines, until the client goes.
    for (auto deadline = std::chrono::steady_clock::now() + 10s;
         std::chrono::steady_clock::now() < deadline; std::this_thread::sleep_for(20ms)) {
      if (!send(chunk("\n"))) {
        client_hung_up = true;
        break;
      }
    }
  });
  const auto result = weft({"tap", "orders", "--limit", "2"});
  const auto requests = server_->requests();
  server_.reset();  // waits for the answer above to end
  EXPECT_TRUE(client_hung_up);
  ASSERT_EQ(result.code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"id\":1}\n{\"id\":2}\n");
  EXPECT_EQ(result.err, "");
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].target, "/api/pipelines/orders/tap?stage=source&limit=2");
}

TEST_F(TapCommandTest, ADaemonThatFallsSilentIsGivenUpOn) {
  std::atomic<bool> released = false;
  serve([&](const SeenRequest&, const FakeAdminServer::Send& send) {
    // A host that vanished without closing the connection: no records, no keep-alive lines.
    send(ndjson_stream_head() + chunk("{\"id\":1}\n"));
    for (int i = 0; i < 600 && !released; ++i) std::this_thread::sleep_for(100ms);
  });
  const auto result = weft({"tap", "orders", "--limit", "5"});  // takes about 20 s
  released = true;
  server_.reset();  // the answer reads `released`: it must end before the test does
  EXPECT_EQ(result.code, 1) << result.err;
  EXPECT_EQ(result.out, "{\"id\":1}\n");
  EXPECT_NE(result.err.find("the daemon sent nothing for 20 s"), std::string::npos)
      << result.err;
}

TEST_F(TapCommandTest, ErrorsExitNonZeroWithTheDaemonsReason) {
  serve([](const SeenRequest& request, const FakeAdminServer::Send& send) {
    if (request.target.starts_with("/api/pipelines/nope/")) {
      send(http_response(404, R"({"error": "no pipeline named 'nope'"})"));
    } else if (request.target.starts_with("/api/pipelines/cut/")) {
      send(ndjson_stream_head() + chunk("{\"id\":1}\n{\"id\""));  // then the connection drops
    } else {
      send(http_response(400, R"({"error": "limit must be at most 1000"})"));
    }
  });
  auto result = weft({"tap", "nope"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "weft tap: no pipeline named 'nope' ('weft status' lists the pipelines)\n");
  result = weft({"tap", "orders", "--limit", "5000"});
  EXPECT_EQ(result.code, 2);
  EXPECT_EQ(result.err, "weft tap: " + url("/api/pipelines/orders/tap?stage=source&limit=5000") +
                            ": HTTP 400: limit must be at most 1000\n");
  result = weft({"tap", "cut"});
  EXPECT_EQ(result.code, 1);
  EXPECT_EQ(result.out, "{\"id\":1}\n");  // what arrived before the break is kept
  EXPECT_TRUE(result.err.starts_with("weft tap: " +
                                     url("/api/pipelines/cut/tap?stage=source&"
                                         "limit=10") +
                                     ": stream: "))
      << result.err;
}

}  // namespace
}  // namespace weft::test
