#pragma once

// Shared fixtures for the config tests: a scratch directory, a fake environment and a small
// registry whose connectors have specs but no factories.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "config/diagnostics.h"
#include "config/environment.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::testing {

using TempDir = weft::test::TempDir;

// Variables and files come only from the maps; the process environment is never read.
Environment fake_env(std::map<std::string, std::string> variables = {},
                     std::map<std::string, std::string> files = {});

// Sources: generate, postgres. Sinks: file, http. See config_test_util.cc for their fields.
Registry test_registry();

// Every diagnostic through Diagnostic::format(), which is what users read.
std::vector<std::string> formatted(const Diagnostics& errors);

}  // namespace weft::testing
