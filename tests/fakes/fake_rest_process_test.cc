// weft-fake-rest as a process: it says where it listens, serves, and exits on SIGTERM.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "support/http_client.h"

namespace weft::fakes {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

TEST(FakeRestProcessTest, RunsStandaloneUntilSigterm) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    dup2(pipe_fds[1], STDOUT_FILENO);
    close(pipe_fds[0]);
    close(pipe_fds[1]);
    const int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, STDERR_FILENO);
    execl(WEFT_FAKE_REST_BINARY, WEFT_FAKE_REST_BINARY, "--listen", "127.0.0.1:0", "--records",
          "1000000", "--threads", "2", "--auth", "bearer:t0k", static_cast<char*>(nullptr));
    _exit(127);
  }
  close(pipe_fds[1]);
  FILE* out = fdopen(pipe_fds[0], "r");
  char line[128] = {};
  const bool read = out != nullptr && fgets(line, sizeof line, out) != nullptr;
  const std::string listening = read ? line : "";
  EXPECT_EQ(listening.rfind("listening on ", 0), 0u) << listening;
  if (listening.rfind("listening on ", 0) == 0) {
    const auto port = static_cast<unsigned short>(std::stoi(listening.substr(13)));
    const auto page = test::http_get("127.0.0.1", port, "/offset/items?offset=999999",
                                     {{"Authorization", "Bearer t0k"}});
    EXPECT_EQ(page.status, 200);
    EXPECT_EQ(json::parse(page.body)["data"][0]["id"], "cus_1000000");
    EXPECT_EQ(json::parse(page.body)["total"], 1000000);
  }
  ASSERT_EQ(kill(pid, SIGTERM), 0);
  int status = -1;
  for (int i = 0; i < 100 && waitpid(pid, &status, WNOHANG) == 0; ++i) {
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "status " << status;
  if (!WIFEXITED(status)) {
    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);
  }
  if (out != nullptr) fclose(out);
}

}  // namespace
}  // namespace weft::fakes
