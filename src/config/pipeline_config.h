#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "config/diagnostics.h"
#include "config/environment.h"
#include "weft/config_spec.h"
#include "weft/registry.h"
#include "weft/settings.h"

namespace weft {

struct MappingSpec;

// A source or sink block after validation against its connector's spec.
struct ConnectorConfig {
  std::string type;
  const ConnectorInfo* info = nullptr;  // points into the registry, which outlives configs
  Settings settings;                    // defaults filled, interpolation resolved
};

// One pipeline file (pipelines/<name>.yaml):
//   name: orders            # required, [a-z0-9_-], unique across files
//   source: {type: ..., <fields of that source's spec>}
//   sink:   {type: ..., <fields of that sink's spec>}
//   <runtime settings: see pipeline_runtime_spec()>
struct PipelineConfig {
  std::string name;
  std::string file;
  ConnectorConfig source;
  ConnectorConfig sink;
  Settings runtime;  // validated against pipeline_runtime_spec()
  // model, map, filter and route (docs/mapping.md); null when the pipeline has none of them.
  std::shared_ptr<const MappingSpec> mapping;

  // Hash of the resolved configuration (after interpolation). A reload restarts a pipeline only
  // when its fingerprint changed.
  std::string fingerprint;

  // The configuration as JSON with every secret field replaced by "***": safe for logs and /api.
  nlohmann::json redacted() const;
};

// The pipeline-level settings besides name/source/sink (batching, checkpointing; the
// middleware issues add their blocks here).
const ConfigSpec& pipeline_runtime_spec();

// Loads and validates one pipeline file. Reports every problem at once, each with file, line
// and column. Secret values never appear in diagnostics.
Loaded<PipelineConfig> load_pipeline_file(const std::string& path, const Registry& registry,
                                          const Environment& env);

// Loads every *.yaml / *.yml file in `dir` (sorted by name). Valid pipelines are returned even
// when other files have errors, so a reload can keep running what is still good; duplicate
// names are an error on the later file.
struct PipelineSet {
  std::vector<PipelineConfig> pipelines;
  Diagnostics errors;
  std::vector<std::string> failed_files;  // files that produced errors
};
PipelineSet load_pipeline_dir(const std::string& dir, const Registry& registry,
                              const Environment& env);

}  // namespace weft
