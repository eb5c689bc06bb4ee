#include <cstdio>
#include <filesystem>
#include <fstream>

#include "cli/commands.h"
#include "config/spec_docs.h"
#include "weft/registry.h"

namespace weft::cli {
namespace {

constexpr const char* kUsage = R"(Usage: weft spec [TYPE] [--markdown DIR]

Describes connectors: every setting with its type, default, range and description.
  weft spec                 list the built-in sources and sinks
  weft spec TYPE            describe one connector (e.g. 'weft spec file')
  weft spec --markdown DIR  write the reference pages, DIR/sources/<type>.md and DIR/sinks/<type>.md
)";

int write_markdown(const Registry& registry, const std::string& dir) {
  for (const auto& info : registry.all()) {
    std::filesystem::path folder = std::filesystem::path(dir) /
                                   (info.kind == ConnectorKind::kSource ? "sources" : "sinks");
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

}  // namespace

int spec_command(const std::vector<std::string>& args) {
  const Registry& registry = builtin_registry();
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    std::fputs(kUsage, stdout);
    return kExitOk;
  }
  if (!args.empty() && args[0] == "--markdown") {
    return write_markdown(registry, args.size() > 1 ? args[1] : "docs/connectors");
  }
  if (args.empty()) {
    for (auto kind : {ConnectorKind::kSource, ConnectorKind::kSink}) {
      std::printf("%ss:\n", to_string(kind));
      for (const auto& info : registry.all()) {
        if (info.kind == kind) std::printf("  %-12s %s\n", info.type.c_str(), info.summary.c_str());
      }
    }
    return kExitOk;
  }
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
