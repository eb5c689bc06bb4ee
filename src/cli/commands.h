#pragma once

#include <string>
#include <vector>

namespace weft::cli {

// Exit codes, documented in docs/operations.md.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // a drain that missed its deadline, or a second signal
inline constexpr int kExitConfig = 2;   // invalid configuration or command line

// Each verb takes its arguments without the verb itself and returns the process exit code.
int run_command(const std::vector<std::string>& args);
int validate_command(const std::vector<std::string>& args);
int spec_command(const std::vector<std::string>& args);

// The daemon config used when --config is not given.
inline constexpr const char* kDefaultConfigPath = "config/weft.yaml";

}  // namespace weft::cli
