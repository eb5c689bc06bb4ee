#pragma once

#include <memory>
#include <string>

#include "connectors/sinks/file/config.h"
#include "weft/context.h"
#include "weft/sink.h"

namespace weft::file {

std::unique_ptr<Sink> make_file_sink(FileSinkConfig config, const ConnectorContext& ctx);

// Appends one line (with its newline) for `record` in `format`. Pure, for tests.
void append_line(const Record& record, LineFormat format, std::string& out);

}  // namespace weft::file
