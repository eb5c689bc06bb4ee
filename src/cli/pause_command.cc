// `weft pause PIPELINE` and `weft resume PIPELINE`: POST /api/pipelines/{name}/pause or /resume.
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

// `verb` is "pause" or "resume".
int pause_or_resume(const char* verb, const std::vector<std::string>& args) {
  AdminTargetArgs target_args;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      return print_help(verb);
    }
    const OptionUse use = take_admin_option(args, i, target_args);
    if (use == OptionUse::kMissingValue) {
      return usage_error(verb, args[i] + " needs a value");
    }
    if (use == OptionUse::kTaken) continue;
    if (args[i].empty() || args[i][0] == '-') {
      return usage_error(verb, "unexpected argument '" + args[i] + "'");
    }
    names.push_back(args[i]);
  }
  if (names.size() != 1) {
    return usage_error(verb, std::string("name one pipeline: weft ") + verb + " PIPELINE");
  }
  const std::string& pipeline = names.front();
  const auto target = resolve_admin_target(target_args, verb);
  if (!target) return kExitConfig;
  const std::string path =
      "/api/pipelines/" + net::percent_encode(pipeline) + "/" + std::string(verb);
  const auto reply = ask_daemon(*target, verb, "POST", path);
  if (!reply) return kExitFailure;
  if (reply->status == 200) {
    if (std::string_view(verb) == "pause") {
      std::printf(
          "pipeline %s paused: it finishes in-flight records, commits, and reads nothing until "
          "'weft resume %s'\n",
          pipeline.c_str(), pipeline.c_str());
    } else {
      std::printf("pipeline %s resumed\n", pipeline.c_str());
    }
    return kExitOk;
  }
  if (reply->status == 404) {
    std::fprintf(stderr, "weft %s: %s ('weft status' lists the pipelines)\n", verb,
                 reply_error(*target, *reply).c_str());
  } else if (reply->status == 409) {
    std::fprintf(stderr, "weft %s: cannot %s %s: %s\n", verb, verb, pipeline.c_str(),
                 reply_error(*target, *reply).c_str());
  } else {
    std::fprintf(stderr, "weft %s: %s: %s\n", verb, target->client->url(path).c_str(),
                 http_error(*target, *reply).c_str());
  }
  return kExitFailure;
}

}  // namespace

int pause_command(const std::vector<std::string>& args) { return pause_or_resume("pause", args); }

int resume_command(const std::vector<std::string>& args) { return pause_or_resume("resume", args); }

}  // namespace weft::cli
