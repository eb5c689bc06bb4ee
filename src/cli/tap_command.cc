// `weft tap PIPELINE`: prints records as they pass a stage of a running pipeline
// (GET /api/pipelines/{name}/tap, a stream of JSON lines).
#include <unistd.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/admin_target.h"
#include "cli/commands.h"
#include "cli/help/help.h"
#include "net/url.h"

namespace weft::cli {
namespace {

constexpr long kDefaultLimit = 10;

struct TapArgs {
  AdminTargetArgs target;
  std::string pipeline;
  std::string stage = "source";
  long limit = kDefaultLimit;
};

std::optional<int> parse_args(const std::vector<std::string>& args, TapArgs& out) {
  std::vector<std::string> names;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      return print_help("tap");
    }
    const OptionUse use = take_admin_option(args, i, out.target);
    if (use == OptionUse::kMissingValue) return usage_error("tap", arg + " needs a value");
    if (use == OptionUse::kTaken) continue;
    if (!arg.starts_with("-")) {
      names.push_back(arg);
      continue;
    }
    std::string option = arg;
    std::optional<std::string> value;
    if (const auto eq = option.find('='); option.starts_with("--") && eq != std::string::npos) {
      value = option.substr(eq + 1);
      option.erase(eq);
    }
    if (option != "--stage" && option != "--limit") {
      return usage_error("tap", "unexpected argument '" + arg + "'");
    }
    if (!value) {
      if (i + 1 >= args.size()) return usage_error("tap", option + " needs a value");
      value = args[++i];
    }
    if (option == "--stage") {
      if (*value != "source" && *value != "mapped" && *value != "sink") {
        return usage_error("tap", "--stage must be source, mapped or sink, got '" + *value + "'");
      }
      out.stage = *value;
    } else {
      const auto limit = parse_positive_integer(*value);
      if (!limit) {
        return usage_error("tap", "--limit must be a positive integer, got '" + *value + "'");
      }
      out.limit = *limit;
    }
  }
  if (names.size() != 1) return usage_error("tap", "name one pipeline: weft tap PIPELINE");
  out.pipeline = names.front();
  return std::nullopt;
}

}  // namespace

int tap_command(const std::vector<std::string>& args) {
  TapArgs parsed;
  if (auto exit_code = parse_args(args, parsed)) return *exit_code;
  const auto target = resolve_admin_target(parsed.target, "tap");
  if (!target) return kExitConfig;
  const std::string path = "/api/pipelines/" + net::percent_encode(parsed.pipeline) +
                           "/tap?stage=" + parsed.stage + "&limit=" + std::to_string(parsed.limit);
  if (::isatty(STDERR_FILENO) == 1) {
    std::fprintf(stderr, "weft tap: waiting for records at the %s of %s (Ctrl-C stops)\n",
                 parsed.stage.c_str(), parsed.pipeline.c_str());
  }
  long received = 0;
  bool output_failed = false;
  const AdminReply reply = target->client->stream(path, [&](std::string_view line) {
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fputc('\n', stdout);
    // A reader at the other end of a pipe sees each record as soon as it arrives.
    output_failed = std::fflush(stdout) != 0;
    return !output_failed && ++received < parsed.limit;
  });
  const std::string url = target->client->url(path);
  if (reply.outcome == AdminReply::Outcome::kNotListening) {
    std::fprintf(stderr, "weft tap: %s: no daemon is listening (is weft running?)\n", url.c_str());
    return kExitFailure;
  }
  if (reply.outcome == AdminReply::Outcome::kFailed) {
    std::fprintf(stderr, "weft tap: %s: %s\n", url.c_str(), reply.error.c_str());
    return kExitFailure;
  }
  if (reply.status != 200) {
    if (reply.status == 404) {
      std::fprintf(stderr, "weft tap: %s ('weft status' lists the pipelines)\n",
                   reply_error(*target, reply).c_str());
    } else {
      std::fprintf(stderr, "weft tap: %s: %s\n", url.c_str(), http_error(*target, reply).c_str());
    }
    return reply.status == 400 ? kExitConfig : kExitFailure;
  }
  if (output_failed) return kExitFailure;
  if (received < parsed.limit) {
    std::fprintf(stderr,
                 "weft tap: the daemon ended the stream after %ld of %ld records (the "
                 "pipeline stopped, or the daemon is shutting down)\n",
                 received, parsed.limit);
  }
  return kExitOk;
}

}  // namespace weft::cli
