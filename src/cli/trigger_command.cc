// `weft trigger PIPELINE`: asks the running daemon to start the pipeline's next scheduled run
// now (POST /api/pipelines/{name}/trigger), e.g. after fixing data upstream.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "config/daemon_config.h"
#include "net/listen_address.h"
#include "net/url.h"
#include "runtime/logging.h"

namespace weft::cli {
namespace {

constexpr const char* kUsage = R"(Usage: weft trigger PIPELINE [--config FILE]

Starts the next run of PIPELINE now instead of when its schedule says (sources that poll on a
schedule, such as rest). Asks the running daemon's admin API (admin.listen, with admin.token).

Exit status: 0 the run was started, 1 the daemon refused or cannot be reached, 2 usage or
configuration error.
)";

}  // namespace

int trigger_command(const std::vector<std::string>& args) {
  CommonArgs parsed;
  if (auto exit_code = parse_common_args(args, "trigger", kUsage, true, parsed)) return *exit_code;
  if (parsed.paths.size() != 1) {
    std::fprintf(stderr, "weft trigger: name one pipeline\n\n%s", kUsage);
    return kExitConfig;
  }
  const std::string& pipeline = parsed.paths.front();
  (void)configure_logging("warn", "text");
  auto config = load_daemon_config(parsed.config_path, Environment::process());
  if (!config.ok()) {
    for (const auto& error : config.errors) std::fprintf(stderr, "%s\n", error.format().c_str());
    return kExitConfig;
  }
  auto address = net::parse_listen_address(config.value->admin_listen);
  if (!address.ok() || address->port == 0) {
    std::fprintf(stderr, "%s: admin.listen %s does not say where the daemon listens\n",
                 parsed.config_path.c_str(), config.value->admin_listen.c_str());
    return kExitConfig;
  }
  AdminClient client(address->host, address->port, config.value->admin_token);
  const std::string target = "/api/pipelines/" + net::percent_encode(pipeline) + "/trigger";
  AdminReply reply = client.request("POST", target);
  if (reply.outcome != AdminReply::Outcome::kResponse) {
    std::fprintf(stderr, "weft trigger: %s: %s\n", client.url(target).c_str(),
                 reply.outcome == AdminReply::Outcome::kNotListening
                     ? "no daemon is listening (is weft running?)"
                     : reply.error.c_str());
    return kExitFailure;
  }
  if (reply.status == 202) {
    std::printf("pipeline %s: run started\n", pipeline.c_str());
    return kExitOk;
  }
  auto body = nlohmann::json::parse(reply.body, nullptr, false);
  std::string message = body.is_object() && body.contains("error") && body["error"].is_string()
                            ? body["error"].get<std::string>()
                            : "unexpected answer (HTTP " + std::to_string(reply.status) + ")";
  if (reply.status == 401) message += " (check admin.token in " + parsed.config_path + ")";
  std::fprintf(stderr, "weft trigger: %s\n", message.c_str());
  return kExitFailure;
}

}  // namespace weft::cli
