// `weft init NAME --source TYPE --sink TYPE`: writes a new pipeline file generated from the two
// connectors' specs (config/pipeline_scaffold.h).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/help/help.h"
#include "common/suggest.h"
#include "config/pipeline_name.h"
#include "config/pipeline_scaffold.h"
#include "weft/registry.h"

namespace weft::cli {
namespace {

struct InitArgs {
  std::string name;
  std::string source;
  std::string sink;
  std::string output;  // "" until parsed: pipelines/NAME.yaml; "-": standard output
  bool force = false;
};

std::optional<int> parse_args(const std::vector<std::string>& args, InitArgs& out) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string option = args[i];
    if (option == "--help" || option == "-h") return print_help("init");
    if (option == "--force") {
      out.force = true;
      continue;
    }
    if (option == "-" || !option.starts_with("-")) {
      names.push_back(option);
      continue;
    }
    std::optional<std::string> value;
    if (const auto eq = option.find('='); option.starts_with("--") && eq != std::string::npos) {
      value = option.substr(eq + 1);
      option.erase(eq);
    }
    if (option != "--source" && option != "--sink" && option != "--output") {
      return usage_error("init", "unknown option '" + option + "'");
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage_error("init", option + " needs a value");
      value = args[++i];
    }
    if (value->empty()) return usage_error("init", option + " needs a non-empty value");
    (option == "--source" ? out.source : option == "--sink" ? out.sink : out.output) = *value;
  }
  if (names.size() != 1) return usage_error("init", "name the pipeline: weft init NAME ...");
  out.name = names.front();
  if (!valid_pipeline_name(out.name)) {
    return usage_error("init", "invalid pipeline name '" + out.name + "': " + kPipelineNameHint);
  }
  if (out.source.empty()) return usage_error("init", "--source is required");
  if (out.sink.empty()) return usage_error("init", "--sink is required");
  if (out.output.empty()) out.output = "pipelines/" + out.name + ".yaml";
  return std::nullopt;
}

// The connector of `kind` named `type`, or nullptr after printing an error that lists them.
const ConnectorInfo* find_connector(const Registry& registry, ConnectorKind kind,
                                    const std::string& type) {
  if (const ConnectorInfo* info = registry.find(kind, type)) return info;
  std::vector<std::string> types = registry.types(kind);
  std::sort(types.begin(), types.end());
  const std::string option = std::string("--") + to_string(kind);
  std::string message = "no " + std::string(to_string(kind)) + " named '" + type + "'";
  const ConnectorKind other =
      kind == ConnectorKind::kSource ? ConnectorKind::kSink : ConnectorKind::kSource;
  if (registry.find(other, type) != nullptr) {
    message += " ('" + type + "' is a " + to_string(other) + ")";
  } else if (const auto close = closest_match(type, types)) {
    message += " (did you mean '" + *close + "'?)";
  }
  usage_error("init", message + "; " + option + " takes one of: " + join(types));
  return nullptr;
}

// Writes `text` to `path` through a temporary file renamed over it, so that a failed write
// leaves nothing half-written. Without `force` an existing file is refused (the check and the
// rename race with another writer; weft init is an interactive tool).
int write_file(const std::string& path, const std::string& text, bool force) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!force && fs::exists(path, ec)) {
    std::fprintf(stderr,
                 "weft init: %s already exists; not overwriting it (--force replaces it, or "
                 "--output FILE writes elsewhere)\n",
                 path.c_str());
    return kExitFailure;
  }
  if (fs::is_directory(path, ec)) {
    std::fprintf(stderr, "weft init: %s is a directory\n", path.c_str());
    return kExitFailure;
  }
  const fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::exists(parent, ec)) {
    fs::create_directories(parent, ec);
    if (ec) {
      std::fprintf(stderr, "weft init: cannot create %s: %s\n", parent.c_str(),
                   ec.message().c_str());
      return kExitFailure;
    }
  }
  const std::string temporary = path + ".tmp";
  std::FILE* file = std::fopen(temporary.c_str(), "wb");
  bool written = file != nullptr && std::fwrite(text.data(), 1, text.size(), file) == text.size();
  int error = errno;
  if (file != nullptr && std::fclose(file) != 0 && written) {
    written = false;
    error = errno;
  }
  if (written && std::rename(temporary.c_str(), path.c_str()) != 0) {
    written = false;
    error = errno;
  }
  if (!written) {
    std::remove(temporary.c_str());
    std::fprintf(stderr, "weft init: cannot write %s: %s\n", path.c_str(), std::strerror(error));
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace

int init_command(const std::vector<std::string>& args) {
  InitArgs parsed;
  if (auto exit_code = parse_args(args, parsed)) return *exit_code;
  const Registry& registry = builtin_registry();
  const ConnectorInfo* source = find_connector(registry, ConnectorKind::kSource, parsed.source);
  if (source == nullptr) return kExitConfig;
  const ConnectorInfo* sink = find_connector(registry, ConnectorKind::kSink, parsed.sink);
  if (sink == nullptr) return kExitConfig;

  const Scaffold scaffold = render_pipeline_scaffold(
      {parsed.name, source, sink,
       "weft init " + parsed.name + " --source " + source->type + " --sink " + sink->type});
  if (parsed.output == "-") {
    std::fputs(scaffold.text.c_str(), stdout);
    return kExitOk;
  }
  if (int code = write_file(parsed.output, scaffold.text, parsed.force); code != kExitOk) {
    return code;
  }
  std::printf("wrote %s: pipeline %s, from %s to %s\n", parsed.output.c_str(), parsed.name.c_str(),
              source->type.c_str(), sink->type.c_str());
  if (!scaffold.variables.empty()) {
    std::printf("it reads these environment variables: %s\n", join(scaffold.variables).c_str());
  }
  std::printf("next: edit the settings it sets to examples, then 'weft validate %s'\n",
              parsed.output.c_str());
  return kExitOk;
}

}  // namespace weft::cli
