#pragma once

// Reading what weft prints for people, for the help, completion and init tests: sections of a
// manual page (`weft VERB --help`) and the connector list of `weft spec`.

#include <set>
#include <string>
#include <vector>

namespace weft::test {

// The text of section `heading` of a manual ("OPTIONS"): from the line after the heading to the
// next heading (a line of capitals at column 0); "" when there is no such section.
std::string manual_section(const std::string& manual, const std::string& heading);

// The option names in the headings of the OPTIONS section ("    -h, --help" gives -h and --help).
std::set<std::string> documented_options(const std::string& manual);

// The subcommands in the COMMANDS section of a verb's manual (the lines indented 4 columns).
std::vector<std::string> documented_subcommands(const std::string& manual);

// The connector types `weft spec` lists under "sources:" or "sinks:" (`kind`).
std::vector<std::string> connector_types(const std::string& spec_list, const std::string& kind);

}  // namespace weft::test
