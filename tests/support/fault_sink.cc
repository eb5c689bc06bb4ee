#include "support/fault_sink.h"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

namespace weft::test {
namespace {

namespace asio = boost::asio;

struct Script {
  bool down = false;
  bool reject_all = false;
  int fail_next = 0;
  std::set<std::string> permanent_keys;
  std::set<std::string> retryable_keys;
  int retry_after_ms = 0;
  int delay_ms = 0;
};

class FaultSink final : public Sink {
 public:
  FaultSink(std::string path, std::string control)
      : path_(std::move(path)), control_(std::move(control)) {}

  asio::awaitable<Status> connect() override {
    out_ = std::fopen(path_.c_str(), "a");
    calls_ = std::fopen((path_ + ".calls").c_str(), "a");
    if (out_ == nullptr || calls_ == nullptr)
      co_return Error::permanent("fault: cannot open " + path_);
    co_return Status{};
  }

  asio::awaitable<WriteResult> write_batch(const Batch& batch) override {
    reload_script();
    if (script_.delay_ms > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor);
      timer.expires_after(std::chrono::milliseconds(script_.delay_ms));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    if (script_.down || script_.fail_next > 0) {
      if (script_.fail_next > 0) --script_.fail_next;
      log_call(batch.size(), "down");
      co_return WriteResult::failed(retryable("fault: target unavailable"));
    }
    WriteResult result;
    for (std::size_t i = 0; i < batch.size(); ++i) {
      const Record& r = batch[i];
      if (script_.reject_all || script_.permanent_keys.count(r.key) != 0) {
        result.failures.push_back({i, Error::permanent("fault: record " + r.key + " rejected")});
      } else if (script_.retryable_keys.count(r.key) != 0) {
        result.failures.push_back({i, retryable("fault: record " + r.key + " timed out")});
      } else {
        nlohmann::json line = {{"key", r.key},
                               {"value", nlohmann::json::parse(r.value.text(), nullptr, false)}};
        std::fputs((line.dump() + "\n").c_str(), out_);
      }
    }
    log_call(batch.size(), result.failures.empty() ? "ok" : "partial");
    co_return result;
  }

  asio::awaitable<Status> flush() override {
    if (out_ != nullptr) {
      std::fflush(out_);
      ::fsync(fileno(out_));
    }
    co_return Status{};
  }

  asio::awaitable<void> close() override {
    if (out_ != nullptr) std::fclose(out_);
    if (calls_ != nullptr) std::fclose(calls_);
    out_ = calls_ = nullptr;
    co_return;
  }

 private:
  Error retryable(std::string message) const {
    Error e = Error::retryable(std::move(message));
    if (script_.retry_after_ms > 0)
      e.with_retry_after(std::chrono::milliseconds(script_.retry_after_ms));
    return e;
  }

  void log_call(std::size_t records, const char* outcome) {
    std::fprintf(calls_, "%zu %s\n", records, outcome);
    std::fflush(calls_);
  }

  // Re-reads the control file when its contents changed; a missing file means "all is well".
  void reload_script() {
    std::ifstream in(control_);
    std::stringstream text;
    if (in) text << in.rdbuf();
    if (text.str() == control_text_) return;
    control_text_ = text.str();
    script_ = Script{};
    auto json = nlohmann::json::parse(control_text_, nullptr, false);
    if (!json.is_object()) return;
    script_.down = json.value("down", false);
    script_.reject_all = json.value("reject_all", false);
    script_.fail_next = json.value("fail_next", 0);
    script_.retry_after_ms = json.value("retry_after_ms", 0);
    script_.delay_ms = json.value("delay_ms", 0);
    for (const auto& k : json.value("permanent_keys", nlohmann::json::array()))
      script_.permanent_keys.insert(k.get<std::string>());
    for (const auto& k : json.value("retryable_keys", nlohmann::json::array()))
      script_.retryable_keys.insert(k.get<std::string>());
  }

  std::string path_;
  std::string control_;
  std::string control_text_;
  Script script_;
  std::FILE* out_ = nullptr;
  std::FILE* calls_ = nullptr;
};

}  // namespace

ConnectorInfo fault_sink_info() {
  ConnectorInfo info;
  info.type = "fault";
  info.kind = ConnectorKind::kSink;
  info.summary = "Test sink that fails as a control file says";
  info.example = "type: fault\npath: out.jsonl\ncontrol: control.json\n";
  info.spec.path("path").required().description("JSON Lines file of delivered records");
  info.spec.path("control").required().description("JSON file scripting failures");
  info.make_sink = [](const Settings& s, const ConnectorContext&) -> Result<std::unique_ptr<Sink>> {
    return std::unique_ptr<Sink>(
        std::make_unique<FaultSink>(s.string("path"), s.string("control")));
  };
  return info;
}

}  // namespace weft::test
