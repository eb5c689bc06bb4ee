#pragma once

#include <memory>

#include <yaml-cpp/yaml.h>

#include "config/yaml_validate.h"
#include "mapper/mapping.h"

namespace weft {

// The pipeline keys the mapper reads (docs/mapping.md), validated by parse_mapping().
inline const std::vector<std::string>& mapping_keys() {
  static const std::vector<std::string> keys = {"model", "models_dir", "map", "filter", "route"};
  return keys;
}

// Reads `model`, `models_dir`, `map`, `filter` and `route` from a pipeline file's top-level
// mapping `root`. Returns null when the pipeline uses none of them (records pass unchanged) or
// when something is wrong, which is reported into `v` with line and column.
std::shared_ptr<const MappingSpec> parse_mapping(const YAML::Node& root, Validation& v);

}  // namespace weft
