// weft map: runs one pipeline's mapping (filter, map, model, route) over sample records and
// prints the results, so a mapping can be developed without running the pipeline.
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "cli/commands.h"
#include "cli/help/help.h"
#include "config/daemon_config.h"
#include "config/pipeline_config.h"
#include "mapper/coerce.h"
#include "mapper/crosswalk.h"
#include "mapper/mapping.h"
#include "runtime/logging.h"
#include "state/state_store.h"

namespace weft::cli {
namespace {

struct MapArgs {
  std::string config_path = kDefaultConfigPath;
  std::string pipeline;
  std::string input;
  std::string state_path;
  bool envelope = false;
};

std::optional<int> parse(const std::vector<std::string>& args, MapArgs& out) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&](std::string& target) {
      if (i + 1 >= args.size()) return false;
      target = args[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") return print_help("map");
    bool ok = true;
    if (arg == "--config") {
      ok = value(out.config_path);
    } else if (arg == "--pipeline") {
      ok = value(out.pipeline);
    } else if (arg == "--input") {
      ok = value(out.input);
    } else if (arg == "--state") {
      ok = value(out.state_path);
    } else if (arg == "--envelope") {
      out.envelope = true;
    } else {
      ok = false;
    }
    if (!ok) {
      const bool takes_value =
          arg == "--config" || arg == "--pipeline" || arg == "--input" || arg == "--state";
      return usage_error(
          "map", takes_value ? arg + " needs a value" : "unexpected argument '" + arg + "'");
    }
  }
  if (out.pipeline.empty()) return usage_error("map", "--pipeline is required");
  return std::nullopt;
}

// A private temporary directory, removed with everything in it.
struct ScratchDir {
  ScratchDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "weft-map-XXXXXX").string();
    if (mkdtemp(pattern.data()) != nullptr) path = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    if (!path.empty()) std::filesystem::remove_all(path, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string path;
};

// The pipeline file: FILE as given, or NAME.yaml / NAME.yml in the pipelines dir.
std::optional<std::string> pipeline_file(const MapArgs& args, const DaemonConfig* daemon) {
  namespace fs = std::filesystem;
  const std::string& p = args.pipeline;
  if (p.find('/') != std::string::npos || p.ends_with(".yaml") || p.ends_with(".yml")) return p;
  if (daemon == nullptr) return std::nullopt;
  for (const char* ext : {".yaml", ".yml"}) {
    fs::path candidate = fs::path(daemon->pipelines_dir) / (p + ext);
    if (fs::exists(candidate)) return candidate.string();
  }
  return std::nullopt;
}

// One input line as a record; nullopt with `error` set when it is not usable.
std::optional<Record> read_record(const std::string& line, bool envelope, std::string& error) {
  if (!envelope) {
    Record record;
    record.value = Payload::from_text(line);
    if (record.value.json().is_discarded()) {
      error = record.value.parse_error();
      return std::nullopt;
    }
    return record;
  }
  nlohmann::json doc = nlohmann::json::parse(line, nullptr, false);
  if (!doc.is_object() || !doc.contains("value")) {
    error = "with --envelope each line is an object with a \"value\"";
    return std::nullopt;
  }
  Record record;
  record.value = Payload::from_json(doc["value"]);
  if (doc.contains("before")) record.before = Payload::from_json(doc["before"]);
  if (doc.contains("key") && doc["key"].is_string()) record.key = doc["key"];
  if (doc.contains("id") && doc["id"].is_string()) record.id = doc["id"];
  if (doc.contains("position") && doc["position"].is_string()) record.position = doc["position"];
  if (doc.contains("event_time")) {
    auto at = parse_timestamp(doc["event_time"]);
    if (!at) {
      error = "event_time " + doc["event_time"].dump() + " is not a timestamp";
      return std::nullopt;
    }
    record.event_time = *at;
  }
  if (doc.contains("op") && doc["op"].is_string()) {
    auto op = parse_operation(doc["op"]);
    if (!op) {
      error = "unknown op '" + doc["op"].get<std::string>() + "'";
      return std::nullopt;
    }
    record.op = *op;
  }
  if (doc.contains("headers") && doc["headers"].is_object()) {
    for (const auto& item : doc["headers"].items()) {
      if (item.value().is_string()) record.headers.set(item.key(), item.value());
    }
  }
  return record;
}

}  // namespace

