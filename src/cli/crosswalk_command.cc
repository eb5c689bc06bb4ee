// `weft crosswalk`: reads and writes crosswalk links (docs/mapping.md) in the state file. It
// works on the file directly, also while the daemon runs (SQLite in WAL mode lets both write;
// a create in the daemon and a put here are each one transaction).
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include "cli/commands.h"
#include "cli/crosswalk_csv.h"
#include "cli/crosswalk_import.h"
#include "cli/help/help.h"
#include "config/daemon_config.h"
#include "mapper/crosswalk.h"
#include "runtime/logging.h"
#include "state/state_store.h"

namespace weft::cli {
namespace {

constexpr std::size_t kBatchSize = 10000;

struct CrosswalkArgs {
  std::string command;
  std::string config_path = kDefaultConfigPath;
  bool config_given = false;
  std::optional<std::string> state_path;
  std::optional<std::string> entity;
  std::optional<std::string> system;
  std::optional<std::string> id;
  std::optional<std::string> canonical;
  std::optional<std::string> output;
  std::optional<std::string> file;  // import
};

int usage_error(const std::string& command, const std::string& message) {
  return cli::usage_error("crosswalk", command, message);
}

int failure(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "weft crosswalk %s: %s\n", command.c_str(), message.c_str());
  return kExitFailure;
}

// Fills `out` from `args` (after "crosswalk"). Returns an exit code when the command must end.
std::optional<int> parse_args(const std::vector<std::string>& args, CrosswalkArgs& out) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") return print_help("crosswalk");
  }
  if (args.empty()) return missing_command("crosswalk");
  const bool known =
      args[0] == "get" || args[0] == "put" || args[0] == "import" || args[0] == "export";
  if (!known) {
    return usage_error("", "unknown command '" + args[0] + "' (expected get, put, import, export)");
  }
  out.command = args[0];
  const std::string& command = out.command;
  const auto allowed = [&](std::string_view option) {
    if (option == "--config" || option == "--state") return true;
    if (option == "--entity" || option == "--system") return true;
    if (command == "get") return option == "--id" || option == "--canonical";
    if (command == "put") return option == "--id" || option == "--canonical";
    if (command == "export") return option == "--output";
    return false;
  };
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string option = args[i];
    std::optional<std::string> value;
    if (const auto eq = option.find('='); option.starts_with("--") && eq != std::string::npos) {
      value = option.substr(eq + 1);
      option.erase(eq);
    }
    if (!option.starts_with("-")) {
      if (command != "import" || out.file) {
        return usage_error(command, "unexpected argument '" + option + "'");
      }
      out.file = option;
      continue;
    }
    if (!allowed(option)) return usage_error(command, "unknown option '" + option + "'");
    if (!value) {
      if (i + 1 >= args.size()) return usage_error(command, option + " needs a value");
      value = args[++i];
    }
    if (value->empty()) return usage_error(command, option + " needs a non-empty value");
    if (option == "--config") {
      out.config_path = *value;
      out.config_given = true;
    } else if (option == "--state") {
      out.state_path = *value;
    } else if (option == "--entity") {
      out.entity = *value;
    } else if (option == "--system") {
      out.system = *value;
    } else if (option == "--id") {
      out.id = *value;
    } else if (option == "--canonical") {
      out.canonical = *value;
    } else {
      out.output = *value;
    }
  }
  if (out.config_given && out.state_path) {
    return usage_error(command, "give --config or --state, not both");
  }
  if (command == "get" || command == "put") {
    if (!out.entity) return usage_error(command, "--entity is required");
    if (!out.system) return usage_error(command, "--system is required");
  }
  if (command == "get" && out.id.has_value() == out.canonical.has_value()) {
    return usage_error(command,
                       "give --id (the canonical id of an external id) or --canonical (the "
                       "system's id of a canonical id)");
  }
  if (command == "put" && (!out.id || !out.canonical)) {
    return usage_error(command, "--id and --canonical are both required");
  }
  if (command == "import" && !out.file) {
    return usage_error(command, "say which file: weft crosswalk import FILE.csv");
  }
  return std::nullopt;
}

