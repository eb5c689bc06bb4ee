#pragma once

#include <functional>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "weft/config_spec.h"
#include "weft/context.h"
#include "weft/settings.h"
#include "weft/sink.h"
#include "weft/source.h"
#include "weft/status.h"

namespace weft {

enum class ConnectorKind { kSource, kSink };

const char* to_string(ConnectorKind kind);

using SourceFactory =
    std::function<Result<std::unique_ptr<Source>>(const Settings&, const ConnectorContext&)>;
using SinkFactory =
    std::function<Result<std::unique_ptr<Sink>>(const Settings&, const ConnectorContext&)>;

// Everything the runtime knows about a connector type: its spec (validation, defaults, docs)
// and how to build one from validated settings. Exactly one of the factories is set.
struct ConnectorInfo {
  std::string type;  // the `type:` users write, e.g. "generate"
  ConnectorKind kind = ConnectorKind::kSource;
  std::string summary;  // one line for `weft spec` and the docs
  std::string example;  // a complete YAML block for the docs; checked by tests
  ConfigSpec spec;
  SourceFactory make_source;
  SinkFactory make_sink;
  // Checks the spec cannot express (a secret's format, a template's syntax, fields that go
  // together), run by the config loader so `weft validate` reports them; optional. An
  // invalid_config Error whose message starts "field 'name': " (a dotted path inside the block)
  // is reported at that field.
  std::function<Status(const Settings&)> check;
};

// Fills in `check` and the factory of a connector whose settings parse into a config object:
// `parse(settings)` returns Result<Config> and `build(Config, ctx)` the source or sink. The
// config loader's check runs the parser, so `weft validate` reports everything it refuses, and
// the factory parses again, then builds.
template <typename Parse, typename Build>
void parse_then_build(ConnectorInfo& info, Parse parse, Build build) {
  info.check = [parse](const Settings& settings) -> Status {
    auto config = parse(settings);
    if (!config.ok()) return config.error();
    return Status{};
  };
  using Config = std::decay_t<decltype(*parse(std::declval<const Settings&>()))>;
  using Built = decltype(build(std::declval<Config>(), std::declval<const ConnectorContext&>()));
  // `build` may return the connector or a Result of it.
  using Made = std::conditional_t<std::is_constructible_v<Result<std::unique_ptr<Sink>>, Built>,
                                  std::unique_ptr<Sink>, std::unique_ptr<Source>>;
  auto factory = [parse, build](const Settings& settings,
                                const ConnectorContext& ctx) -> Result<Made> {
    auto config = parse(settings);
    if (!config.ok()) return config.error();
    return build(std::move(*config), ctx);
  };
  if constexpr (std::is_same_v<Made, std::unique_ptr<Sink>>) {
    info.make_sink = std::move(factory);
  } else {
    info.make_source = std::move(factory);
  }
}

// The connectors a daemon can build. Filled once at start-up from one explicit list
// (connectors/builtin.cc); read-only afterwards, so safe to share between threads.
class Registry {
 public:
  void add(ConnectorInfo info);
  const ConnectorInfo* find(ConnectorKind kind, const std::string& type) const;
  const std::vector<ConnectorInfo>& all() const { return connectors_; }
  std::vector<std::string> types(ConnectorKind kind) const;

 private:
  std::vector<ConnectorInfo> connectors_;
};

// The registry of every connector built into this binary.
const Registry& builtin_registry();

// For binaries that embed weft's command line with connectors of their own (test daemons):
// adds `info` to the builtin registry. Call before anything reads it (first thing in main);
// the registry is not synchronised.
void add_builtin_connector(ConnectorInfo info);

}  // namespace weft
