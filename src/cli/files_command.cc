// `weft files forget`: makes the files source read objects again, by removing them from the
// pipeline's ledger of processed objects in the state file (docs/connectors/files.md).

#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/help/help.h"
#include "config/daemon_config.h"
#include "config/environment.h"
#include "state/state_store.h"

namespace weft::cli {
namespace {

int usage_error(const std::string& message) { return cli::usage_error("files", message); }

}  // namespace

int files_command(const std::vector<std::string>& args) {
  std::vector<std::string> positional;
  std::string config_path = kDefaultConfigPath;
  std::string state_path;
  bool config_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return print_help("files");
    if (arg == "--config" || arg == "--state") {
      if (i + 1 == args.size()) return usage_error(arg + " needs a value");
      (arg == "--config" ? config_path : state_path) = args[++i];
      config_given = config_given || arg == "--config";
      continue;
    }
    if (arg.rfind("--", 0) == 0) return usage_error("unknown option '" + arg + "'");
    positional.push_back(arg);
  }
  if (positional.empty() || positional[0] != "forget") {
    return usage_error("say what to do: weft files forget PIPELINE [KEY_PREFIX]");
  }
  if (positional.size() < 2 || positional.size() > 3) {
    return usage_error("weft files forget takes PIPELINE and an optional KEY_PREFIX");
  }
  if (config_given && !state_path.empty()) return usage_error("give --config or --state, not both");
  if (state_path.empty()) {
    auto config = load_daemon_config(config_path, Environment::process());
    if (!config.ok()) {
      for (const auto& error : config.errors) std::fprintf(stderr, "%s\n", error.format().c_str());
      return kExitConfig;
    }
    state_path = config.value->state_path;
  }
  if (!std::filesystem::exists(state_path)) {
    std::fprintf(stderr, "weft files forget: the state file %s does not exist\n",
                 state_path.c_str());
    return kExitFailure;
  }
  auto store = open_sqlite_state_store(state_path);
  if (!store.ok()) {
    std::fprintf(stderr, "weft files forget: %s\n", store.error().message().c_str());
    return kExitFailure;
  }
  const std::string& pipeline = positional[1];
  const std::string prefix = positional.size() == 3 ? positional[2] : "";
  auto forgotten = (*store)->forget_processed(pipeline, prefix);
  if (!forgotten.ok()) {
    std::fprintf(stderr, "weft files forget: %s\n", forgotten.error().message().c_str());
    return kExitFailure;
  }
  std::printf(
      "forgot %zu processed object(s) of pipeline '%s'%s; they are read again at its "
      "next poll\n",
      *forgotten, pipeline.c_str(), prefix.empty() ? "" : (" under '" + prefix + "'").c_str());
  return kExitOk;
}

}  // namespace weft::cli