// Opens the state store the arguments point at. `create`: a missing file is created (put,
// import); otherwise it is an error (get, export), so that a mistyped path creates nothing.
// Returns the store, or nullopt after printing why (and setting `exit_code`).
std::unique_ptr<StateStore> open_store(const CrosswalkArgs& args, bool create, int& exit_code) {
  std::string path;
  if (args.state_path) {
    path = *args.state_path;
  } else {
    auto config = load_daemon_config(args.config_path, Environment::process());
    if (!config.ok()) {
      for (const auto& error : config.errors) std::fprintf(stderr, "%s\n", error.format().c_str());
      exit_code = kExitConfig;
      return nullptr;
    }
    path = config.value->state_path;
  }
  if (!create && !std::filesystem::exists(path)) {
    exit_code = failure(args.command, "the state file " + path + " does not exist");
    return nullptr;
  }
  auto store = open_sqlite_state_store(path);
  if (!store.ok()) {
    exit_code = failure(args.command, store.error().message());
    return nullptr;
  }
  return std::move(*store);
}

// "customer/stripe id 'cus_123'".
std::string external_text(const std::string& entity, const std::string& system,
                          const std::string& id) {
  return entity + "/" + system + " id '" + id + "'";
}

int get(const CrosswalkArgs& args) {
  int exit_code = kExitOk;
  auto store = open_store(args, /*create=*/false, exit_code);
  if (!store) return exit_code;
  const auto found = args.id
                         ? store->crosswalk_find(*args.entity, *args.system, *args.id)
                         : store->crosswalk_reverse(*args.entity, *args.canonical, *args.system);
  if (!found.ok()) return failure(args.command, found.error().message());
  if (!*found) {
    return failure(args.command, args.id ? "not found: no canonical id for " +
                                               external_text(*args.entity, *args.system, *args.id)
                                         : "not found: no " + *args.system + " id for " +
                                               *args.entity + " '" + *args.canonical + "'");
  }
  std::printf("%s\n", (*found)->c_str());
  return kExitOk;
}

int put(const CrosswalkArgs& args) {
  int exit_code = kExitOk;
  auto store = open_store(args, /*create=*/true, exit_code);
  if (!store) return exit_code;
  const Status put =
      store->crosswalk_put({{*args.entity, *args.system, *args.id, *args.canonical}});
  if (!put.ok()) return failure(args.command, put.error().message());
  std::printf("linked %s to %s\n", external_text(*args.entity, *args.system, *args.id).c_str(),
              args.canonical->c_str());
  return kExitOk;
}

// ---- import ----

std::optional<std::string> read_whole_file(const std::string& path, std::string& error) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec)) {
    error = "cannot read " + path + ": it is a directory";
    return std::nullopt;
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = "cannot read " + path + ": " + std::generic_category().message(errno);
    return std::nullopt;
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) {
    error = "cannot read " + path + ": read failed";
    return std::nullopt;
  }
  return std::move(text).str();
}

std::string links_text(std::size_t n) { return n == 1 ? "1 link" : std::to_string(n) + " links"; }

int import(const CrosswalkArgs& args) {
  const std::string& path = *args.file;
  std::string error;
  const auto text = read_whole_file(path, error);
  if (!text) return failure(args.command, error);
  auto records = parse_csv(*text, path);
  if (!records.ok()) {
    return failure(args.command, records.error().message() + "; nothing was imported");
  }
  auto plan = plan_import(*records, args.entity, args.system, path);
  if (!plan.ok()) return failure(args.command, plan.error().message() + "; nothing was imported");

  int exit_code = kExitOk;
  auto store = open_store(args, /*create=*/true, exit_code);
  if (!store) return exit_code;

  // Rows without a canonical id: an external id that is linked keeps its link, as `create`
  // would; the others get the stable id. (A daemon creating the same link between this check
  // and the write below would see it replaced by the stable id.)
  std::vector<CrosswalkLink>& links = plan->links;
  std::vector<bool> keep(links.size(), false);
  std::size_t kept = 0;
  for (const std::size_t i : plan->to_mint) {
    CrosswalkLink& link = links[i];
    auto found = store->crosswalk_find(link.entity, link.system, link.external_id);
    if (!found.ok()) {
      return failure(args.command,
                     path + ": " + found.error().message() + "; nothing was imported");
    }
    if (*found) {
      keep[i] = true;
      ++kept;
    } else {
      link.canonical_id = Crosswalk::stable_id(link.entity, link.system, link.external_id);
    }
  }

  std::size_t imported = 0;
  std::vector<CrosswalkLink> batch;
  batch.reserve(std::min(links.size(), kBatchSize));
  const auto flush = [&]() -> Status {
    if (batch.empty()) return Status::ok_status();
    if (Status put = store->crosswalk_put(batch); !put.ok()) return put;
    imported += batch.size();
    batch.clear();
    return Status::ok_status();
  };
  const auto write_failed = [&](const Error& error) {
    return failure(args.command, path + ": " + error.message() + "; " + links_text(imported) +
                                     " of " + std::to_string(links.size() - kept) +
                                     " were imported before it (importing the file again is "
                                     "safe)");
  };
  for (std::size_t i = 0; i < links.size(); ++i) {
    if (keep[i]) continue;
    batch.push_back(std::move(links[i]));
    if (batch.size() < kBatchSize) continue;
    if (Status written = flush(); !written.ok()) return write_failed(written.error());
  }
  if (Status written = flush(); !written.ok()) return write_failed(written.error());
  std::string summary = "imported " + links_text(imported) + " from " + path;
  if (kept > 0) {
    summary += "; " + std::to_string(kept) + (kept == 1 ? " row" : " rows") +
               " without a canonical_id kept the existing link";
  }
  std::printf("%s\n", summary.c_str());
  return kExitOk;
}

