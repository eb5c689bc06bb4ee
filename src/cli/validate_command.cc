// `weft validate`: checks the configuration as `weft run` would, and starts nothing.
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>

#include "cli/commands.h"
#include "config/daemon_config.h"
#include "config/delivery_spec.h"
#include "config/pipeline_config.h"

namespace weft::cli {

int validate_command(const std::vector<std::string>& args) {
  CommonArgs parsed;
  if (auto exit_code = parse_common_args(args, "validate", true, parsed)) return *exit_code;
  const std::string& config_path = parsed.config_path;
  std::vector<std::string>& paths = parsed.paths;

  const Environment env = Environment::process();
  const Registry& registry = builtin_registry();
  Diagnostics errors;
  std::size_t pipelines = 0;

  // Without explicit paths the daemon config is checked too, and pipelines against it.
  std::optional<DaemonConfig> daemon_config;
  if (paths.empty()) {
    auto daemon = load_daemon_config(config_path, env);
    errors.insert(errors.end(), daemon.errors.begin(), daemon.errors.end());
    if (daemon.value) paths.push_back(daemon.value->pipelines_dir);
    daemon_config = std::move(daemon.value);
  }

  std::map<std::string, std::string> seen;  // pipeline name -> file, across all paths
  for (const auto& path : paths) {
    std::vector<PipelineConfig> loaded;
    if (std::filesystem::is_directory(path)) {
      PipelineSet set = load_pipeline_dir(path, registry, env);
      if (daemon_config) check_shared_rate_limits(set, *daemon_config);
      errors.insert(errors.end(), set.errors.begin(), set.errors.end());
      loaded = std::move(set.pipelines);
    } else {
      auto one = load_pipeline_file(path, registry, env);
      errors.insert(errors.end(), one.errors.begin(), one.errors.end());
      if (one.value) loaded.push_back(std::move(*one.value));
    }
    for (const auto& p : loaded) {
      auto [it, fresh] = seen.emplace(p.name, p.file);
      if (!fresh && it->second != p.file) {
        errors.push_back({p.file, 0, 0,
                          "pipeline name '" + p.name + "' is already used by " + it->second,
                          "pipeline names must be unique; rename one of the two"});
      } else {
        ++pipelines;
      }
    }
  }

  for (const auto& e : errors) std::fprintf(stderr, "%s\n", e.format().c_str());
  if (!errors.empty()) {
    std::fprintf(stderr, "%zu error(s)\n", errors.size());
    return kExitConfig;
  }
  std::printf("ok: %zu pipeline(s) valid\n", pipelines);
  return kExitOk;
}

}  // namespace weft::cli
