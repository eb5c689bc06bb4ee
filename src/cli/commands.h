#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace weft::cli {

// Exit codes, documented in docs/operations.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a drain that missed its deadline, a second signal, or
                                        // a failed operation (`weft dlq`, `weft crosswalk`: not
                                        // found, daemon or state file error; the admin-API verbs:
                                        // daemon not reachable, refused, unknown pipeline)
inline constexpr int kExitConfig = 2;   // invalid configuration or command line

// The whole command line: `weft <verb> [args]`. Returns the process exit code.
int run_cli(int argc, char** argv);

// Each verb takes its arguments without the verb itself and returns the process exit code.
int run_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int spec_command(const std::vector<std::string>& args);
int dlq_command(const std::vector<std::string>& args);
int crosswalk_command(const std::vector<std::string>& args);
int map_command(const std::vector<std::string>& args);
int trigger_command(const std::vector<std::string>& args);
int files_command(const std::vector<std::string>& args);
// A new pipeline file from two connectors' specs.
int init_command(const std::vector<std::string>& args);
// The shell completion script.
int completion_command(const std::vector<std::string>& args);
// `weft help [VERB]` and `weft version`.
int help_command(const std::vector<std::string>& args);
int version_command(const std::vector<std::string>& args);
// The running daemon's pipelines, through its admin API (see admin_target.h).
int status_command(const std::vector<std::string>& args);
int top_command(const std::vector<std::string>& args);
int pause_command(const std::vector<std::string>& args);
int resume_command(const std::vector<std::string>& args);
int tap_command(const std::vector<std::string>& args);

// The daemon config used when --config is not given.
inline constexpr const char* kDefaultConfigPath = "config/weft.yaml";

// The options `run` and `validate` share: --config FILE, --help, and positional paths.
struct CommonArgs {
  std::string config_path = kDefaultConfigPath;
  std::vector<std::string> paths;
};

// A positive decimal integer of at most 9 digits ("10"), or nullopt: for --limit, --iterations.
std::optional<long> parse_positive_integer(std::string_view text);

// Parses `args` for `weft <verb>`. Returns an exit code when the command must end now (--help
// printed the verb's manual; an unknown option or an unwanted path was reported), nullopt to go
// on.
std::optional<int> parse_common_args(const std::vector<std::string>& args, const char* verb,
                                     bool accepts_paths, CommonArgs& out);

}  // namespace weft::cli
