#pragma once

// Reading what the `fault` test sink (tests/support/fault_sink.h) wrote: its JSON Lines of
// delivered records and its call log.

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace weft::test {

// Key -> how many times the sink wrote it. A line cut by kill -9 was never acknowledged, and
// the restarted daemon appends to it: only the last record on a line counts.
inline std::map<std::string, int> delivered_keys(const std::filesystem::path& file) {
  std::map<std::string, int> keys;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    const auto start = line.rfind(R"({"key":)");
    if (start == std::string::npos) continue;
    auto value = nlohmann::json::parse(line.substr(start), nullptr, false);
    if (!value.is_discarded()) ++keys[value["key"].get<std::string>()];
  }
  return keys;
}

// Writes the sink refused because it was down (lines of its call log `<path>.calls`).
inline std::size_t failed_calls(const std::filesystem::path& calls) {
  std::ifstream in(calls);
  std::size_t n = 0;
  for (std::string line; std::getline(in, line);) n += line.find(" down") != std::string::npos;
  return n;
}

}  // namespace weft::test
