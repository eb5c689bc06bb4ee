#include "config_test_util.h"

namespace weft::testing {

Environment fake_env(std::map<std::string, std::string> variables,
                     std::map<std::string, std::string> files) {
  Environment env;
  env.variable = [variables = std::move(variables)](const std::string& name)
      -> std::optional<std::string> {
    auto it = variables.find(name);
    if (it == variables.end()) return std::nullopt;
    return it->second;
  };
  env.file = [files = std::move(files)](const std::string& path) -> std::optional<std::string> {
    auto it = files.find(path);
    if (it == files.end()) return std::nullopt;
    return it->second;
  };
  return env;
}

Registry test_registry() {
  Registry registry;

  ConnectorInfo generate;
  generate.type = "generate";
  generate.kind = ConnectorKind::kSource;
  generate.summary = "Emits synthetic records";
  generate.example = "type: generate\nrate: 500\n";
  generate.spec.integer("rate").default_value("100").min(1).max(100000)
      .description("Records per second").example("500");
  generate.spec.duration("interval").description("Pause between bursts");
  generate.spec.string("password").secret().description("Not really needed");
  generate.spec.integer("pin").secret().description("A secret number");
  registry.add(std::move(generate));

  ConnectorInfo postgres;
  postgres.type = "postgres";
  postgres.kind = ConnectorKind::kSource;
  postgres.summary = "Change data capture from PostgreSQL";
  postgres.spec.string("dsn").required().secret().description("libpq connection string");
  postgres.spec.string("slot").required().description("Replication slot");
  ConfigSpec tls;
  tls.string("ca_file").required().description("CA bundle");
  tls.boolean("verify").default_value("true");
  postgres.spec.object("tls", tls).description("TLS settings");
  registry.add(std::move(postgres));

  ConnectorInfo file;
  file.type = "file";
  file.kind = ConnectorKind::kSink;
  file.summary = "Appends JSON lines to a file";
  file.spec.string("path").required().description("File to write");
  file.spec.size("max_size").default_value("64MiB").min(1024).description("Rotate after this");
  file.spec.enumeration("format", {"json", "csv"}).default_value("json");
  registry.add(std::move(file));

  ConnectorInfo http;
  http.type = "http";
  http.kind = ConnectorKind::kSink;
  http.summary = "POSTs batches";
  http.spec.string("url").required();
  http.spec.string_map("headers");
  http.spec.string("token").secret();
  registry.add(std::move(http));

  return registry;
}

std::vector<std::string> formatted(const Diagnostics& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.format());
  return out;
}

}  // namespace weft::testing
