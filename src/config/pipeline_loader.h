#pragma once

#include <string>

#include "config/pipeline_config.h"
#include "config/yaml_document.h"

namespace weft {

// load_pipeline_file() plus where the `name` value was written, so the directory loader can
// place a duplicate-name error on the right line.
struct LocatedPipeline {
  Loaded<PipelineConfig> loaded;
  Location name_at;  // {0, 0} when the file has no usable name
};

LocatedPipeline load_pipeline_located(const std::string& path, const Registry& registry,
                                      const Environment& env);

// Hex SHA-256 of `text`.
std::string sha256_hex(const std::string& text);

}  // namespace weft
