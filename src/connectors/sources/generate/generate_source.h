#pragma once

#include <memory>

#include "connectors/sources/generate/config.h"
#include "weft/context.h"
#include "weft/source.h"

namespace weft::generate {

std::unique_ptr<Source> make_generate_source(GenerateConfig config, const ConnectorContext& ctx);

// The JSON text of record number `id`: {"id":N,"message":"...","pad":"xxx"} padded to
// `record_size` bytes. Pure, for tests and benchmarks.
std::string render_value(std::uint64_t id, const std::string& escaped_message,
                         std::uint64_t record_size);

}  // namespace weft::generate
