#pragma once

#include <cstdint>
#include <string>

#include "weft/registry.h"
#include "weft/settings.h"

namespace weft::generate {

// Settings of the `generate` source, parsed from validated Settings.
struct GenerateConfig {
  double rate = 0;               // records per second; 0: as fast as the pipeline takes them
  std::uint64_t count = 0;       // records to produce in total; 0: no end
  std::uint64_t record_size = 0; // pad each value to at least this many bytes; 0: no padding
  std::string message;

  static GenerateConfig from(const Settings& settings);
};

ConnectorInfo info();

}  // namespace weft::generate
