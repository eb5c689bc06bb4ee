#include "config/yaml_document.h"

#include <algorithm>
#include <exception>
#include <vector>

#include "config/file_io.h"

namespace weft {

Location location_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0 || mark.column < 0) return {};
  return {mark.line + 1, mark.column + 1};
}

Diagnostic make_diagnostic(const std::string& file, Location at, std::string message,
                           std::string hint) {
  Diagnostic d;
  d.file = file;
  d.line = at.line;
  d.column = at.line > 0 ? at.column : 0;
  d.message = std::move(message);
  d.hint = std::move(hint);
  return d;
}

void sort_by_position(Diagnostics& errors) {
  std::stable_sort(errors.begin(), errors.end(), [](const Diagnostic& a, const Diagnostic& b) {
    return a.line != b.line ? a.line < b.line : a.column < b.column;
  });
}

std::string describe_node(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map: return "a mapping";
    case YAML::NodeType::Sequence: return "a list";
    case YAML::NodeType::Scalar: return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined: break;
  }
  return "an empty value";
}

std::optional<YAML::Node> parse_yaml_mapping(const std::string& text, const std::string& file,
                                             const std::string& empty_hint, Diagnostics& errors) {
  std::vector<YAML::Node> documents;
  try {
    documents = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    Location at;
    if (!e.mark.is_null()) at = {e.mark.line + 1, e.mark.column + 1};
    errors.push_back(make_diagnostic(file, at, "invalid YAML: " + e.msg));
    return std::nullopt;
  } catch (const std::exception& e) {
    errors.push_back(make_diagnostic(file, {}, std::string("invalid YAML: ") + e.what()));
    return std::nullopt;
  }
  // A file of only comments parses as zero documents or as one null document.
  if (documents.empty() || (documents.size() == 1 && documents[0].IsNull())) {
    errors.push_back(make_diagnostic(file, {}, "file is empty", empty_hint));
    return std::nullopt;
  }
  if (documents.size() > 1) {
    errors.push_back(make_diagnostic(
        file, location_of(documents[1]),
        "file holds " + std::to_string(documents.size()) + " YAML documents; expected one",
        "remove the '---' separator, or split the file"));
    return std::nullopt;
  }
  const YAML::Node& root = documents[0];
  if (!root.IsMap()) {
    errors.push_back(make_diagnostic(file, location_of(root),
                                     "expected a mapping of fields at the top level, got " +
                                         describe_node(root),
                                     "write one 'field: value' per line"));
    return std::nullopt;
  }
  return root;
}

std::optional<YAML::Node> load_yaml_mapping_file(const std::string& path,
                                                 const std::string& empty_hint,
                                                 Diagnostics& errors) {
  FileText read = read_whole_file(path);
  if (!read.text) {
    errors.push_back(make_diagnostic(path, {}, "cannot read file: " + read.error));
    return std::nullopt;
  }
  return parse_yaml_mapping(*read.text, path, empty_hint, errors);
}

}  // namespace weft
