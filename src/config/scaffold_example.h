#pragma once

// What `weft init` takes from a connector's documented example (ConnectorInfo::example): the
// example parsed, and which of its settings a working configuration needs.

#include <yaml-cpp/yaml.h>

#include <set>
#include <string>

#include "weft/registry.h"

namespace weft {

// The example as YAML; a null node when the connector has none or it does not parse (the
// compliance tests keep examples valid). Never throws.
YAML::Node parse_example(const ConnectorInfo& info);

// The optional top-level fields of `example` that a working block needs: starting from the whole
// example, fields are left out one and then two at a time as long as the block still validates,
// the connector's check included, until none can go. An object that sets one of its required
// fields is kept. Variables resolve to stand-ins meanwhile. When the example itself is not
// valid, every field it sets.
std::set<std::string> needed_fields(const ConnectorInfo& info, const YAML::Node& example);

}  // namespace weft
