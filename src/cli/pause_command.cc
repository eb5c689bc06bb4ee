// `weft pause PIPELINE` and `weft resume PIPELINE`: POST /api/pipelines/{name}/pause or /resume.
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "cli/admin_target.h"
#include "cli/commands.h"
#include "net/url.h"

namespace weft::cli {
namespace {

constexpr const char* kPauseSynopsis =
    "Usage: weft pause PIPELINE [--config FILE] [--token-file FILE]\n";
constexpr const char* kPauseDescription = R"HELP(
Pauses PIPELINE in the running daemon, through its admin API (admin.listen in the daemon config):
the pipeline finishes the records in flight, commits its position, and then reads nothing until
'weft resume PIPELINE', after which it goes on from the position it committed. Use it to hold a
pipeline while its destination is under maintenance, or while data it would read is fixed.
The pause outlasts a restart of the daemon. 'weft status' shows the pipeline as paused.

Options:
)HELP";
constexpr const char* kPauseExamples = R"HELP(  --help             print this help

Examples:
  weft pause orders
  weft pause orders --config /etc/weft/weft.yaml --token-file /run/secrets/weft-admin

Exit status: 0 paused, 1 no such pipeline, the pipeline cannot be paused (e.g. it is not
running), or the daemon cannot be reached or refused; 2 usage or configuration error.
)HELP";

constexpr const char* kResumeSynopsis =
    "Usage: weft resume PIPELINE [--config FILE] [--token-file FILE]\n";
constexpr const char* kResumeDescription = R"HELP(
Resumes PIPELINE after 'weft pause', through the running daemon's admin API (admin.listen in
the daemon config): it reads again from where it stopped.

Options:
)HELP";
constexpr const char* kResumeExamples = R"HELP(  --help             print this help

Examples:
  weft resume orders
  WEFT_ADMIN_TOKEN="$(cat /run/secrets/weft-admin)" weft resume orders

Exit status: 0 resumed, 1 no such pipeline, the pipeline cannot be resumed (e.g. it is not
running), or the daemon cannot be reached or refused; 2 usage or configuration error.
)HELP";

struct Verb {
  const char* name;  // "pause" or "resume"
  const char* synopsis;
  const char* description;
  const char* examples;
};

void print_usage(const Verb& verb, std::FILE* to) {
  print_admin_usage(to, verb.synopsis, verb.description, verb.examples);
}

int pause_or_resume(const Verb& verb, const std::vector<std::string>& args) {
  AdminTargetArgs target_args;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") {
      print_usage(verb, stdout);
      return kExitOk;
    }
    const OptionUse use = take_admin_option(args, i, target_args);
    if (use == OptionUse::kMissingValue) {
      return report_usage_error(verb.name, args[i] + " needs a value");
    }
    if (use == OptionUse::kTaken) continue;
    if (args[i].empty() || args[i][0] == '-') {
      return report_usage_error(verb.name, "unexpected argument '" + args[i] + "'");
    }
    names.push_back(args[i]);
  }
  if (names.size() != 1) {
    return report_usage_error(verb.name,
                              std::string("name one pipeline: weft ") + verb.name + " PIPELINE");
  }
  const std::string& pipeline = names.front();
  const auto target = resolve_admin_target(target_args, verb.name);
  if (!target) return kExitConfig;
  const std::string path =
      "/api/pipelines/" + net::percent_encode(pipeline) + "/" + std::string(verb.name);
  const auto reply = ask_daemon(*target, verb.name, "POST", path);
  if (!reply) return kExitFailure;
  if (reply->status == 200) {
    if (std::string_view(verb.name) == "pause") {
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
    std::fprintf(stderr, "weft %s: %s ('weft status' lists the pipelines)\n", verb.name,
                 reply_error(*target, *reply).c_str());
  } else if (reply->status == 409) {
    std::fprintf(stderr, "weft %s: cannot %s %s: %s\n", verb.name, verb.name, pipeline.c_str(),
                 reply_error(*target, *reply).c_str());
  } else {
    std::fprintf(stderr, "weft %s: %s: %s\n", verb.name, target->client->url(path).c_str(),
                 http_error(*target, *reply).c_str());
  }
  return kExitFailure;
}

}  // namespace

int pause_command(const std::vector<std::string>& args) {
  return pause_or_resume({"pause", kPauseSynopsis, kPauseDescription, kPauseExamples}, args);
}

int resume_command(const std::vector<std::string>& args) {
  return pause_or_resume({"resume", kResumeSynopsis, kResumeDescription, kResumeExamples}, args);
}

}  // namespace weft::cli
