#pragma once

// Test helpers for servers: an io_context run on threads, and spdlog's output captured.

#include <spdlog/sinks/ringbuffer_sink.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace weft::test {

// Runs an io_context on `n` threads and tells when every run() has returned.
class IoThreads {
 public:
  IoThreads(boost::asio::io_context& io, int n) : io_(io), running_(n) {
    for (int i = 0; i < n; ++i) {
      threads_.emplace_back([this] {
        io_.run();
        if (--running_ == 0) exited_.set_value();
      });
    }
  }
  ~IoThreads() {
    io_.stop();  // only matters when a test failed with run() still busy
    for (auto& thread : threads_) thread.join();
  }

  bool exited_within(std::chrono::milliseconds timeout) {
    return future_.wait_for(timeout) == std::future_status::ready;
  }

 private:
  boost::asio::io_context& io_;
  std::atomic<int> running_;
  std::promise<void> exited_;
  std::future<void> future_ = exited_.get_future();
  std::vector<std::thread> threads_;
};

// Routes spdlog's default logger, at debug level, into memory for the life of the object.
class LogCapture {
 public:
  LogCapture() : previous_(spdlog::default_logger()) {
    auto logger = std::make_shared<spdlog::logger>("capture", sink_);
    logger->set_level(spdlog::level::debug);
    logger->set_pattern("%l %v");
    spdlog::set_default_logger(logger);
  }
  ~LogCapture() { spdlog::set_default_logger(previous_); }

  std::vector<std::string> lines() const { return sink_->last_formatted(); }

 private:
  std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink_ =
      std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(256);
  std::shared_ptr<spdlog::logger> previous_;
};

}  // namespace weft::test
