// `weft dlq`: lists, shows, replays and purges dead letters. It asks the running daemon's admin
// API; when nothing listens there it runs the same API request (admin/dlq_routes.h) on the state
// file itself, so both ways select, answer and print alike.
#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "admin/dlq_routes.h"
#include "admin/time_text.h"
#include "cli/admin_target.h"
#include "cli/commands.h"
#include "cli/dlq_table.h"
#include "cli/help/help.h"
#include "state/state_store.h"

namespace weft::cli {
namespace {

using nlohmann::json;

constexpr std::size_t kDefaultListLimit = 100;

struct DlqArgs {
  std::string command;
  AdminTargetArgs target;
  std::optional<std::string> pipeline;
  std::optional<std::int64_t> id;
  bool all = false;
  bool dry_run = false;
  bool json = false;
  std::optional<Clock::time_point> since;
  std::optional<Clock::time_point> before;
  std::size_t limit = kDefaultListLimit;
};

int usage_error(const std::string& command, const std::string& message) {
  return cli::usage_error("dlq", command, message);
}

std::optional<std::int64_t> parse_positive(std::string_view text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value > 0 ? std::optional(value) : std::nullopt;
}

// Fills `out` from `args` (after "dlq"). Returns an exit code when the command must end now.
std::optional<int> parse_args(const std::vector<std::string>& args, DlqArgs& out) {
  for (const auto& arg : args) {
    if (arg == "--help" || arg == "-h") return print_help("dlq");
  }
  if (args.empty()) return missing_command("dlq");
  out.command = args[0];
  const std::string& command = out.command;
  if (command != "list" && command != "show" && command != "replay" && command != "purge") {
    return usage_error("",
                       "unknown command '" + command + "' (expected list, show, replay, purge)");
  }
  auto allowed = [&](std::string_view option) {
    if (option == "--config" || option == "--token-file" || option == "--json") return true;
    if (command == "list")
      return option == "--pipeline" || option == "--since" || option == "--limit";
    if (command == "replay" || command == "purge") {
      if (option == "--id" || option == "--pipeline" || option == "--all") return true;
      return option == (command == "replay" ? "--dry-run" : "--before");
    }
    return false;
  };
  const Clock::time_point now = Clock::now();
  bool have_show_id = false;
  for (std::size_t i = 1; i < args.size(); ++i) {
    std::string option = args[i];
    std::optional<std::string> inline_value;
    if (const auto eq = option.find('='); option.starts_with("--") && eq != std::string::npos) {
      inline_value = option.substr(eq + 1);
      option.erase(eq);
    }
    if (!option.starts_with("-")) {
      if (command != "show" || have_show_id)
        return usage_error(command, "unexpected argument '" + option + "'");
      out.id = parse_positive(option);
      if (!out.id)
        return usage_error(command, "ID must be a positive integer, got '" + option + "'");
      have_show_id = true;
      continue;
    }
    if (!allowed(option)) return usage_error(command, "unknown option '" + option + "'");
    const bool is_flag = option == "--json" || option == "--all" || option == "--dry-run";
    if (is_flag) {
      if (inline_value) return usage_error(command, option + " takes no value");
      if (option == "--json") out.json = true;
      if (option == "--all") out.all = true;
      if (option == "--dry-run") out.dry_run = true;
      continue;
    }
    if (!inline_value) {
      if (i + 1 >= args.size()) return usage_error(command, option + " needs a value");
      inline_value = args[++i];
    }
    const std::string& value = *inline_value;
    if (option == "--config") {
      out.target.config_path = value;
    } else if (option == "--token-file") {
      out.target.token_file = value;
    } else if (option == "--pipeline") {
      if (value.empty()) return usage_error(command, "--pipeline needs a pipeline name");
      out.pipeline = value;
    } else if (option == "--id") {
      out.id = parse_positive(value);
      if (!out.id)
        return usage_error(command, "--id must be a positive integer, got '" + value + "'");
    } else if (option == "--limit") {
      const auto limit = parse_positive(value);
      if (!limit)
        return usage_error(command, "--limit must be a positive integer, got '" + value + "'");
      out.limit = static_cast<std::size_t>(*limit);
    } else {  // --since, --before
      const auto time = admin::parse_time_or_ago(value, now);
      if (!time) {
        return usage_error(command, option + " must be " + std::string(admin::kTimeSyntaxHint) +
                                        ", got '" + value + "'");
      }
      (option == "--since" ? out.since : out.before) = time;
    }
  }
  if (command == "show" && !have_show_id)
    return usage_error(command, "say which entry: weft dlq show ID");
  if (command == "replay" || command == "purge") {
    if (out.all && (out.id || out.pipeline)) {
      return usage_error(command, "--all cannot be combined with --id or --pipeline");
    }
    if (!out.all && !out.id && !out.pipeline) {
      return usage_error(command, "say which dead letters to " + command +
                                      ": --id ID, --pipeline NAME, or --all for every pipeline");
    }
  }
  return std::nullopt;
}

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (std::isalnum(byte) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

// The dead-letter API, reached through the daemon or, when none listens, on the state file.
class DlqApi {
 public:
  struct Reply {
    int status = 0;
    json body;
  };

  // `target.client` unset: the daemon cannot be found, so the state file is used.
  explicit DlqApi(const AdminTarget& target)
      : target_(target), config_(target.config), offline_reason_(target.no_client_reason) {}

  bool offline() const { return store_ != nullptr; }

  // The reply, or nullopt after printing to stderr what failed (and setting `exit_code`).
  std::optional<Reply> call(std::string_view method, const std::string& target,
                            const std::string& body, int& exit_code) {
    const auto& client = target_.client;
    if (!store_ && client && offline_reason_.empty()) {
      AdminReply reply = client->request(method, target, body);
      if (reply.outcome == AdminReply::Outcome::kResponse) {
        return decode(reply.status, reply.body, client->url(target), exit_code);
      }
      if (reply.outcome == AdminReply::Outcome::kFailed) {
        fail(client->url(target) + ": " + reply.error, exit_code);
        return std::nullopt;
      }
      offline_reason_ = "no daemon is listening at " + client->url("");
    }
    if (!store_ && !open_store(exit_code)) return std::nullopt;
    const admin::DlqRoutes routes(*store_);
    const auto response = routes.handle({method, target, "", body});
    return decode(response.status, response.body, "state file " + config_.state_path, exit_code);
  }

 private:
  static void fail(const std::string& message, int& exit_code, int code = kExitFailure) {
    std::fprintf(stderr, "weft dlq: %s\n", message.c_str());
    exit_code = code;
  }

  bool open_store(int& exit_code) {
    if (!std::filesystem::exists(config_.state_path)) {
      fail(offline_reason_ + ", and the state file " + config_.state_path + " does not exist",
           exit_code);
      return false;
    }
    std::fprintf(stderr, "weft dlq: %s; using the state file %s directly\n",
                 offline_reason_.c_str(), config_.state_path.c_str());
    auto store = open_sqlite_state_store(config_.state_path);
    if (!store.ok()) {
      fail(store.error().message(), exit_code);
      return false;
    }
    store_ = std::move(*store);
    return true;
  }

  std::optional<Reply> decode(int status, const std::string& text, const std::string& where,
                              int& exit_code) const {
    json body = json::parse(text, nullptr, false);
    if (status == 200 && !body.is_discarded()) return Reply{status, std::move(body)};
    std::string message = body.is_object() && body.contains("error") && body["error"].is_string()
                              ? body["error"].get<std::string>()
                              : "unexpected answer (HTTP " + std::to_string(status) + ")";
    if (status == 401) message += unauthorized_hint(target_);
    fail(where + ": " + message, exit_code, status == 400 ? kExitConfig : kExitFailure);
    return std::nullopt;
  }

  const AdminTarget& target_;
  const DaemonConfig& config_;
  std::string offline_reason_;  // why the daemon is not used; empty while it may be
  std::unique_ptr<StateStore> store_;
};

// ---- human output ----

std::string count_text(std::size_t n) {
  return n == 1 ? "1 dead letter" : std::to_string(n) + " dead letters";
}

// "dead letter 42", "in pipeline orders", "dead letter 42 in pipeline orders", "in all pipelines".
std::string selection_text(const DlqArgs& args) {
  std::string text;
  if (args.id) text = "dead letter " + std::to_string(*args.id);
  if (args.pipeline)
    text += (text.empty() ? "" : " ") + std::string("in pipeline ") + *args.pipeline;
  if (args.all) text = "in all pipelines";
  return text;
}

// "3 dead letters in pipeline orders", "dead letter 42".
std::string what(const DlqArgs& args, std::size_t count) {
  if (args.id) return selection_text(args);
  return count_text(count) + " " + selection_text(args);
}

// When a replay or purge matched nothing (an --id that does not exist is an error before this).
std::string nothing_matched(const DlqArgs& args) {
  if (args.id && args.pipeline) {
    return "dead letter " + std::to_string(*args.id) + " is not in pipeline " + *args.pipeline;
  }
  return "no dead letters " + selection_text(args);
}

json selection_body(const DlqArgs& args) {
  json body = json::object();
  if (args.id) body["id"] = *args.id;
  if (args.pipeline) body["pipeline"] = *args.pipeline;
  if (args.all) body["all"] = true;
  return body;
}

// ---- commands ----

int list(const DlqArgs& args, DlqApi& api) {
  std::vector<json> entries;
  json next_after_id = nullptr;
  std::int64_t after_id = 0;
  while (entries.size() < args.limit) {
    const std::size_t page = std::min(args.limit - entries.size(), admin::kDlqMaxPageSize);
    std::string target = "/api/dlq?limit=" + std::to_string(page);
    if (args.pipeline) target += "&pipeline=" + url_encode(*args.pipeline);
    if (args.since) target += "&since=" + url_encode(admin::format_rfc3339(*args.since));
    if (after_id > 0) target += "&after_id=" + std::to_string(after_id);
    int exit_code = kExitOk;
    auto reply = api.call("GET", target, "", exit_code);
    if (!reply) return exit_code;
    for (auto& entry : reply->body["entries"]) entries.push_back(std::move(entry));
    next_after_id = reply->body["next_after_id"];
    if (!next_after_id.is_number_integer()) break;
    after_id = next_after_id.get<std::int64_t>();
  }
  if (args.json) {
    std::printf("%s\n", json{{"entries", entries}, {"next_after_id", next_after_id}}
                            .dump(-1, ' ', false, json::error_handler_t::replace)
                            .c_str());
    return kExitOk;
  }
  if (entries.empty()) {
    std::string text = "no dead letters";
    if (args.pipeline) text += " in pipeline " + *args.pipeline;
    if (args.since) text += " since " + admin::format_rfc3339(*args.since);
    std::printf("%s\n", text.c_str());
    return kExitOk;
  }
  print_dead_letter_table(entries);
  if (next_after_id.is_number_integer()) {
    std::printf("%s shown; more match (raise --limit to see them)\n",
                count_text(entries.size()).c_str());
  } else {
    std::printf("%s\n", count_text(entries.size()).c_str());
  }
  return kExitOk;
}

int show(const DlqArgs& args, DlqApi& api) {
  int exit_code = kExitOk;
  auto reply = api.call("GET", "/api/dlq/" + std::to_string(*args.id), "", exit_code);
  if (!reply) return exit_code;
  std::printf(
      "%s\n",
      reply->body.dump(args.json ? -1 : 2, ' ', false, json::error_handler_t::replace).c_str());
  return kExitOk;
}

int replay(const DlqArgs& args, DlqApi& api) {
  json body = selection_body(args);
  if (args.dry_run) body["dry_run"] = true;
  int exit_code = kExitOk;
  auto reply = api.call("POST", "/api/dlq/replay", body.dump(), exit_code);
  if (!reply) return exit_code;
  if (args.json) {
    std::printf("%s\n", reply->body.dump().c_str());
    return kExitOk;
  }
  const auto matched = reply->body.value("matched", std::size_t{0});
  const auto marked = reply->body.value("marked", std::size_t{0});
  if ((args.dry_run ? matched : marked) == 0) {
    std::printf("%s\n", nothing_matched(args).c_str());
  } else if (args.dry_run) {
    std::printf("would replay %s (dry run)\n", what(args, matched).c_str());
  } else if (api.offline()) {
    std::printf(
        "marked %s for replay; weft is not running: the pipeline replays %s when the "
        "daemon next starts\n",
        what(args, marked).c_str(), marked == 1 ? "it" : "them");
  } else {
    std::printf(
        "marked %s for replay; a running pipeline re-delivers %s within seconds, one "
        "that is not running when it next starts\n",
        what(args, marked).c_str(), marked == 1 ? "it" : "them");
  }
  return kExitOk;
}

int purge(const DlqArgs& args, DlqApi& api) {
  json body = selection_body(args);
  if (args.before) body["before"] = admin::format_rfc3339(*args.before);
  int exit_code = kExitOk;
  auto reply = api.call("POST", "/api/dlq/purge", body.dump(), exit_code);
  if (!reply) return exit_code;
  if (args.json) {
    std::printf("%s\n", reply->body.dump().c_str());
    return kExitOk;
  }
  const auto purged = reply->body.value("purged", std::size_t{0});
  std::string text = purged == 0 ? nothing_matched(args) : "purged " + what(args, purged);
  if (args.before) text += " that last failed before " + admin::format_rfc3339(*args.before);
  std::printf("%s\n", text.c_str());
  return kExitOk;
}

}  // namespace

int dlq_command(const std::vector<std::string>& args) {
  DlqArgs parsed;
  if (auto exit_code = parse_args(args, parsed)) return *exit_code;

  // Library logging (the state store's) goes to stderr and only when it matters, so that stdout
  // holds just the answer (`--json` output stays parseable): resolve_admin_target sees to it.
  const auto target = resolve_admin_target(parsed.target, "dlq", /*need_client=*/false);
  if (!target) return kExitConfig;
  DlqApi api(*target);
  if (parsed.command == "list") return list(parsed, api);
  if (parsed.command == "show") return show(parsed, api);
  if (parsed.command == "replay") return replay(parsed, api);
  return purge(parsed, api);
}

}  // namespace weft::cli
