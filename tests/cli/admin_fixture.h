#pragma once

// What the tests of the admin-API verbs (`weft status`, `top`, `pause`, `resume`, `tap`) share:
// a daemon config pointing at a FakeAdminServer, and a sample /api/pipelines answer.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/cli_runner.h"
#include "cli/fake_admin_server.h"
#include "support/temp_dir.h"

namespace weft::test {

// Three pipelines: orders (running, with rates and freshness), users (failed, breaker open,
// freshness SLO breached), legacy (what a daemon without rates and freshness sends).
inline nlohmann::json sample_pipelines() {
  return nlohmann::json::parse(R"([
    {"name": "users", "state": "failed", "error": "sink postgres: connection refused",
     "records": {"in": 5, "out": 0, "in_flight": 0, "dead_lettered": 0},
     "rates": {"in_per_second": 0, "out_per_second": 0}, "dlq_depth": 0,
     "circuit_breaker": {"state": "open", "value": 2, "detail": "5 failures"}, "paused": null,
     "freshness": {"age_seconds": 7200, "max_age_seconds": 900, "when": "always",
                   "breached": true}},
    {"name": "orders", "state": "running", "error": null,
     "records": {"in": 100, "out": 97, "in_flight": 3, "dead_lettered": 1},
     "rates": {"in_per_second": 12.5, "out_per_second": 1234}, "dlq_depth": 3,
     "circuit_breaker": {"state": "closed", "value": 0, "detail": ""}, "paused": null,
     "freshness": {"age_seconds": 12, "max_age_seconds": 900, "when": "always",
                   "breached": false}},
    {"name": "legacy", "state": "running", "error": null, "records": {"in": 1, "out": 1},
     "circuit_breaker": {"state": "closed"}, "paused": null, "dlq_depth": null}
  ])");
}

class AdminVerbTest : public ::testing::Test {
 protected:
  void SetUp() override { std::filesystem::create_directories(dir_.path() / "pipelines"); }

  // Starts the fake daemon and points the config at it.
  void serve(FakeAdminServer::Answer answer, const std::string& token = "") {
    server_ = std::make_unique<FakeAdminServer>(std::move(answer));
    write_config(server_->port(), token);
  }
  // Answers GET /api/pipelines with `pipelines`, anything else with 404.
  void serve_pipelines(const nlohmann::json& pipelines, const std::string& token = "") {
    serve(
        [body = pipelines.dump()](const SeenRequest& request, const FakeAdminServer::Send& send) {
          send(request.target == "/api/pipelines"
                   ? http_response(200, body)
                   : http_response(404, R"({"error":"no such path"})"));
        },
        token);
  }

  void write_config(unsigned short port, const std::string& token = "") {
    port_ = port;
    std::ofstream(config_) << "state:\n  path: ../data/weft.db\n"
                           << "admin:\n  listen: 127.0.0.1:" << port << "\n"
                           << (token.empty() ? "" : "  token: " + token + "\n")
                           << "pipelines:\n  dir: ../pipelines\n";
  }

  // `weft <args> --config <config>`, without a WEFT_ADMIN_TOKEN unless `env` sets one.
  CliResult weft(std::vector<std::string> args, std::vector<std::string> env = {}) {
    args.push_back("--config");
    args.push_back(config_);
    bool sets_token = false;
    for (const auto& variable : env) sets_token |= variable.starts_with("WEFT_ADMIN_TOKEN=");
    if (!sets_token) env.push_back("WEFT_ADMIN_TOKEN=");
    return run_cli(args, dir_, env);
  }

  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }

  TempDir dir_;
  std::string config_ = dir_.write("config/weft.yaml", "{}");
  unsigned short port_ = 0;
  std::unique_ptr<FakeAdminServer> server_;
};

}  // namespace weft::test
