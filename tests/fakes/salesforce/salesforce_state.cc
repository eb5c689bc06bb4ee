#include "fakes/salesforce/salesforce_state.h"

namespace weft::fakes::salesforce {

Result<Settings> settings_from_options(const FakeSalesforceOptions& options) {
  Settings settings;
  Credentials& credentials = settings.credentials;
  credentials.client_id = options.client_id;
  credentials.client_secret = options.client_secret;
  credentials.username = options.username;
  credentials.password = options.password;
  credentials.refresh_token = options.refresh_token;
  credentials.jwt_audience = options.jwt_audience;
  credentials.jwt_public_key_pem = options.jwt_public_key_pem;
  if (!options.jwt_public_key_pem.empty()) {
    auto key = public_key_from_pem(options.jwt_public_key_pem);
    if (!key.ok()) return key.error();
    credentials.jwt_key = std::move(key).value();
  }
  if (options.api_limit < 0 || options.latency.count() < 0 || options.bulk_polls < 0) {
    return Error::invalid_config("fake-salesforce: api_limit, latency and bulk_polls must be >= 0");
  }
  settings.api_limit = options.api_limit;
  settings.latency = options.latency;
  settings.bulk_polls = options.bulk_polls;
  return settings;
}

SalesforceState::SalesforceState(Settings settings, std::uint64_t shuffle_seed)
    : bulk(store, shuffle_seed), settings_(std::make_shared<const Settings>(std::move(settings))) {}

std::shared_ptr<const Settings> SalesforceState::settings() const {
  std::lock_guard lock(mutex_);
  return settings_;
}

Status SalesforceState::configure(const nlohmann::json& changes) {
  if (!changes.is_object()) return Error::invalid_config("config: expected a JSON object");
  std::lock_guard lock(mutex_);
  Settings next = *settings_;
  std::optional<std::uint64_t> usage;
  Credentials& credentials = next.credentials;
  const std::map<std::string, std::string*> strings = {
      {"client_id", &credentials.client_id},
      {"client_secret", &credentials.client_secret},
      {"username", &credentials.username},
      {"password", &credentials.password},
      {"refresh_token", &credentials.refresh_token},
      {"jwt_audience", &credentials.jwt_audience},
      {"jwt_public_key_pem", &credentials.jwt_public_key_pem}};
  for (const auto& [key, value] : changes.items()) {
    if (const auto it = strings.find(key); it != strings.end()) {
      if (!value.is_string()) return Error::invalid_config("config: " + key + " must be a string");
      *it->second = value.get<std::string>();
      continue;
    }
    if (!value.is_number_integer() || value.get<long long>() < 0) {
      return Error::invalid_config("config: unknown key " + key + " or not an integer >= 0");
    }
    const long long number = value.get<long long>();
    if (key == "api_limit") {
      next.api_limit = number;
    } else if (key == "api_usage") {
      usage = static_cast<std::uint64_t>(number);
    } else if (key == "latency_ms") {
      next.latency = std::chrono::milliseconds(number);
    } else if (key == "bulk_polls" && number <= 1000000) {
      next.bulk_polls = static_cast<int>(number);
    } else {
      return Error::invalid_config("config: unknown key " + key + " or value out of range");
    }
  }
  if (changes.contains("jwt_public_key_pem")) {
    credentials.jwt_key = nullptr;
    if (!credentials.jwt_public_key_pem.empty()) {
      auto key = public_key_from_pem(credentials.jwt_public_key_pem);
      if (!key.ok()) return key.error();
      credentials.jwt_key = std::move(key).value();
    }
  }
  settings_ = std::make_shared<const Settings>(std::move(next));
  if (usage) data_requests_ = *usage;
  return {};
}

nlohmann::json SalesforceState::config_json() const {
  const auto current = settings();
  const Credentials& credentials = current->credentials;
  return {{"client_id", credentials.client_id},
          {"client_secret", credentials.client_secret},
          {"username", credentials.username},
          {"password", credentials.password},
          {"refresh_token", credentials.refresh_token},
          {"jwt_audience", credentials.jwt_audience},
          {"jwt_public_key_pem", credentials.jwt_public_key_pem},
          {"api_limit", current->api_limit},
          {"api_usage", data_requests_.load()},
          {"latency_ms", current->latency.count()},
          {"bulk_polls", current->bulk_polls}};
}

std::string SalesforceState::base_url() const {
  std::lock_guard lock(mutex_);
  return base_url_;
}

void SalesforceState::set_base_url(std::string url) {
  std::lock_guard lock(mutex_);
  base_url_ = std::move(url);
}

void SalesforceState::count_token_request(const std::string& grant_type) {
  std::lock_guard lock(mutex_);
  ++token_requests_[grant_type];
}

void SalesforceState::enter() {
  const std::uint64_t now = ++in_flight_;
  std::uint64_t seen = max_in_flight_.load();
  while (now > seen && !max_in_flight_.compare_exchange_weak(seen, now)) {
  }
}

void SalesforceState::leave() { --in_flight_; }

FakeSalesforceStats SalesforceState::stats() const {
  FakeSalesforceStats stats;
  {
    std::lock_guard lock(mutex_);
    stats.token_requests = token_requests_;
  }
  stats.data_requests = data_requests_;
  stats.unauthorized = unauthorized_;
  stats.limit_exceeded = limit_exceeded_;
  stats.collections_requests = collections_requests_;
  stats.bulk_jobs = bulk.created();
  stats.in_flight = in_flight_;
  stats.max_in_flight = max_in_flight_;
  stats.records = store.size();
  return stats;
}

}  // namespace weft::fakes::salesforce
