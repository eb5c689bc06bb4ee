#pragma once

#include <cstdint>
#include <string>

#include "weft/registry.h"
#include "weft/settings.h"

namespace weft::file {

enum class LineFormat {
  kValue,   // each line is the record's JSON value
  kRecord,  // each line is {"key","op","value","headers","position","event_time"}
};

struct FileSinkConfig {
  std::string path;
  LineFormat format = LineFormat::kValue;
  std::uint64_t max_size = 0;  // rotate when the file would pass this size; 0: never
  int max_files = 10;          // rotated files kept: <path>.1 (newest) ... <path>.<max_files>
  bool fsync = true;           // fsync before each checkpoint commit

  static FileSinkConfig from(const Settings& settings);
};

ConnectorInfo info();

}  // namespace weft::file
