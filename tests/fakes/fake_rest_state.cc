#include "fakes/fake_rest_state.h"

#include <algorithm>

namespace weft::fakes {
namespace {

using Clock = std::chrono::steady_clock;

// X-RateLimit-Limit when no limit is enforced: high enough that no client waits for a reset.
constexpr std::int64_t kNominalLimit = 1000000;

Error invalid(const std::string& what, const std::string& message) {
  return Error::invalid_config(what + ": " + message);
}

}  // namespace

Result<Fault> fault_from_json(const nlohmann::json& json) {
  const auto fail = [](const std::string& message) { return invalid("fault", message); };
  if (!json.is_object()) return fail("expected a JSON object");
  Fault fault;
  for (const auto& [key, value] : json.items()) {
    if (key == "status" || key == "count" || key == "delay_ms") {
      if (!value.is_number_integer()) return fail("\"" + key + "\" must be an integer");
      const auto number = value.get<std::int64_t>();
      if (key == "status") {
        if (number < 200 || number > 599) return fail("\"status\" must be 200..599");
        fault.status = static_cast<int>(number);
      } else if (key == "count") {
        if (number < 1 || number > 1000000000) return fail("\"count\" must be >= 1");
        fault.count = static_cast<int>(number);
      } else {
        if (number < 0 || number > 600000) return fail("\"delay_ms\" must be 0..600000");
        fault.delay = std::chrono::milliseconds(number);
      }
    } else if (key == "retry_after") {
      if (value.is_number_integer()) {
        fault.retry_after = std::to_string(value.get<std::int64_t>());
      } else if (value.is_string()) {
        fault.retry_after = value.get<std::string>();
      } else {
        return fail("\"retry_after\" must be a string or an integer");
      }
    } else if (key == "path_prefix" || key == "body" || key == "content_type") {
      if (!value.is_string()) return fail("\"" + key + "\" must be a string");
      std::string& field = key == "path_prefix" ? fault.path_prefix
                           : key == "body"      ? fault.body
                                                : fault.content_type;
      field = value.get<std::string>();
    } else if (key == "close") {
      if (!value.is_boolean()) return fail("\"close\" must be true or false");
      fault.close = value.get<bool>();
    } else {
      return fail("unknown key \"" + key +
                  "\" (known: status, count, retry_after, path_prefix, delay_ms, body, "
                  "content_type, close)");
    }
  }
  if (fault.status == 0 && fault.delay.count() == 0 && !fault.close) {
    return fail("needs a \"status\" or a \"delay_ms\"");
  }
  return fault;
}

nlohmann::json to_json(const LoggedRequest& request) {
  return {{"t_ms", request.t_ms},
          {"method", request.method},
          {"target", request.target},
          {"authorization", request.authorization},
          {"status", request.status}};
}

nlohmann::json to_json(const FakeRestStats& stats) {
  nlohmann::json by_status = nlohmann::json::object();
  for (const auto& [status, count] : stats.by_status) by_status[std::to_string(status)] = count;
  return {{"requests", stats.requests},
          {"data_requests", stats.data_requests},
          {"token_requests", stats.token_requests},
          {"tokens_issued", stats.tokens_issued},
          {"faults_served", stats.faults_served},
          {"faults_pending", stats.faults_pending},
          {"rate_limited", stats.rate_limited},
          {"unauthorized", stats.unauthorized},
          {"records", stats.records},
          {"upserted", stats.upserted},
          {"by_status", std::move(by_status)}};
}

FakeRestState::FakeRestState(const FakeRestApiOptions& options)
    : records(options.records),
      tls(!options.tls_cert_file.empty()),
      max_logged_(options.max_logged_requests) {
  auto settings = std::make_shared<Settings>();
  settings->auth = options.auth;
  settings->gzip = options.gzip;
  settings->rate_limit_per_second = options.rate_limit_per_second;
  settings->sforce_limit_info = options.sforce_limit_info;
  settings_ = std::move(settings);
  tokens.set_lifetime(options.token_lifetime);
}

std::shared_ptr<const Settings> FakeRestState::settings() const {
  std::lock_guard lock(settings_mutex_);
  return settings_;
}

Status FakeRestState::configure(const nlohmann::json& changes) {
  const auto fail = [](const std::string& message) { return invalid("config", message); };
  if (!changes.is_object()) return fail("expected a JSON object");
  std::lock_guard lock(settings_mutex_);
  auto next = std::make_shared<Settings>(*settings_);
  std::optional<std::chrono::seconds> lifetime;
  for (const auto& [key, value] : changes.items()) {
    if (key == "rate_limit_per_second" || key == "token_expires_in") {
      const std::int64_t min = key == "token_expires_in" ? 1 : 0;
      if (!value.is_number_integer() || value.get<std::int64_t>() < min ||
          value.get<std::int64_t>() > 1000000000) {
        return fail("\"" + key + "\" must be an integer >= " + std::to_string(min));
      }
      if (key == "token_expires_in") {
        lifetime = std::chrono::seconds(value.get<std::int64_t>());
      } else {
        next->rate_limit_per_second = value.get<int>();
      }
    } else if (key == "gzip" || key == "sforce_limit_info") {
      if (!value.is_boolean()) return fail("\"" + key + "\" must be true or false");
      (key == "gzip" ? next->gzip : next->sforce_limit_info) = value.get<bool>();
    } else if (key == "auth") {
      if (!value.is_string()) return fail("\"auth\" must be a string such as \"bearer:TOKEN\"");
      auto auth = parse_auth(value.get<std::string>());
      if (!auth.ok()) return auth.error();
      next->auth = std::move(auth).value();
    } else {
      return fail("unknown key \"" + key +
                  "\" (known: rate_limit_per_second, token_expires_in, gzip, sforce_limit_info, "
                  "auth)");
    }
  }
  if (lifetime) tokens.set_lifetime(*lifetime);
  settings_ = std::move(next);
  return {};
}

Status FakeRestState::add_fault(Fault fault) {
  if (fault.close) {
    return invalid("fault", "close is not supported: net::HttpServer always answers a request");
  }
  if (fault.status == 0 && fault.delay.count() == 0)
    return invalid("fault", "needs a status or a delay_ms");
  if (fault.status != 0 && (fault.status < 200 || fault.status > 599)) {
    return invalid("fault", "status must be 200..599");
  }
  if (fault.count < 1) return invalid("fault", "count must be >= 1");
  std::lock_guard lock(faults_mutex_);
  faults_.push_back(std::move(fault));
  fault_count_ = faults_.size();
  return {};
}

std::optional<Fault> FakeRestState::take_fault(std::string_view path, bool data_request) {
  if (fault_count_ == 0) return std::nullopt;
  std::lock_guard lock(faults_mutex_);
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    const bool matches = it->path_prefix.empty() ? data_request : path.starts_with(it->path_prefix);
    if (!matches) continue;
    Fault taken = *it;
    if (--it->count == 0) faults_.erase(it);
    fault_count_ = faults_.size();
    return taken;
  }
  return std::nullopt;
}

