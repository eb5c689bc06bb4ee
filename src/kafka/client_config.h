#pragma once

// What the kafka sink and source share: where the brokers are, how to authenticate, and the
// librdkafka properties passed through as they are.

#include <map>
#include <string>
#include <vector>

#include "weft/config_spec.h"
#include "weft/settings.h"
#include "weft/status.h"

namespace weft::kafka {

struct ClientConfig {
  std::vector<std::string> brokers;
  std::string sasl_mechanism;  // empty: no SASL
  std::string sasl_username;
  std::string sasl_password;
  bool tls = false;
  std::map<std::string, std::string> librdkafka;  // passed through, after weft's own settings

  // "host:port,host:port", as bootstrap.servers and error messages want it.
  std::string broker_list() const;
  // bootstrap.servers, client.id, security.protocol and sasl.*; then `librdkafka` (which may
  // override them).
  std::map<std::string, std::string> properties() const;
};

// Reads the fields add_client_fields() declares. Refuses a `librdkafka` property that holds a
// secret: secrets have fields of their own, which are redacted everywhere.
Result<ClientConfig> client_config(const Settings& settings);

// `brokers` (required), then `sasl`, `tls` and `librdkafka` (`client` names the librdkafka client
// in the description: "producer", "consumer").
void add_brokers_field(ConfigSpec& spec);
void add_security_fields(ConfigSpec& spec, const std::string& client);

}  // namespace weft::kafka
