// weft-fake-rest: the fake REST API as a process of its own, for process-level tests and
// benchmarks. Prints "listening on PORT" on stdout once bound (logs go to stderr) and serves
// until SIGTERM or SIGINT. Everything else is driven over HTTP on /_admin (fakes/admin_api.h).
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "fakes/fake_rest_api.h"

namespace {

constexpr std::string_view kUsage =
    "usage: weft-fake-rest [--listen HOST:PORT] [--records N]\n"
    "                      [--auth none|bearer:TOKEN|basic:USER:PASS|api_key_header:NAME:VALUE|\n"
    "                              api_key_query:NAME:VALUE|oauth:CLIENT_ID:CLIENT_SECRET]\n"
    "                      [--tls-cert FILE --tls-key FILE] [--threads N]\n"
    "                      [--rate-limit PER_SECOND] [--token-expires-in SECONDS]\n"
    "                      [--no-gzip] [--sforce-limit-info]\n"
    "Defaults: --listen 127.0.0.1:0 --records 1000 --auth none --threads 1.\n"
    "Prints 'listening on PORT' once bound; stops on SIGTERM or SIGINT.\n";

std::optional<long long> parse_number(std::string_view text, long long min) {
  long long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < min) {
    return std::nullopt;
  }
  return value;
}

int usage_error(const std::string& message) {
  std::cerr << "weft-fake-rest: " << message << "\n" << kUsage;
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  namespace asio = boost::asio;
  using weft::fakes::FakeRestApi;
  spdlog::set_default_logger(spdlog::stderr_color_mt("fake-rest"));

  weft::fakes::FakeRestApiOptions options;
  long long threads = 1;
  const std::vector<std::string_view> args(argv + 1, argv + argc);
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view flag = args[i];
    if (flag == "--help" || flag == "-h") {
      std::cout << kUsage;
      return 0;
    }
    if (flag == "--no-gzip") {
      options.gzip = false;
      continue;
    }
    if (flag == "--sforce-limit-info") {
      options.sforce_limit_info = true;
      continue;
    }
    if (i + 1 >= args.size())
      return usage_error("unknown flag or missing value: " + std::string(flag));
    const std::string value(args[++i]);
    if (flag == "--listen") {
      options.listen = value;
    } else if (flag == "--records") {
      const auto records = parse_number(value, 0);
      if (!records) return usage_error("--records needs an integer >= 0");
      options.records = *records;
    } else if (flag == "--auth") {
      auto auth = weft::fakes::parse_auth(value);
      if (!auth.ok()) return usage_error(auth.error().message());
      options.auth = std::move(auth).value();
    } else if (flag == "--tls-cert") {
      options.tls_cert_file = value;
    } else if (flag == "--tls-key") {
      options.tls_key_file = value;
    } else if (flag == "--threads") {
      const auto count = parse_number(value, 1);
      if (!count || *count > 64) return usage_error("--threads needs an integer 1..64");
      threads = *count;
    } else if (flag == "--rate-limit") {
      const auto limit = parse_number(value, 0);
      if (!limit || *limit > 1000000000) return usage_error("--rate-limit needs an integer >= 0");
      options.rate_limit_per_second = static_cast<int>(*limit);
    } else if (flag == "--token-expires-in") {
      const auto seconds = parse_number(value, 1);
      if (!seconds) return usage_error("--token-expires-in needs an integer >= 1");
      options.token_lifetime = std::chrono::seconds(*seconds);
    } else {
      return usage_error("unknown flag: " + std::string(flag));
    }
  }

  asio::io_context io(static_cast<int>(threads));
  auto api = FakeRestApi::start(io, options);
  if (!api.ok()) {
    std::cerr << "weft-fake-rest: " << api.error().message() << "\n";
    return 1;
  }
  std::cout << "listening on " << (*api)->port() << std::endl;  // endl: flushed for the parent

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