void FakeRestState::clear_faults() {
  std::lock_guard lock(faults_mutex_);
  faults_.clear();
  fault_count_ = 0;
}

RateInfo FakeRestState::count_data_request(int limit_per_second) {
  ++data_requests_;
  const std::int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
  std::int64_t count = 0;
  {
    std::lock_guard lock(rate_mutex_);
    if (now != rate_second_) {
      rate_second_ = now;
      rate_count_ = 0;
    }
    count = ++rate_count_;
  }
  RateInfo info;
  info.limit = limit_per_second > 0 ? limit_per_second : kNominalLimit;
  info.remaining = std::max<std::int64_t>(0, info.limit - count);
  info.reset = now + 1;
  info.over = limit_per_second > 0 && count > limit_per_second;
  return info;
}

void FakeRestState::record(const net::HttpRequest& request, int status, bool data_request,
                           bool token_request) {
  ++requests_;
  if (token_request) ++token_requests_;
  if (data_request && status == 401) ++unauthorized_;
  LoggedRequest entry;
  entry.t_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_).count();
  entry.method = request.method;
  entry.target = request.target;
  entry.authorization = request.header("Authorization").has_value();
  entry.status = status;
  std::lock_guard lock(log_mutex_);
  ++by_status_[status];
  if (log_.size() < max_logged_) log_.push_back(std::move(entry));
}

std::vector<LoggedRequest> FakeRestState::requests() const {
  std::lock_guard lock(log_mutex_);
  return log_;
}

void FakeRestState::clear_requests() {
  std::lock_guard lock(log_mutex_);
  log_.clear();
}

FakeRestStats FakeRestState::stats() const {
  FakeRestStats out;
  out.requests = requests_;
  out.data_requests = data_requests_;
  out.token_requests = token_requests_;
  out.tokens_issued = tokens.issued();
  out.faults_served = faults_served_;
  out.rate_limited = rate_limited_;
  out.unauthorized = unauthorized_;
  {
    std::lock_guard lock(faults_mutex_);
    for (const Fault& fault : faults_)
      out.faults_pending += static_cast<std::uint64_t>(fault.count);
  }
  const auto snapshot = records.snapshot();
  out.records = snapshot->size();
  out.upserted = static_cast<std::int64_t>(snapshot->upserted.size());
  std::lock_guard lock(log_mutex_);
  out.by_status = by_status_;
  return out;
}

}  // namespace weft::fakes
