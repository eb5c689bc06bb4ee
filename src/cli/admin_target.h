#pragma once

// What every verb that talks to the running daemon's admin API shares (`weft status`, `top`,
// `pause`, `resume`, `tap`, `trigger`, `dlq`): the --config and --token-file options, the daemon
// config, the bearer token and a client for admin.listen.
//
// The token comes from, in order: --token-file FILE (its content without trailing whitespace),
// the WEFT_ADMIN_TOKEN environment variable when set and not empty, admin.token in the daemon
// config. There is no option taking the token itself: it would show in `ps`. With the token from
// the file or the environment, the daemon config loads even when its `${VAR}` and `${file:...}`
// references cannot be resolved by the operator (they are taken as empty).

#include <chrono>
#include <cstddef>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "cli/admin_client.h"
#include "cli/commands.h"
#include "config/daemon_config.h"

namespace weft::cli {

// The options every admin-API verb accepts (their help: admin_config_option() and
// token_file_option() in cli/help/help.h).
struct AdminTargetArgs {
  std::string config_path = kDefaultConfigPath;
  std::optional<std::string> token_file;
};

enum class OptionUse {
  kNotMine,       // args[i] is not --config or --token-file
  kTaken,         // taken, with its value (i now indexes the value when it was separate)
  kMissingValue,  // --config or --token-file ends the command line
};

// Takes `--config FILE`, `--config=FILE`, `--token-file FILE` or `--token-file=FILE` at args[i].
OptionUse take_admin_option(const std::vector<std::string>& args, std::size_t& i,
                            AdminTargetArgs& out);

struct AdminTarget {
  DaemonConfig config;
  // Where the token came from, for the hint on a 401: "admin.token in config/weft.yaml",
  // "$WEFT_ADMIN_TOKEN" or "--token-file FILE".
  std::string token_origin;
  // A client for admin.listen carrying the token; nullopt when admin.listen has port 0.
  std::optional<AdminClient> client;
  std::string no_client_reason;  // with no client: why, e.g. "admin.listen ... has port 0 ..."
};

// Loads the daemon config and resolves the token and address. On failure prints to stderr what
// is wrong (the config's errors; "weft VERB: cannot read --token-file FILE: ..."; an unusable
// admin.listen, or one with port 0 when `need_client`) and returns nullopt: the verb then exits
// kExitConfig. Never prints the token. Not thread-safe (reads the environment). `timeout` bounds
// each request of the client (see AdminClient).
std::optional<AdminTarget> resolve_admin_target(
    const AdminTargetArgs& args, std::string_view verb, bool need_client = true,
    std::chrono::milliseconds timeout = std::chrono::seconds(30));

// " (check admin.token in config/weft.yaml)" and the like, for a 401's message.
std::string unauthorized_hint(const AdminTarget& target);

// Sends a request that needs the daemon (`target.client` must be set). Returns the reply when the
// daemon answered, whatever its status; otherwise prints "weft VERB: URL: no daemon is listening
// (is weft running?)" or what failed to stderr and returns nullopt.
std::optional<AdminReply> ask_daemon(const AdminTarget& target, std::string_view verb,
                                     std::string_view method, const std::string& path);

// What an error reply says: its JSON {"error": ...}, else "unexpected answer (HTTP N)"; on 401
// followed by unauthorized_hint(). For refusals about a pipeline (404, 409).
std::string reply_error(const AdminTarget& target, const AdminReply& reply);
// "HTTP N: " and what the reply says (else "unexpected answer"), on 401 followed by
// unauthorized_hint(). For messages that name the URL.
std::string http_error(const AdminTarget& target, const AdminReply& reply);

// GET /api/pipelines, for `weft status` and `weft top`: the pipeline objects, or `error`, one
// line naming the URL, e.g. "http://127.0.0.1:8686/api/pipelines: no daemon is listening (is
// weft running?)". `target.client` must be set.
struct PipelineList {
  std::vector<nlohmann::json> pipelines;
  std::optional<std::string> error;
};
PipelineList fetch_pipelines(const AdminTarget& target);

}  // namespace weft::cli
