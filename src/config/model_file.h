#pragma once

#include <memory>
#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "config/yaml_validate.h"
#include "mapper/model.h"

namespace weft {

// A canonical model file (docs/mapping.md):
//   name: customer            # required, [a-z0-9_]
//   version: v2               # default v1
//   description: ...
//   unmapped: drop            # drop | keep | error
//   fields:
//     email: {type: string, required: true, pattern: '^[^@]+@', max_length: 254, pii: true}
//     status: {type: string, enum: [active, churned]}
//     address.city: {type: string}
const ConfigSpec& model_spec();

// Builds a model from the mapping `node` (a file's top level, or a pipeline's inline `model:`),
// reporting problems into `v` at their line and column. `file` labels the model ("" inline).
std::shared_ptr<const CanonicalModel> parse_model(const YAML::Node& node, const std::string& file,
                                                  Validation& v);

// Finds `ref` ("customer" or "customer@v2") in `dir`: `<name>@<version>.yaml`, then
// `<name>.yaml` whose version must match. Problems (not found, version mismatch, errors inside
// the model file) go to `v`; `at` places the not-found error on the pipeline's `model:` line.
// `raw_text` receives the file's text (for the pipeline's fingerprint).
std::shared_ptr<const CanonicalModel> load_model_ref(const std::string& ref, const std::string& dir,
                                                     Location at, Validation& v,
                                                     std::string& raw_text);

}  // namespace weft
