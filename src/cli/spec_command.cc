// `weft spec`: the connectors' specs as text, or as the Markdown reference pages.
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "cli/help/help.h"
#include "config/spec_docs.h"
#include "weft/registry.h"

namespace weft::cli {
namespace {

constexpr const char* kDefaultMarkdownDir = "docs/connectors";

int write_markdown(const Registry& registry, const std::string& dir) {
  for (const auto& info : registry.all()) {
    std::filesystem::path folder =
        std::filesystem::path(dir) / (info.kind == ConnectorKind::kSource ? "sources" : "sinks");
    std::error_code ec;
    std::filesystem::create_directories(folder, ec);
    auto file = folder / (info.type + ".md");
    std::ofstream out(file);
    out << render_spec_markdown(info);
    if (!out) {
      std::fprintf(stderr, "weft spec: cannot write %s\n", file.c_str());
      return kExitFailure;
    }
    std::printf("wrote %s\n", file.c_str());
  }
  return kExitOk;
}

// The list `weft spec` prints: "sources:" and "sinks:", then "  <type>  <summary>" lines. The
// bash completion script (`weft completion bash`) and the init tests parse this format.
void print_list(const Registry& registry) {
  for (auto kind : {ConnectorKind::kSource, ConnectorKind::kSink}) {
    std::printf("%ss:\n", to_string(kind));
    for (const auto& info : registry.all()) {
      if (info.kind == kind) std::printf("  %-12s %s\n", info.type.c_str(), info.summary.c_str());
    }
  }
}

}  // namespace

int spec_command(const std::vector<std::string>& args) {
  const Registry& registry = builtin_registry();
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") return print_help("spec");
  }
  if (!args.empty() && args[0] == "--markdown") {
    if (args.size() > 2) return usage_error("spec", "unexpected argument '" + args[2] + "'");
    return write_markdown(registry, args.size() > 1 ? args[1] : kDefaultMarkdownDir);
  }
  if (args.empty()) {
    print_list(registry);
    return kExitOk;
  }
  if (args[0].starts_with("-")) return usage_error("spec", "unknown option '" + args[0] + "'");
  if (args.size() > 1) return usage_error("spec", "unexpected argument '" + args[1] + "'");
  bool found = false;
  for (const auto& info : registry.all()) {
    if (info.type == args[0]) {
      std::fputs(render_spec_text(info).c_str(), stdout);
      found = true;
    }
  }
  if (!found) {
    std::fprintf(stderr, "weft spec: no connector named '%s' (run 'weft spec' for the list)\n",
                 args[0].c_str());
    return kExitConfig;
  }
  return kExitOk;
}

}  // namespace weft::cli
