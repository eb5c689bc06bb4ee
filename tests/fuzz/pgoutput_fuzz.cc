// libFuzzer entry for the pgoutput decoder and value conversion; see pgoutput_fuzz_body.h.
// Build: cmake --preset fuzz && cmake --build build/fuzz --target weft_pgoutput_fuzz
#include <cstddef>
#include <cstdint>

#include "pgoutput_fuzz_body.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  weft::pgcdc::fuzz_one_input(data, size);
  return 0;
}
