#pragma once

#include <cstddef>
#include <cstdint>

namespace weft::pgcdc {

// One fuzz input: decoded as a replication stream frame, as a pgoutput message and as a value
// (first byte picks the type, the rest is the text). Every text or binary column of a decoded
// tuple, and the value, go through append_json_value for several type OIDs. Aborts (so libFuzzer
// and the replay test report it) when an Error has no message or the JSON produced does not
// parse; crashes and sanitizer reports are the other findings.
void fuzz_one_input(const std::uint8_t* data, std::size_t size);

}  // namespace weft::pgcdc
