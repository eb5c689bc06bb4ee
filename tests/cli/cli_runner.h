#pragma once

// Runs the real weft binary as an operator would and captures what it says, for the CLI tests.

#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace weft::test {

struct CliResult {
  int code = -1;  // the exit code; 128+signal when killed
  std::string out;
  std::string err;
};

// Runs `weft <args>` to completion (at most 30 s) with stdout and stderr captured apart, in
// files inside `dir`. `env` ("NAME=value") is added to the environment weft inherits.
CliResult run_cli(const std::vector<std::string>& args, const TempDir& dir,
                  const std::vector<std::string>& env = {});

// The same for any program: `argv[0]` is its path. `cwd`, when not empty, is the directory it
// runs in.
CliResult run_program(const std::vector<std::string>& argv, const TempDir& dir,
                      const std::vector<std::string>& env = {}, const std::string& cwd = "");

// The whole file ("" when it cannot be read).
std::string slurp(const std::string& path);

// `text` split at line breaks, without them.
std::vector<std::string> lines_of(const std::string& text);

// A loopback port nothing listens on right now (bound to 0 by the kernel, then released).
unsigned short unused_port();

}  // namespace weft::test
