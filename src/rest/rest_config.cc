#include "rest/rest_config.h"

#include <fstream>
#include <sstream>

#include "common/text.h"
#include "net/url.h"

namespace weft::rest {
namespace {

Error field_error(const std::string& field, const std::string& message) {
  return Error::invalid_config("field '" + field + "': " + message);
}

Result<JsonPath> path_at(const Settings& s, const std::string& name, const std::string& field) {
  auto path = JsonPath::parse(s.string(name));
  if (!path.ok()) return field_error(field, path.error().message());
  return path;
}

// An optional JSON path field: unset or empty stays nullopt.
Result<std::optional<JsonPath>> optional_path(const Settings& s, const std::string& name,
                                              const std::string& field) {
  if (!s.has(name) || s.string(name).empty()) return std::optional<JsonPath>{};
  auto path = path_at(s, name, field);
  if (!path.ok()) return path.error();
  return std::optional<JsonPath>{std::move(*path)};
}

std::string optional_string(const Settings& s, const std::string& name) {
  return s.has(name) ? s.string(name) : std::string{};
}

std::map<std::string, std::string> optional_map(const Settings& s, const std::string& name) {
  return s.has(name) ? s.string_map(name) : std::map<std::string, std::string>{};
}

std::vector<std::pair<std::string, std::string>> pairs(
    const std::map<std::string, std::string>& m) {
  return {m.begin(), m.end()};
}

SecretSource secret(const Settings& s, const std::string& value, const std::string& file) {
  return {optional_string(s, value), optional_string(s, file)};
}

PaginatorType paginator_type(const std::string& name) {
  if (name == "cursor") return PaginatorType::kCursor;
  if (name == "stripe") return PaginatorType::kStripe;
  if (name == "offset") return PaginatorType::kOffset;
  if (name == "page") return PaginatorType::kPage;
  if (name == "link_header") return PaginatorType::kLinkHeader;
  if (name == "next_url") return PaginatorType::kNextUrl;
  return PaginatorType::kNone;
}

CursorType cursor_type(const std::string& name) {
  if (name == "timestamp") return CursorType::kTimestamp;
  if (name == "epoch_seconds") return CursorType::kEpochSeconds;
  if (name == "epoch_millis") return CursorType::kEpochMillis;
  if (name == "number") return CursorType::kNumber;
  if (name == "string") return CursorType::kString;
  return CursorType::kAuto;
}

Result<PaginatorConfig> paginator_from(const Settings& s) {
  PaginatorConfig p;
  p.type = paginator_type(s.string("type"));
  p.page_size = s.integer("page_size");
  if (s.has("limit_param")) {
    p.limit_param = s.string("limit_param");
  } else if (p.type == PaginatorType::kPage) {
    p.limit_param = "page_size";
  } else if (p.type != PaginatorType::kNone && p.type != PaginatorType::kLinkHeader &&
             p.type != PaginatorType::kNextUrl) {
    p.limit_param = "limit";
  }
  p.cursor_param = s.string("cursor_param");
  p.cursor_header = optional_string(s, "cursor_header");
  p.after_param = s.string("after_param");
  p.offset_param = s.string("offset_param");
  p.page_param = s.string("page_param");
  p.start_page = s.integer("start_page");
  p.total_header = optional_string(s, "total_header");
  p.concurrency = static_cast<int>(s.integer("concurrency"));
  using PathField = std::optional<JsonPath> PaginatorConfig::*;
  const std::pair<const char*, PathField> paths[] = {
      {"cursor_path", &PaginatorConfig::cursor_path},
      {"total_path", &PaginatorConfig::total_path},
      {"has_more_path", &PaginatorConfig::has_more_path},
      {"id_path", &PaginatorConfig::id_path},
      {"next_url_path", &PaginatorConfig::next_url_path}};
  for (const auto& [name, member] : paths) {
    auto path = optional_path(s, name, std::string("paginator.") + name);
    if (!path.ok()) return path.error();
    p.*member = std::move(*path);
  }

  if (p.type == PaginatorType::kCursor && !p.cursor_path && p.cursor_header.empty()) {
    return field_error("paginator.cursor_path",
                       "a cursor paginator needs cursor_path or cursor_header to find the next "
                       "cursor");
  }
  if (p.type == PaginatorType::kStripe && (!p.has_more_path || !p.id_path)) {
    return field_error("paginator.has_more_path",
                       "a stripe paginator needs has_more_path and id_path");
  }
  if (p.type == PaginatorType::kNextUrl && !p.next_url_path) {
    return field_error("paginator.next_url_path", "a next_url paginator needs next_url_path");
  }
  bool total_known = p.total_path || !p.total_header.empty();
  if (p.concurrency > 1 &&
      !((p.type == PaginatorType::kOffset || p.type == PaginatorType::kPage) && total_known)) {
    return field_error("paginator.concurrency",
                       "pages can only be fetched in parallel by an offset or page paginator "
                       "that knows the total (total_path or total_header)");
  }
  return p;
}

Result<IncrementalConfig> incremental_from(const Settings& s) {
  auto field = path_at(s, "cursor_field", "incremental.cursor_field");
  if (!field.ok()) return field.error();
  IncrementalConfig inc;
  inc.cursor_field = std::move(*field);
  inc.param = optional_string(s, "param");
  inc.lookback = s.duration("lookback");
  inc.cursor_type = cursor_type(s.string("cursor_type"));
  if (s.has("initial_value")) {
    auto initial = CursorValue::from_text(s.string("initial_value"), inc.cursor_type);
    if (!initial.ok()) return field_error("incremental.initial_value", initial.error().message());
    inc.initial_value = std::move(*initial);
  }
  if (inc.lookback.count() > 0 &&
      (inc.cursor_type == CursorType::kNumber || inc.cursor_type == CursorType::kString)) {
    return field_error("incremental.lookback",
                       "a lookback needs a cursor that is a time (cursor_type timestamp, "
                       "epoch_seconds, epoch_millis or auto)");
  }
  return inc;
}

Result<OAuthConfig> oauth_from(const Settings& s) {
  OAuthConfig o;
  o.token_url = optional_string(s, "token_url");
  o.refresh_grant = s.string("grant_type") == "refresh_token";
  o.client_id = optional_string(s, "client_id");
  o.client_secret = secret(s, "client_secret", "client_secret_file");
  o.refresh_token = secret(s, "refresh_token", "refresh_token_file");
  o.scope = optional_string(s, "scope");
  o.client_auth_basic = s.string("client_auth") == "basic";
  o.refresh_before = s.duration("refresh_before");
  o.params = optional_map(s, "params");
  if (o.token_url.empty()) return field_error("auth.oauth2.token_url", "oauth2 needs a token_url");
  if (auto url = net::parse_url(o.token_url); !url.ok()) {
    return field_error("auth.oauth2.token_url", url.error().message());
  }
  if (o.client_id.empty()) return field_error("auth.oauth2.client_id", "oauth2 needs a client_id");
  if (o.refresh_grant && o.refresh_token.empty()) {
    return field_error("auth.oauth2.refresh_token",
                       "the refresh_token grant needs refresh_token or refresh_token_file");
  }
  if (!o.refresh_grant && o.client_secret.empty()) {
    return field_error("auth.oauth2.client_secret",
                       "the client_credentials grant needs client_secret or client_secret_file");
  }
  return o;
}

Result<AuthConfig> auth_from(const Settings& s) {
  AuthConfig a;
  const std::string type = s.string("type");
  a.token = secret(s, "token", "token_file");
  a.username = optional_string(s, "username");
  a.password = secret(s, "password", "password_file");
  a.key_name = s.string("name");
  a.key_in_query = s.string("in") == "query";
  a.key = secret(s, "value", "value_file");
  a.key_prefix = s.string("prefix");
  if (type == "bearer") {
    a.type = AuthType::kBearer;
    if (a.token.empty()) return field_error("auth.token", "bearer auth needs token or token_file");
  } else if (type == "basic") {
    a.type = AuthType::kBasic;
    if (a.username.empty()) return field_error("auth.username", "basic auth needs a username");
  } else if (type == "api_key") {
    a.type = AuthType::kApiKey;
    if (a.key.empty()) return field_error("auth.value", "api_key auth needs value or value_file");
  } else if (type == "oauth2") {
    a.type = AuthType::kOAuth2;
    auto oauth = oauth_from(s.object("oauth2"));
    if (!oauth.ok()) return oauth.error();
    a.oauth = std::move(*oauth);
  }
  return a;
}

}  // namespace

Result<std::string> SecretSource::read(const std::string& field) const {
  if (file.empty()) return value;
  std::ifstream in(file, std::ios::binary);
  if (!in) return Error::invalid_config("field '" + field + "_file': cannot read " + file);
  std::stringstream text;
  text << in.rdbuf();
  return std::string(trim(text.str()));
}

std::vector<std::string> RestConfig::secret_query_params() const {
  if (auth.type == AuthType::kApiKey && auth.key_in_query) return {auth.key_name};
  return {};
}

Result<RestConfig> RestConfig::from(const Settings& settings) {
  RestConfig c;
  c.url = settings.string("url");
  // {cursor} is filled in per run; the rest must already be a URL.
  std::string probe = c.url;
  for (auto at = probe.find("{cursor}"); at != std::string::npos; at = probe.find("{cursor}")) {
    probe.replace(at, 8, "0");
  }
  if (auto url = net::parse_url(probe); !url.ok()) return field_error("url", url.error().message());
  c.method = settings.string("method");
  c.body = optional_string(settings, "body");
  c.query = pairs(optional_map(settings, "query"));
  c.headers = pairs(optional_map(settings, "headers"));
  auto records = path_at(settings, "records", "records");
  if (!records.ok()) return records.error();
  c.records = std::move(*records);
  auto key = optional_path(settings, "primary_key", "primary_key");
  if (!key.ok()) return key.error();
  c.primary_key = std::move(*key);
  auto event_time = optional_path(settings, "event_time", "event_time");
  if (!event_time.ok()) return event_time.error();
  c.event_time = std::move(*event_time);

  auto paginator = paginator_from(settings.object("paginator"));
  if (!paginator.ok()) return paginator.error();
  c.paginator = std::move(*paginator);
  if (settings.has("incremental")) {
    auto inc = incremental_from(settings.object("incremental"));
    if (!inc.ok()) return inc.error();
    c.incremental = std::move(*inc);
    bool templated =
        c.url.find("{cursor}") != std::string::npos || c.body.find("{cursor}") != std::string::npos;
    for (const auto& [name, value] : c.query) {
      templated = templated || value.find("{cursor}") != std::string::npos;
    }
    if (templated && !c.incremental->initial_value) {
      return field_error("incremental.initial_value",
                         "{cursor} is written into the request, so the first run needs a start "
                         "value");
    }
    if (c.incremental->param.empty() && !templated) {
      return field_error("incremental.param",
                         "the start value must go somewhere: set `param`, or write {cursor} "
                         "into url, body or a query value");
    }
  }
  auto auth = auth_from(settings.object("auth"));
  if (!auth.ok()) return auth.error();
  c.auth = std::move(*auth);

  const Settings schedule = settings.object("schedule");
  if (schedule.has("cron") && schedule.has("interval")) {
    return field_error("schedule.cron", "set either interval or cron, not both");
  }
  if (schedule.has("cron")) {
    auto cron = CronExpression::parse(schedule.string("cron"));
    if (!cron.ok()) return field_error("schedule.cron", cron.error().message());
    c.schedule = Schedule::cron(std::move(*cron));
  } else {
    c.schedule = Schedule::every(schedule.has("interval") ? schedule.duration("interval")
                                                          : std::chrono::minutes(5));
  }
  c.once = schedule.boolean("once");

  const Settings rate = settings.object("rate_limit");
  c.rate_limit.requests_per_second = rate.number("requests_per_second");
  c.rate_limit.burst = static_cast<std::size_t>(rate.integer("burst"));
  c.rate_limit.respect_headers = rate.boolean("respect_headers");
  const Settings timeout = settings.object("timeout");
  c.connect_timeout = timeout.duration("connect");
  c.read_timeout = timeout.duration("read");
  c.total_timeout = timeout.duration("total");
  const Settings tls = settings.object("tls");
  c.ca_file = optional_string(tls, "ca_file");
  c.tls_insecure = tls.boolean("insecure");
  c.max_page_bytes = settings.size("max_page_size");
  c.max_pages_per_run = settings.integer("max_pages_per_run");
  return c;
}

}  // namespace weft::rest
