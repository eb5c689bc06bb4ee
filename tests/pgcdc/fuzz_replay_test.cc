// The fuzz target's body (tests/fuzz/pgoutput_fuzz_body.cc) run in CI without libFuzzer: over
// the captured messages, each also wrapped in an XLogData frame, and over deterministic random
// mutations of them. A finding aborts the test binary (or trips a sanitizer in the asan preset).
#include <gtest/gtest.h>

#include <cstdint>
#include <string>

#include "fuzz/pgoutput_fuzz_body.h"
#include "pgcdc/captured_messages.h"

namespace weft::pgcdc {
namespace {

void run(const std::string& input) {
  fuzz_one_input(reinterpret_cast<const std::uint8_t*>(input.data()), input.size());
}

std::string as_xlogdata(const std::string& message) {
  std::string frame = "w";
  frame.append(24, '\0');
  return frame + message;
}

// xorshift64*: the same sequence on every platform and standard library (unlike
// std::uniform_int_distribution), so a failure is reproducible from its iteration number.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545F4914F6CDD1DULL;
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }

 private:
  std::uint64_t state_;
};

// Bytes that tend to matter in this format: markers, zero and extreme lengths, array syntax.
constexpr char kInteresting[] = {0,   1,   '\x7f', '\x80', '\xff', 'n', 'u',  't', 'b', 'N',
                                 'K', 'O', '{',    '}',    ',',    '"', '\\', '[', ':', '='};

std::string mutate(std::string input, Rng& rng) {
  const std::size_t steps = 1 + rng.below(4);
  for (std::size_t s = 0; s < steps; ++s) {
    switch (rng.below(5)) {
      case 0:  // bit flip
        if (!input.empty()) input[rng.below(input.size())] ^= static_cast<char>(1 << rng.below(8));
        break;
      case 1:  // truncate
        input.resize(rng.below(input.size() + 1));
        break;
      case 2: {  // insert random bytes
        std::string bytes(1 + rng.below(8), '\0');
        for (auto& c : bytes) c = static_cast<char>(rng.next());
        input.insert(rng.below(input.size() + 1), bytes);
        break;
      }
      case 3:  // overwrite with an interesting byte
        if (!input.empty()) {
          input[rng.below(input.size())] = kInteresting[rng.below(sizeof kInteresting)];
        }
        break;
      case 4:  // erase a range
        if (!input.empty()) {
          const std::size_t at = rng.below(input.size());
          input.erase(at, 1 + rng.below(input.size() - at));
        }
        break;
    }
  }
  return input;
}

TEST(PgOutputFuzzReplayTest, CapturedMessagesAndTheirFrames) {
  for (const auto& message : captured::kStream) {
    const auto bytes = captured::bytes(message);
    run(bytes);
    run(as_xlogdata(bytes));
  }
}

// Inputs libFuzzer found, kept so they stay fixed.
TEST(PgOutputFuzzReplayTest, EarlierFindings) {
  // An int4[] whose element is a JSON number overflowing a double ("2E333..."): nlohmann
  // rejected the output until integers had to look like Postgres's integer output.
  run("\x08[0:1]={{1,2E" + std::string(44, '3') + "," + std::string(22, '3') + "},{+093}}");
}

// ~200k mutations in four shards so CTest can run them in parallel.
constexpr int kMutationsPerShard = 50'000;

void run_mutations(std::uint64_t seed) {
  Rng rng(seed);
  for (int i = 0; i < kMutationsPerShard; ++i) {
    const auto bytes = captured::bytes(captured::kStream[rng.below(std::size(captured::kStream))]);
    auto input = mutate(bytes, rng);
    if (rng.below(4) == 0) input = as_xlogdata(input);
    run(input);
  }
}

TEST(PgOutputFuzzReplayTest, MutationsShard1) { run_mutations(0x5745465431); }
TEST(PgOutputFuzzReplayTest, MutationsShard2) { run_mutations(0x5745465432); }
TEST(PgOutputFuzzReplayTest, MutationsShard3) { run_mutations(0x5745465433); }
TEST(PgOutputFuzzReplayTest, MutationsShard4) { run_mutations(0x5745465434); }

}  // namespace
}  // namespace weft::pgcdc