// ---- export ----

int export_links(const CrosswalkArgs& args) {
  int exit_code = kExitOk;
  auto store = open_store(args, /*create=*/false, exit_code);
  if (!store) return exit_code;

  // To a temporary file beside the output, renamed over it at the end: a failed export leaves
  // the previous file as it was.
  std::string temporary;
  FILE* out = stdout;
  if (args.output) {
    temporary = *args.output + ".tmp";
    out = std::fopen(temporary.c_str(), "wb");
    if (out == nullptr) {
      return failure(args.command,
                     "cannot write " + temporary + ": " + std::generic_category().message(errno));
    }
  }
  const auto abandon = [&](const std::string& message) {
    if (args.output) {
      std::fclose(out);
      std::remove(temporary.c_str());
    }
    return failure(args.command, message);
  };
  const auto write = [&](const std::string& text) {
    return std::fwrite(text.data(), 1, text.size(), out) == text.size();
  };

  bool written = write(csv_line({"entity", "system", "external_id", "canonical_id"}));
  CrosswalkFilter filter{
      .entity = args.entity.value_or(""), .system = args.system.value_or(""), .limit = kBatchSize};
  std::size_t count = 0;
  while (written) {
    auto page = store->crosswalk_list(filter);
    if (!page.ok()) return abandon(page.error().message());
    for (const CrosswalkLink& link : *page) {
      written = written &&
                write(csv_line({link.entity, link.system, link.external_id, link.canonical_id}));
    }
    count += page->size();
    if (page->size() < kBatchSize) break;
    filter.after = std::move(page->back());
  }
  if (!written || std::fflush(out) != 0) {
    return abandon("cannot write " + (args.output ? temporary : std::string("standard output")) +
                   ": " + std::generic_category().message(errno));
  }
  if (!args.output) return kExitOk;
  if (std::fclose(out) != 0) {
    std::remove(temporary.c_str());
    return failure(args.command,
                   "cannot write " + temporary + ": " + std::generic_category().message(errno));
  }
  std::error_code ec;
  std::filesystem::rename(temporary, *args.output, ec);
  if (ec) {
    std::remove(temporary.c_str());
    return failure(args.command, "cannot write " + *args.output + ": " + ec.message());
  }
  std::printf("exported %s to %s\n", links_text(count).c_str(), args.output->c_str());
  return kExitOk;
}

}  // namespace

int crosswalk_command(const std::vector<std::string>& args) {
  CrosswalkArgs parsed;
  if (auto exit_code = parse_args(args, parsed)) return *exit_code;
  // The state store's logging goes to stderr and only when it matters: stdout holds the answer
  // (an exported CSV must stay clean).
  (void)configure_logging("warn", "text");
  if (parsed.command == "get") return get(parsed);
  if (parsed.command == "put") return put(parsed);
  if (parsed.command == "import") return import(parsed);
  return export_links(parsed);
}

}  // namespace weft::cli
