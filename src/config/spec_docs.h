#pragma once

#include <string>

#include "weft/config_spec.h"
#include "weft/registry.h"

namespace weft {

// Human-readable reference for `weft spec <type>`: one line per field with type, default,
// range, secret flag and description, then the example.
std::string render_spec_text(const ConnectorInfo& info);

// The same as a Markdown page for docs/connectors/<kind>s/<type>.md.
std::string render_spec_markdown(const ConnectorInfo& info);

}  // namespace weft
