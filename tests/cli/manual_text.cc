#include "cli/manual_text.h"

#include <regex>

#include "cli/cli_runner.h"

namespace weft::test {

std::string manual_section(const std::string& manual, const std::string& heading) {
  std::size_t start = 0;
  if (!manual.starts_with(heading + "\n")) {
    start = manual.find("\n" + heading + "\n");
    if (start == std::string::npos) return "";
    ++start;
  }
  const std::string rest = manual.substr(start + heading.size() + 1);
  static const std::regex next_heading("(^|\n)[A-Z][A-Z ]*\n");
  std::smatch next;
  return std::regex_search(rest, next, next_heading) ? rest.substr(0, next.position()) : rest;
}

std::set<std::string> documented_options(const std::string& manual) {
  std::set<std::string> out;
  static const std::regex name("(^|[ ,])(--?[a-z][a-z0-9-]*)");
  for (const auto& line : lines_of(manual_section(manual, "OPTIONS"))) {
    if (!line.starts_with("    -")) continue;
    const std::string heading = line.substr(0, line.find("  ", 4));  // before "  (list, show)"
    for (std::sregex_iterator it(heading.begin(), heading.end(), name), end; it != end; ++it) {
      out.insert((*it)[2]);
    }
  }
  return out;
}

std::vector<std::string> documented_subcommands(const std::string& manual) {
  std::vector<std::string> out;
  for (const auto& line : lines_of(manual_section(manual, "COMMANDS"))) {
    if (line.starts_with("    ") && !line.starts_with("     ")) out.push_back(line.substr(4));
  }
  return out;
}

std::vector<std::string> connector_types(const std::string& spec_list, const std::string& kind) {
  std::vector<std::string> out;
  std::string current;
  for (const auto& line : lines_of(spec_list)) {
    if (!line.starts_with(" ")) {
      current = line;
    } else if (current == kind + ":" && line.starts_with("  ")) {
      out.push_back(line.substr(2, line.find(' ', 2) - 2));
    }
  }
  return out;
}

}  // namespace weft::test
