#include "config/delivery_spec.h"

#include <nlohmann/json.hpp>

#include "config/daemon_config.h"
#include "config/pipeline_config.h"
#include "config/yaml_validate.h"
#include "delivery/record_template.h"

namespace weft {
namespace {

void report_at(Validation& v, const std::string& field, std::string message, std::string hint) {
  Location at;
  if (auto it = v.locations.find(field); it != v.locations.end()) at = it->second;
  v.errors.push_back(make_diagnostic(v.file, at, std::move(message), std::move(hint)));
}

ConfigSpec retry_spec() {
  ConfigSpec s;
  s.duration("initial").default_value("100ms").min(1)
      .description("Upper bound of the first retry delay (full jitter: the delay is random "
                   "between zero and the bound)")
      .example("250ms");
  s.duration("max").default_value("30s").min(1)
      .description("Largest retry delay; a Retry-After hint from the target still wins")
      .example("1m");
  s.number("multiplier").default_value("2").min(1).max(10)
      .description("Growth of the delay bound per attempt").example("1.5");
  s.integer("max_attempts").default_value("10").min(0).max(1000000)
      .description("Attempts per record before it is dead-lettered; 0 retries without limit. "
                   "Attempts made while the circuit breaker is open do not count")
      .example("20");
  s.duration("max_elapsed").default_value("15m").min(0)
      .description("Time a record may spend retrying before it is dead-lettered; 0 means no "
                   "limit. Time the circuit breaker holds the pipeline paused does not count")
      .example("1h");
  return s;
}

ConfigSpec circuit_breaker_spec() {
  ConfigSpec s;
  s.boolean("enabled").default_value("true")
      .description("Pause the source while the sink keeps failing instead of retrying every "
                   "batch into the ground");
  s.integer("failure_threshold").default_value("5").min(1).max(1000)
      .description("Consecutive failed writes that open the breaker").example("3");
  s.number("failure_rate").default_value("0").min(0).max(1)
      .description("Also open when this fraction of the last `window` writes failed; 0 turns "
                   "the rate rule off")
      .example("0.5");
  s.integer("window").default_value("20").min(1).max(10000)
      .description("Writes the failure rate is measured over").example("50");
  s.integer("min_calls").default_value("10").min(1).max(10000)
      .description("Writes needed in the window before the failure rate is judged");
  s.duration("open_for").default_value("30s").min(1)
      .description("How long the breaker stays open before one probe write is allowed")
      .example("10s");
  return s;
}

ConfigSpec idempotency_spec() {
  ConfigSpec s;
  s.string("key")
      .description("What identifies a record: a JSON path into the payload ($.id), or a "
                   "template ({$.customer}-{$.invoice}, {key}, {id}, {headers.NAME}). Unset: "
                   "no deduplication")
      .example("$.id")
      .example("stripe:{$.id}");
  s.duration("ttl").default_value("7d").min(1000)
      .description("How long a delivered key is remembered").example("30d");
  s.integer("max_keys").default_value("1000000").min(0)
      .description("Most keys kept for the pipeline; the oldest go first. 0: no bound. Keys "
                   "are indexed in memory: about 60 MiB per million")
      .example("1000000");
  return s;
}

ConfigSpec dlq_spec() {
  ConfigSpec s;
  s.boolean("enabled").default_value("true")
      .description("Dead-letter records that cannot be delivered and go on with the rest. When "
                   "false, such a record stops the pipeline before it (nothing is skipped)");
  s.enumeration("target", {"state", "file"}).default_value("state")
      .description("Where dead letters are kept: the state store (list and replay them with "
                   "`weft dlq`), or a JSON Lines file");
  s.path("path")
      .description("The JSON Lines file, for target: file")
      .example("/var/lib/weft/dlq/orders.jsonl");
  s.number("max_dlq_rate").default_value("0.5").min(0).max(1)
      .description("Pause the pipeline when more than this fraction of the last `rate_window` "
                   "records was dead-lettered (a misconfiguration should not drain everything "
                   "into the queue); 0 turns the guard off")
      .example("0.2");
  s.integer("rate_window").default_value("100").min(1).max(1000000)
      .description("Records the dead-letter rate is measured over").example("1000");
  return s;
}

ConfigSpec rate_limit_spec() {
  ConfigSpec s;
  s.number("per_second").min(0.001)
      .description("Records per second written to the sink (a token bucket); unset: no limit")
      .example("100");
  s.integer("burst").min(1)
      .description("Records that may be written at once after a quiet spell; default: "
                   "per_second rounded up")
      .example("200");
  s.string("shared")
      .description("Use the daemon's shared limit of this name (rate_limits in the daemon "
                   "config) instead, so pipelines calling one API share its quota")
      .example("salesforce_api");
  return s;
}

}  // namespace

void add_delivery_fields(ConfigSpec& spec) {
  spec.object("retry", retry_spec())
      .description("How failed writes are retried (exponential backoff with full jitter)");
  spec.object("circuit_breaker", circuit_breaker_spec())
      .description("When to stop writing to a failing sink and pause the source");
  spec.object("idempotency", idempotency_spec())
      .description("Skip records already delivered (acknowledged and counted, not sent)");
  spec.object("dlq", dlq_spec())
      .description("The dead-letter queue for records that cannot be delivered");
  spec.object("rate_limit", rate_limit_spec())
      .description("Limit the rate of records written to the sink");
}

void check_delivery_fields(const nlohmann::json& top, Validation& v) {
  if (top.contains("retry")) {
    const auto& retry = top.at("retry");
    if (retry.value("max", 0) < retry.value("initial", 0)) {
      report_at(v, "retry.max", "field 'retry.max' must not be less than 'retry.initial'",
                "max bounds every delay, initial only the first");
    }
  }
  if (top.contains("idempotency") && top.at("idempotency").contains("key")) {
    auto parsed = RecordTemplate::parse(top.at("idempotency").at("key").get<std::string>());
    if (!parsed.ok()) {
      report_at(v, "idempotency.key", "field 'idempotency.key': " + parsed.error().message(),
                "a JSON path ($.id) or a template of text and {placeholders} ({$.id}, {key}, "
                "{headers.NAME})");
    }
  }
  if (top.contains("dlq")) {
    const auto& dlq = top.at("dlq");
    if (dlq.value("target", "") == "file" && !dlq.contains("path")) {
      report_at(v, "dlq.target", "field 'dlq.path' is required when dlq.target is file",
                "name the JSON Lines file dead letters are appended to");
    }
  }
  if (top.contains("rate_limit")) {
    const auto& limit = top.at("rate_limit");
    if (limit.contains("shared") && limit.contains("per_second")) {
      report_at(v, "rate_limit.shared",
                "rate_limit: set either 'per_second' (a limit of this pipeline) or 'shared' (a "
                "limit defined in the daemon config), not both",
                "a shared limit's rate is set once, under rate_limits in the daemon config");
    }
    if (limit.contains("burst") && !limit.contains("per_second")) {
      report_at(v, "rate_limit.burst", "field 'rate_limit.burst' needs 'rate_limit.per_second'",
                "");
    }
  }
}

void check_shared_rate_limits(PipelineSet& pipelines, const DaemonConfig& daemon) {
  std::vector<PipelineConfig> kept;
  for (auto& pipeline : pipelines.pipelines) {
    const auto& limit = pipeline.runtime.json().at("rate_limit");
    if (limit.contains("shared")) {
      const std::string name = limit.at("shared").get<std::string>();
      if (daemon.rate_limits.count(name) == 0) {
        std::string defined;
        for (const auto& entry : daemon.rate_limits) {
          defined += (defined.empty() ? "" : ", ") + entry.first;
        }
        pipelines.errors.push_back(make_diagnostic(
            pipeline.file, {}, "rate_limit.shared: no shared rate limit named '" + name + "'",
            defined.empty() ? "define it under rate_limits in the daemon config"
                            : "the daemon config defines: " + defined));
        pipelines.failed_files.push_back(pipeline.file);
        continue;
      }
    }
    kept.push_back(std::move(pipeline));
  }
  pipelines.pipelines = std::move(kept);
}

const ConfigSpec& shared_rate_limit_spec() {
  static const ConfigSpec spec = [] {
    ConfigSpec s;
    s.number("per_second").required().min(0.001)
        .description("Records per second shared by every pipeline using this limit")
        .example("20");
    s.integer("burst").min(1)
        .description("Records that may go at once; default: per_second rounded up")
        .example("40");
    return s;
  }();
  return spec;
}

}  // namespace weft
