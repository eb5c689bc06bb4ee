#include <algorithm>
#include <exception>
#include <filesystem>
#include <map>
#include <system_error>

#include "config/pipeline_config.h"
#include "config/pipeline_loader.h"

namespace weft {
namespace {

namespace fs = std::filesystem;

bool is_pipeline_file(const fs::directory_entry& entry) {
  const std::string filename = entry.path().filename().string();
  const std::string ext = entry.path().extension().string();
  if (filename.empty() || filename[0] == '.') return false;  // editor swap and backup files
  if (ext != ".yaml" && ext != ".yml") return false;
  std::error_code ec;
  return entry.is_regular_file(ec);  // follows symlinks, as ConfigMap mounts use them
}

// The pipeline files of `dir` sorted by file name, or a diagnostic naming the OS reason.
std::vector<fs::path> list_pipeline_files(const std::string& dir, Diagnostics& errors) {
  std::vector<fs::path> files;
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  const fs::directory_iterator end;
  for (; !ec && it != end; it.increment(ec)) {
    if (is_pipeline_file(*it)) files.push_back(it->path());
  }
  if (ec) {
    Diagnostic d;
    d.file = dir;
    d.message = "cannot read pipeline directory: " + ec.message();
    errors.push_back(std::move(d));
    return {};
  }
  std::sort(files.begin(), files.end(),
            [](const fs::path& a, const fs::path& b) { return a.filename() < b.filename(); });
  return files;
}

PipelineSet load_all(const std::string& dir, const Registry& registry, const Environment& env) {
  PipelineSet set;
  std::map<std::string, std::string> file_by_name;  // pipeline name -> first file using it
  std::map<std::string, std::string> file_by_webhook_path;
  for (const fs::path& file : list_pipeline_files(dir, set.errors)) {
    const std::string path = file.string();
    LocatedPipeline result = load_pipeline_located(path, registry, env);
    if (!result.loaded.ok()) {
      set.errors.insert(set.errors.end(), result.loaded.errors.begin(),
                        result.loaded.errors.end());
      set.failed_files.push_back(path);
      continue;
    }
    PipelineConfig& pipeline = *result.loaded.value;
    auto [earlier, inserted] = file_by_name.emplace(pipeline.name, path);
    if (!inserted) {
      set.errors.push_back(make_diagnostic(
          path, result.name_at,
          "pipeline name '" + pipeline.name + "' is already used by " + earlier->second,
          "pipeline names must be unique; rename one of the two"));
      set.failed_files.push_back(path);
      continue;
    }
    // One listener serves every webhook source, so two cannot share a path.
    if (pipeline.source.type == "webhook") {
      const std::string webhook_path = pipeline.source.settings.string("path");
      auto [taken, claimed] = file_by_webhook_path.emplace(webhook_path, path);
      if (!claimed) {
        set.errors.push_back(make_diagnostic(
            path, result.name_at,
            "webhook path " + webhook_path + " is already used by " + taken->second,
            "each webhook source needs a path of its own, e.g. /webhooks/<provider>"));
        set.failed_files.push_back(path);
        continue;
      }
    }
    set.pipelines.push_back(std::move(pipeline));
  }
  return set;
}

}  // namespace

PipelineSet load_pipeline_dir(const std::string& dir, const Registry& registry,
                              const Environment& env) {
  try {
    return load_all(dir, registry, env);
  } catch (const std::exception& e) {
    PipelineSet set;
    Diagnostic d;
    d.file = dir;
    d.message = std::string("internal error while loading pipelines: ") + e.what();
    set.errors.push_back(std::move(d));
    return set;
  }
}

}  // namespace weft
