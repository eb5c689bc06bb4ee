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
#include "config/daemon_config.h"
#include "mapper/crosswalk.h"
#include "runtime/logging.h"
#include "state/state_store.h"

namespace weft::cli {
namespace {

constexpr const char* kUsage = R"(Usage: weft crosswalk <command> [options]

Reads and writes crosswalk links: which canonical id an entity's id in each system stands for.
Works on the state file (state.path in the daemon config, or --state), also while the daemon
runs. A running daemon may keep using a link it has cached until it evicts it or restarts.

Commands:
  get --entity E --system S --id ID
        Prints the canonical id that ID in system S is linked to.
  get --entity E --system S --canonical C
        Prints system S's id for canonical id C (reverse lookup).
  put --entity E --system S --id ID --canonical C
        Links ID in S to C, replacing what ID was linked to and S's previous id for C.
  import FILE [--entity E] [--system S]
        Links every row of a CSV file (run 'weft crosswalk import --help').
  export [--entity E] [--system S] [--output FILE]
        Writes links as CSV, to standard output or FILE.

Options:
  --config FILE   the daemon config, for state.path (default config/weft.yaml)
  --state PATH    the state file itself, instead of --config
  --help          print this help (after a command: that command's help)

Exit status: 0 done, 1 not found or the operation failed, 2 usage or configuration error.
)";

constexpr const char* kGetUsage =
    R"(Usage: weft crosswalk get --entity E --system S (--id ID | --canonical C)
                          [--config FILE | --state PATH]

With --id, prints the canonical id that ID in system S is linked to. With --canonical, prints
system S's id for canonical id C. Exits 1 when there is no such link.
)";

constexpr const char* kPutUsage =
    R"(Usage: weft crosswalk put --entity E --system S --id ID --canonical C
                          [--config FILE | --state PATH]

Links ID in system S to canonical id C in one durable transaction. What ID was linked to before,
and the id S had for C before, are replaced. The state file is created when it does not exist.
)";

constexpr const char* kImportUsage = R"(Usage: weft crosswalk import FILE [--entity E] [--system S]
                          [--config FILE | --state PATH]

Links every row of FILE, a CSV file (RFC 4180: commas, fields with commas, quotes or line breaks
in double quotes) with a header row naming its columns:

  entity,system,external_id,canonical_id
  customer,stripe,cus_123,6f1c0a52-3c43-4bd5-9c39-0d2ea08e11a7
  customer,stripe,cus_456,

The entity and system columns may be left out when --entity and --system give them (when both
are there, every row must agree with the option). An empty canonical_id (or no such column)
mints the stable id weft's `create` would (UUID v5 of entity/system/external_id), unless the
external id is already linked: then its link is kept. Rows with a canonical id replace what
their external id, and the system's id for that canonical id, were linked to.

Every row is checked before anything is written; a bad row is reported with its line and
nothing is imported. Links are written in transactions of 10000.
)";

constexpr const char* kExportUsage =
    R"(Usage: weft crosswalk export [--entity E] [--system S] [--output FILE]
                          [--config FILE | --state PATH]

Writes the links (of one entity and/or system when given) as CSV, ordered by entity, system and
external id, with the header row entity,system,external_id,canonical_id: the format import
reads. --output writes FILE (replaced whole once everything is written) instead of standard
output.
)";

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

const char* usage_of(const std::string& command) {
  if (command == "get") return kGetUsage;
  if (command == "put") return kPutUsage;
  if (command == "import") return kImportUsage;
  if (command == "export") return kExportUsage;
  return kUsage;
}

int usage_error(const std::string& command, const std::string& message) {
  const std::string verb = command.empty() ? "weft crosswalk" : "weft crosswalk " + command;
  std::fprintf(stderr, "%s: %s\nRun '%s --help' for usage.\n", verb.c_str(), message.c_str(),
               verb.c_str());
  return kExitConfig;
}

int failure(const std::string& command, const std::string& message) {
  std::fprintf(stderr, "weft crosswalk %s: %s\n", command.c_str(), message.c_str());
  return kExitFailure;
}

// Fills `out` from `args` (after "crosswalk"). Returns an exit code when the command must end.
std::optional<int> parse_args(const std::vector<std::string>& args, CrosswalkArgs& out) {
  if (args.empty()) {
    std::fputs(kUsage, stderr);
    return kExitConfig;
  }
  const bool known =
      args[0] == "get" || args[0] == "put" || args[0] == "import" || args[0] == "export";
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") {
      std::fputs(known ? usage_of(args[0]) : kUsage, stdout);
      return kExitOk;
    }
  }
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
