#pragma once

#include <string>
#include <vector>

#include "weft/registry.h"

namespace weft {

struct ScaffoldRequest {
  std::string name;                       // the pipeline's name; must be valid_pipeline_name()
  const ConnectorInfo* source = nullptr;  // both must be set
  const ConnectorInfo* sink = nullptr;
  std::string command;  // the command line that asked for it, quoted in the header
};

struct Scaffold {
  std::string text;  // the YAML pipeline file
  // The ${VARIABLE}s its settings read, in order of first use: they must be set in the
  // environment for the file to load.
  std::vector<std::string> variables;
};

// A complete, commented pipeline file for `weft init`, generated from the connectors' specs and
// documented examples (ConnectorInfo::example, which the compliance tests keep valid):
//   - a connector's settings are set when they are required or set in its example to something
//     other than their default, with the example's value (else the field's first example, else
//     a placeholder of its type); a secret that is not a ${...} reference there becomes
//     ${<NAME>_<FIELD>};
//   - every other setting of both connectors and of pipeline_runtime_spec() (batch,
//     checkpoint, retry, dlq, ...) is commented out with its default and the first sentence of
//     its description.
// So the file loads once `variables` are set. Pure: no I/O.
Scaffold render_pipeline_scaffold(const ScaffoldRequest& request);

}  // namespace weft