int map_command(const std::vector<std::string>& args) {
  MapArgs parsed;
  if (auto exit_code = parse(args, parsed)) return *exit_code;
  (void)configure_logging("warn", "text");

  auto daemon = load_daemon_config(parsed.config_path, Environment::process());
  const DaemonConfig* daemon_config = daemon.ok() ? &*daemon.value : nullptr;
  auto file = pipeline_file(parsed, daemon_config);
  if (!file) {
    if (!daemon.ok()) {
      for (const auto& e : daemon.errors) std::fprintf(stderr, "%s\n", e.format().c_str());
    }
    std::fprintf(stderr, "weft map: no pipeline '%s'%s\n", parsed.pipeline.c_str(),
                 daemon_config ? (" in " + daemon_config->pipelines_dir).c_str() : "");
    return kExitConfig;
  }
  auto pipeline = load_pipeline_file(*file, builtin_registry(), Environment::process());
  if (!pipeline.ok()) {
    for (const auto& e : pipeline.errors) std::fprintf(stderr, "%s\n", e.format().c_str());
    return kExitConfig;
  }
  if (!pipeline.value->mapping) {
    std::fprintf(stderr,
                 "weft map: pipeline %s has no model, map, filter or route; records "
                 "pass unchanged\n",
                 file->c_str());
  }

  // Crosswalk lookups read the real tables but never write them (dry run). Without a state file
  // they run against an empty scratch store, so `create` still shows the ids it would mint.
  std::string state_path = parsed.state_path;
  if (state_path.empty() && daemon_config != nullptr) state_path = daemon_config->state_path;
  std::optional<ScratchDir> scratch;
  if (!parsed.state_path.empty() && !std::filesystem::exists(parsed.state_path)) {
    std::fprintf(stderr, "weft map: --state %s does not exist\n", parsed.state_path.c_str());
    return kExitConfig;
  }
  if (state_path.empty() || !std::filesystem::exists(state_path)) {
    scratch.emplace();
    state_path = scratch->path + "/weft.db";
  }
  auto store = open_sqlite_state_store(state_path);
  if (!store.ok()) {
    std::fprintf(stderr, "weft map: %s\n", store.error().message().c_str());
    return kExitFailure;
  }
  Crosswalk crosswalk(**store, daemon_config ? daemon_config->crosswalk_cache_entries : 100000,
                      /*dry_run=*/true);
  std::optional<Mapper> mapper;
  if (pipeline.value->mapping) mapper.emplace(pipeline.value->mapping, &crosswalk);

  std::FILE* in = stdin;
  if (!parsed.input.empty()) {
    in = std::fopen(parsed.input.c_str(), "rb");
    if (in == nullptr) {
      std::fprintf(stderr, "weft map: cannot read %s: %s\n", parsed.input.c_str(),
                   std::strerror(errno));
      return kExitConfig;
    }
  }
  const std::string input_name = parsed.input.empty() ? "stdin" : parsed.input;
  std::uint64_t line_no = 0, mapped = 0, filtered = 0, failed = 0;
  std::string line, out;
  char* buffer = nullptr;
  std::size_t capacity = 0;
  for (;;) {
    ssize_t n = getline(&buffer, &capacity, in);
    if (n < 0) break;
    ++line_no;
    line.assign(buffer, static_cast<std::size_t>(n));
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
    if (line.empty()) continue;
    std::string error;
    auto record = read_record(line, parsed.envelope, error);
    if (!record) {
      ++failed;
      std::fprintf(stderr, "%s:%llu: %s\n", input_name.c_str(),
                   static_cast<unsigned long long>(line_no), error.c_str());
      continue;
    }
    if (!mapper) {
      ++mapped;
      out = record->value.text();
    } else {
      MapResult result = mapper->apply(*record);
      if (result.verdict == MapVerdict::kFiltered) {
        ++filtered;
        std::fprintf(stderr, "%s:%llu: filtered\n", input_name.c_str(),
                     static_cast<unsigned long long>(line_no));
        continue;
      }
      if (result.verdict == MapVerdict::kFailed) {
        ++failed;
        std::fprintf(stderr, "%s:%llu: %s\n", input_name.c_str(),
                     static_cast<unsigned long long>(line_no), result.error->message().c_str());
        continue;
      }
      ++mapped;
      out = result.record.value.text();
      if (auto route = result.record.headers.find(kRouteHeader);
          route != result.record.headers.end() && parsed.envelope) {
        out =
            nlohmann::json{{"value", result.record.value.json()}, {"route", route->second}}.dump();
      }
    }
    out += '\n';
    std::fwrite(out.data(), 1, out.size(), stdout);
  }
  std::free(buffer);
  if (in != stdin) std::fclose(in);
  std::fflush(stdout);
  std::fprintf(stderr, "weft map: %llu mapped, %llu filtered, %llu failed\n",
               static_cast<unsigned long long>(mapped), static_cast<unsigned long long>(filtered),
               static_cast<unsigned long long>(failed));
  return failed == 0 ? kExitOk : kExitFailure;
}

}  // namespace weft::cli
