#include "cli/admin_target.h"

#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <nlohmann/json.hpp>

#include "net/listen_address.h"
#include "runtime/logging.h"

namespace weft::cli {
namespace {

// A secret file is small; anything larger is not a token file.
constexpr std::size_t kMaxTokenFileSize = 64 * 1024;

// The token in `path` without trailing whitespace, or what went wrong.
bool read_token_file(const std::string& path, std::string& token, std::string& problem) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    problem = std::strerror(errno);
    return false;
  }
  char buffer[4096];
  std::size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, file)) > 0 &&
         token.size() <= kMaxTokenFileSize) {
    token.append(buffer, n);
  }
  const bool failed = std::ferror(file) != 0;
  const int error = errno;
  std::fclose(file);
  if (failed) {
    problem = std::strerror(error);
    return false;
  }
  if (token.size() > kMaxTokenFileSize) {
    problem = "larger than 64 KiB, not a token";
    return false;
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.pop_back();
  }
  if (token.empty()) {
    problem = "it is empty";
    return false;
  }
  return true;
}

}  // namespace

OptionUse take_admin_option(const std::vector<std::string>& args, std::size_t& i,
                            AdminTargetArgs& out) {
  std::string_view arg = args[i];
  std::optional<std::string> value;
  for (std::string_view name : {"--config", "--token-file"}) {
    if (arg == name) {
      if (i + 1 >= args.size()) return OptionUse::kMissingValue;
      value = args[++i];
    } else if (arg.starts_with(name) && arg.size() > name.size() && arg[name.size()] == '=') {
      value = std::string(arg.substr(name.size() + 1));
    } else {
      continue;
    }
    if (name == "--config") {
      out.config_path = *value;
    } else {
      out.token_file = *value;
    }
    return OptionUse::kTaken;
  }
  return OptionUse::kNotMine;
}

std::optional<AdminTarget> resolve_admin_target(const AdminTargetArgs& args, std::string_view verb,
                                                bool need_client,
                                                std::chrono::milliseconds timeout) {
  // Library logging goes to stderr and only when it matters, so that stdout holds the answer.
  (void)configure_logging("warn", "text");
  std::string token;
  std::string token_origin;
  if (args.token_file) {
    std::string problem;
    if (!read_token_file(*args.token_file, token, problem)) {
      std::fprintf(stderr, "weft %.*s: cannot read --token-file %s: %s\n",
                   static_cast<int>(verb.size()), verb.data(), args.token_file->c_str(),
                   problem.c_str());
      return std::nullopt;
    }
    token_origin = "--token-file " + *args.token_file;
  } else if (const char* env = std::getenv("WEFT_ADMIN_TOKEN"); env != nullptr && *env != '\0') {
    token = env;
    token_origin = "$WEFT_ADMIN_TOKEN";
  }

  Environment environment = Environment::process();
  if (!token_origin.empty()) {
    // admin.token is not needed, and it may name what only the daemon can read (a variable set
    // in its service unit, a secret file it owns): take those as empty instead of failing.
    environment.variable = [lookup = environment.variable](const std::string& name) {
      return std::optional<std::string>(lookup(name).value_or(""));
    };
    environment.file = [read = environment.file](const std::string& path) {
      return std::optional<std::string>(read(path).value_or(""));
    };
  }
  auto loaded = load_daemon_config(args.config_path, environment);
  if (!loaded.ok()) {
    for (const auto& error : loaded.errors) std::fprintf(stderr, "%s\n", error.format().c_str());
    return std::nullopt;
  }
  AdminTarget target{std::move(*loaded.value), std::move(token_origin), std::nullopt, ""};
  if (target.token_origin.empty()) {
    token = target.config.admin_token;
    target.token_origin = "admin.token in " + args.config_path;
  }

  const std::string& listen = target.config.admin_listen;
  auto address = net::parse_listen_address(listen);
  if (!address.ok()) {
    std::fprintf(stderr, "%s: admin.listen %s\n", args.config_path.c_str(),
                 address.error().message().c_str());
    return std::nullopt;
  }
  if (address->port == 0) {
    target.no_client_reason =
        "admin.listen " + listen + " has port 0, so the daemon cannot be found";
    if (need_client) {
      std::fprintf(stderr, "%s: %s\n", args.config_path.c_str(), target.no_client_reason.c_str());
      return std::nullopt;
    }
    return target;
  }
  target.client.emplace(address->host, address->port, std::move(token), timeout);
  return target;
}

std::string unauthorized_hint(const AdminTarget& target) {
  return " (check " + target.token_origin + ")";
}

std::optional<AdminReply> ask_daemon(const AdminTarget& target, std::string_view verb,
                                     std::string_view method, const std::string& path) {
  AdminReply reply = target.client->request(method, path);
  if (reply.outcome == AdminReply::Outcome::kResponse) return reply;
  std::fprintf(stderr, "weft %.*s: %s: %s\n", static_cast<int>(verb.size()), verb.data(),
               target.client->url(path).c_str(),
               reply.outcome == AdminReply::Outcome::kNotListening
                   ? "no daemon is listening (is weft running?)"
                   : reply.error.c_str());
  return std::nullopt;
}

namespace {

// The "error" of an error reply's JSON body, or nullopt.
std::optional<std::string> error_of(const AdminReply& reply) {
  const auto body = nlohmann::json::parse(reply.body, nullptr, false);
  if (body.is_object() && body.contains("error") && body["error"].is_string()) {
    return body["error"].get<std::string>();
  }
  return std::nullopt;
}

}  // namespace

std::string reply_error(const AdminTarget& target, const AdminReply& reply) {
  std::string message =
      error_of(reply).value_or("unexpected answer (HTTP " + std::to_string(reply.status) + ")");
  if (reply.status == 401) message += unauthorized_hint(target);
  return message;
}

std::string http_error(const AdminTarget& target, const AdminReply& reply) {
  std::string message =
      "HTTP " + std::to_string(reply.status) + ": " + error_of(reply).value_or("unexpected answer");
  if (reply.status == 401) message += unauthorized_hint(target);
  return message;
}

PipelineList fetch_pipelines(const AdminTarget& target) {
  static constexpr const char* kPath = "/api/pipelines";
  PipelineList out;
  const AdminReply reply = target.client->request("GET", kPath);
  const std::string url = target.client->url(kPath);
  if (reply.outcome == AdminReply::Outcome::kNotListening) {
    out.error = url + ": no daemon is listening (is weft running?)";
  } else if (reply.outcome == AdminReply::Outcome::kFailed) {
    out.error = url + ": " + reply.error;
  } else if (reply.status != 200) {
    out.error = url + ": " + http_error(target, reply);
  } else {
    auto body = nlohmann::json::parse(reply.body, nullptr, false);
    if (!body.is_array()) {
      out.error = url + ": unexpected answer (not a JSON array)";
    } else {
      out.pipelines.assign(std::make_move_iterator(body.begin()),
                           std::make_move_iterator(body.end()));
    }
  }
  return out;
}

}  // namespace weft::cli
