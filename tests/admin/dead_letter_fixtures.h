#pragma once

// Dead letters for the admin and `weft dlq` tests, and a StateStore whose every call fails.

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "state/state_store.h"
#include "weft/payload.h"

namespace weft::test {

// Each error gives its own key and source position (the store merges entries of one position).
inline DeadLetter make_dead_letter(const std::string& pipeline, const std::string& error,
                                   Clock::time_point last_failure) {
  DeadLetter letter;
  letter.pipeline = pipeline;
  letter.stage = "sink";
  letter.error_kind = "permanent";
  letter.error = error;
  letter.attempts = 3;
  letter.first_failure = last_failure - std::chrono::minutes(5);
  letter.last_failure = last_failure;
  letter.record.key = "key-" + error;
  letter.record.value = Payload::from_json(nlohmann::json{{"order", error}, {"total", 12.5}});
  letter.record.headers = {{"_filename", "orders.csv"}};
  letter.record.position = "pos-" + error;
  return letter;
}

// Every call fails with a permanent error, as a broken disk would make the real store do.
class FailingStateStore : public StateStore {
 public:
  static constexpr const char* kMessage = "state store /var/lib/weft/weft.db: disk I/O error";

  Result<std::optional<Checkpoint>> load_checkpoint(const std::string&) override { return fail(); }
  Status save_checkpoint(const std::string&, const Position&) override { return fail(); }
  Result<std::vector<Checkpoint>> list_checkpoints() override { return fail(); }
  Status delete_checkpoint(const std::string&) override { return fail(); }
  Status add_dead_letters(std::vector<DeadLetter>&) override { return fail(); }
  Result<std::vector<DeadLetter>> list_dead_letters(const DeadLetterFilter&) override {
    return fail();
  }
  Result<std::optional<DeadLetter>> get_dead_letter(std::int64_t) override { return fail(); }
  Result<std::size_t> request_replay(const DeadLetterFilter&) override { return fail(); }
  Status record_replay_failure(std::int64_t, const std::string&, const std::string&, int,
                               Clock::time_point) override {
    return fail();
  }
  Status remove_dead_letters(const std::vector<std::int64_t>&) override { return fail(); }
  Result<std::size_t> purge_dead_letters(const DeadLetterFilter&) override { return fail(); }
  Result<std::uint64_t> count_dead_letters(const std::string&) override { return fail(); }
  Result<std::vector<bool>> find_keys(const std::string&, const std::vector<std::string>&,
                                      Clock::time_point) override {
    return fail();
  }
  Status remember_keys(const std::string&, const std::vector<std::string>&,
                       Clock::time_point) override {
    return fail();
  }
  Result<std::size_t> purge_keys(const std::string&, Clock::time_point, std::size_t,
                                 std::size_t) override {
    return fail();
  }
  Result<std::optional<std::string>> crosswalk_find(const std::string&, const std::string&,
                                                    const std::string&) override {
    return fail();
  }
  Result<std::vector<std::string>> crosswalk_find_or_create_many(
      const std::string&, const std::string&, const std::vector<std::string>&,
      const std::vector<std::string>&) override {
    return fail();
  }
  Result<std::optional<std::string>> crosswalk_reverse(const std::string&, const std::string&,
                                                       const std::string&) override {
    return fail();
  }
  Status crosswalk_put(const std::vector<CrosswalkLink>&) override { return fail(); }
  Result<std::vector<CrosswalkLink>> crosswalk_list(const CrosswalkFilter&) override {
    return fail();
  }
  Result<std::vector<bool>> webhook_append(std::vector<WebhookEvent>&, std::vector<WebhookTrim>&,
                                           Clock::time_point) override {
    return fail();
  }
  Result<std::vector<WebhookEvent>> webhook_read(const std::string&, std::int64_t,
                                                 std::size_t) override {
    return fail();
  }
  Result<std::size_t> webhook_remove_through(const std::string&, std::int64_t) override {
    return fail();
  }
  Result<std::uint64_t> webhook_depth(const std::string&) override { return fail(); }
  Result<std::size_t> webhook_purge_ids(Clock::time_point, std::size_t) override { return fail(); }
  Result<std::vector<std::optional<std::string>>> processed_versions(
      const std::string&, const std::vector<std::string>&) override {
    return fail();
  }
  Status record_processed(const std::string&, const std::vector<ObjectEntry>&,
                          Clock::time_point) override {
    return fail();
  }
  Result<std::vector<std::pair<std::string, std::string>>> confirm_processed(
      const std::string&, std::uint64_t) override {
    return fail();
  }
  Result<std::size_t> discard_pending(const std::string&, std::uint64_t) override {
    return fail();
  }
  Result<std::size_t> forget_processed(const std::string&, const std::string&) override {
    return fail();
  }
  Result<std::optional<Clock::time_point>> paused_since(const std::string&) override {
    return fail();
  }
  Status set_paused(const std::string&, bool) override { return fail(); }
  int schema_version() const override { return 0; }

 private:
  static Error fail() { return Error::permanent(kMessage); }
};

}  // namespace weft::test
