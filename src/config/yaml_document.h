#pragma once

#include <optional>
#include <string>

#include <yaml-cpp/yaml.h>

#include "config/diagnostics.h"

namespace weft {

// A 1-based position in a file; {0, 0} when unknown (the diagnostic then names only the file).
struct Location {
  int line = 0;
  int column = 0;
};

// Where `node` starts. yaml-cpp's marks are 0-based; nodes without a mark map to {0, 0}.
Location location_of(const YAML::Node& node);

Diagnostic make_diagnostic(const std::string& file, Location at, std::string message,
                           std::string hint = {});

// Orders diagnostics by line and column (whole-file problems first), keeping the order found
// for equal positions.
void sort_by_position(Diagnostics& errors);

// "a mapping", "a list", "an empty value" or the scalar quoted ('abc'): how an error message
// names what the user wrote. Never use it for a secret field's scalar.
std::string describe_node(const YAML::Node& node);

// Reads and parses `path`, which must hold exactly one YAML document whose top level is a
// mapping. On failure appends one diagnostic (unreadable file with the OS reason, YAML syntax
// error at its position, empty file with `empty_hint`, wrong top-level kind) and returns nullopt.
// Never throws.
std::optional<YAML::Node> load_yaml_mapping_file(const std::string& path,
                                                 const std::string& empty_hint,
                                                 Diagnostics& errors);

// The same for text already in memory; `file` only labels the diagnostics.
std::optional<YAML::Node> parse_yaml_mapping(const std::string& text, const std::string& file,
                                             const std::string& empty_hint, Diagnostics& errors);

}  // namespace weft
