// weft-fake-salesforce: the fake Salesforce org as a process of its own, for process-level tests
// and benchmarks. Prints its base URL ("http://127.0.0.1:PORT", the login and instance URL) as
// the first line on stdout once bound (logs go to stderr) and serves until SIGTERM or SIGINT.
// Everything else is driven over HTTP on /_admin (fakes/salesforce/admin_api.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fakes/salesforce/fake_salesforce.h"

namespace {

constexpr std::string_view kUsage =
    "usage: weft-fake-salesforce [--listen HOST:PORT] [--threads N]\n"
    "         [--client-id ID] [--client-secret SECRET] [--username USER] [--password PASS]\n"
    "         [--refresh-token TOKEN] [--jwt-public-key PEM_FILE] [--jwt-audience AUD]\n"
    "         [--api-limit N] [--latency-ms N] [--bulk-polls N] [--seed N]\n"
    "Defaults: --listen 127.0.0.1:0 --threads 1 --api-limit 15000 --bulk-polls 1; the\n"
    "credentials default to FakeSalesforceOptions'. Prints its base URL once bound; stops on\n"
    "SIGTERM or SIGINT.\n";

std::optional<long long> parse_number(std::string_view text, long long min) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min) {
    return std::nullopt;
  }
  return value;
}

int usage_error(const std::string& message) {
  std::cerr << "weft-fake-salesforce: " << message << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace asio = boost::asio;
  using weft::fakes::salesforce::FakeSalesforce;
  spdlog::set_default_logger(spdlog::stderr_color_mt("fake-salesforce"));

  weft::fakes::salesforce::FakeSalesforceOptions options;
  long long threads = 1;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (i + 1 >= args.size()) {
      return usage_error("unknown flag or missing value: " + std::string(flag));
    }
    const std::string value(args[++i]);
    const auto number = [&](long long min) { return parse_number(value, min); };
    if (flag == "--listen") {
      options.listen = value;
    } else if (flag == "--threads") {
      const auto count = number(1);
      if (!count || *count > 64) return usage_error("--threads needs an integer 1..64");
      threads = *count;
    } else if (flag == "--client-id") {
      options.client_id = value;
    } else if (flag == "--client-secret") {
      options.client_secret = value;
    } else if (flag == "--username") {
      options.username = value;
    } else if (flag == "--password") {
      options.password = value;
    } else if (flag == "--refresh-token") {
      options.refresh_token = value;
    } else if (flag == "--jwt-audience") {
      options.jwt_audience = value;
    } else if (flag == "--jwt-public-key") {
      std::ifstream file(value);
      if (!file) return usage_error("--jwt-public-key: cannot read " + value);
      std::ostringstream pem;
      pem << file.rdbuf();
      options.jwt_public_key_pem = pem.str();
    } else if (flag == "--api-limit") {
      const auto limit = number(0);
      if (!limit) return usage_error("--api-limit needs an integer >= 0");
      options.api_limit = *limit;
    } else if (flag == "--latency-ms") {
      const auto latency = number(0);
      if (!latency) return usage_error("--latency-ms needs an integer >= 0");
      options.latency = std::chrono::milliseconds(*latency);
    } else if (flag == "--bulk-polls") {
      const auto polls = number(0);
      if (!polls || *polls > 1000000)
        return usage_error("--bulk-polls needs an integer 0..1000000");
      options.bulk_polls = static_cast<int>(*polls);
    } else if (flag == "--seed") {
      const auto seed = number(0);
      if (!seed) return usage_error("--seed needs an integer >= 0");
      options.shuffle_seed = static_cast<std::uint64_t>(*seed);
    } else {
      return usage_error("unknown flag: " + std::string(flag));
    }
  }

  asio::io_context io(static_cast<int>(threads));
  auto api = FakeSalesforce::start(io, options);
  if (!api.ok()) {
    std::cerr << "weft-fake-salesforce: " << api.error().message() << "\n";
    return 1;
  }
  std::cout << (*api)->base_url() << std::endl;  // endl: flushed for the parent

  asio::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&api](const boost::system::error_code& ec, int) {
    if (!ec) (*api)->stop();
  });
  std::vector<std::thread> runners;
  for (long long i = 1; i < threads; ++i) runners.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& runner : runners) runner.join();
  return 0;
}
