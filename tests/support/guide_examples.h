#pragma once

// Checks that every complete pipeline in a user guide (a ```yaml block starting with `name:`)
// validates, so the examples users copy keep working as the specs change. Header only: the
// test that includes it links the config loader and the connectors.

#include <gtest/gtest.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "config/environment.h"
#include "config/pipeline_loader.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft::test {

// Validates the examples of `guide` (a path under the source tree, e.g.
// "docs/connectors/rest.md"); returns how many there were. Examples write secrets as ${VAR}:
// every variable resolves.
inline int validate_guide_examples(const std::string& source_dir, const std::string& guide) {
  std::ifstream in(source_dir + "/" + guide);
  EXPECT_TRUE(in) << guide << " not found";
  std::stringstream text;
  text << in.rdbuf();
  const std::string markdown = text.str();
  TempDir temp;
  int checked = 0;
  for (auto at = markdown.find("```yaml\n"); at != std::string::npos;
       at = markdown.find("```yaml\n", at + 1)) {
    const auto start = at + 8;
    const std::string block = markdown.substr(start, markdown.find("```", start) - start);
    if (block.rfind("name:", 0) != 0) continue;
    Environment env;
    env.variable = [](const std::string& name) -> std::optional<std::string> {
      return "example-value-of-" + name;
    };
    auto loaded = load_pipeline_file(temp.write("example.yaml", block), builtin_registry(), env);
    for (const auto& e : loaded.errors) ADD_FAILURE() << guide << ": " << e.format() << "\n" << block;
    ++checked;
  }
  return checked;
}

}  // namespace weft::test
