#pragma once

// Small helpers the end-to-end tests share: waiting for a condition and reading metrics.

#include <chrono>
#include <optional>
#include <sstream>
#include <string>
#include <thread>

namespace weft::test {

// Polls `done` until it holds or `limit` passes (a hung daemon fails the test instead of hanging
// CI); never asserts on how long it took.
template <typename Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(30)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

// A metric's value from Prometheus text, e.g. sample(text, "weft_pipeline_up{pipeline=\"demo\"}").
inline std::optional<double> sample(const std::string& metrics, const std::string& series) {
  std::istringstream in(metrics);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(series + " ", 0) == 0) return std::stod(line.substr(series.size() + 1));
  }
  return std::nullopt;
}

}  // namespace weft::test
