#pragma once

#include <functional>
#include <map>
#include <memory>
#include <vector>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace weft {

// The daemon's metric families (DESIGN.md §9), registered once in one registry that /metrics
// exposes. prometheus-cpp metrics are atomic, so any thread may update them.
class DaemonMetrics {
  // Declared first: the family references below are initialised from it.
  std::shared_ptr<prometheus::Registry> registry_;

 public:
  DaemonMetrics();

  prometheus::Registry& registry() { return *registry_; }
  std::shared_ptr<prometheus::Registry> shared_registry() { return registry_; }

  prometheus::Family<prometheus::Counter>& records_in;          // {pipeline}
  prometheus::Family<prometheus::Counter>& records_out;         // {pipeline, sink}
  prometheus::Family<prometheus::Counter>& sink_errors;         // {pipeline, sink, kind}
  prometheus::Family<prometheus::Counter>& source_errors;       // {pipeline, source}
  prometheus::Family<prometheus::Gauge>& pipeline_up;           // {pipeline}
  prometheus::Family<prometheus::Gauge>& last_success;          // {pipeline}, unix seconds
  prometheus::Family<prometheus::Gauge>& last_checkpoint;       // {pipeline}, unix seconds
  prometheus::Family<prometheus::Gauge>& records_in_flight;     // {pipeline}
  prometheus::Family<prometheus::Counter>& dead_lettered;       // {pipeline, stage}
  prometheus::Family<prometheus::Counter>& duplicates;          // {pipeline}
  prometheus::Family<prometheus::Counter>& filtered;            // {pipeline}
  prometheus::Family<prometheus::Counter>& unknown_fields;      // {pipeline, field}
  prometheus::Family<prometheus::Counter>& replayed;            // {pipeline}
  prometheus::Family<prometheus::Gauge>& dlq_depth;             // {pipeline}
  prometheus::Family<prometheus::Gauge>& breaker_state;         // {pipeline, sink}: 0/1/2
  prometheus::Family<prometheus::Gauge>& source_paused;         // {pipeline}
  prometheus::Family<prometheus::Gauge>& operator_paused;       // {pipeline}
  prometheus::Family<prometheus::Gauge>& freshness;             // {pipeline}, seconds
  prometheus::Family<prometheus::Gauge>& freshness_breached;    // {pipeline}: 0/1
  prometheus::Family<prometheus::Counter>& config_reloads;      // {result}
  prometheus::Family<prometheus::Gauge>& config_reload_ok;      // 1 when the last load was valid
  prometheus::Family<prometheus::Gauge>& build_info;            // {version}
};

// One pipeline's handles into the families; removes its series when destroyed, so a pipeline
// that is deleted on reload disappears from /metrics.
class PipelineMetrics {
 public:
  PipelineMetrics(DaemonMetrics& daemon, const std::string& pipeline, const std::string& source,
                  const std::string& sink);
  ~PipelineMetrics();
  PipelineMetrics(const PipelineMetrics&) = delete;
  PipelineMetrics& operator=(const PipelineMetrics&) = delete;

  prometheus::Counter& records_in;
  prometheus::Counter& records_out;
  prometheus::Counter& sink_retryable_errors;
  prometheus::Counter& sink_permanent_errors;
  prometheus::Counter& source_errors;
  prometheus::Gauge& up;
  prometheus::Gauge& last_success;
  prometheus::Gauge& last_checkpoint;
  prometheus::Gauge& in_flight;
  prometheus::Counter& dead_lettered_sink;         // stage="sink"
  prometheus::Counter& dead_lettered_idempotency;  // stage="idempotency": the key did not render
  prometheus::Counter& dead_lettered_map;          // stage="map": mapping or model contract
  prometheus::Counter& dead_lettered_source;       // stage="source": the source could not parse it
  prometheus::Counter& filtered;
  prometheus::Counter& duplicates;
  prometheus::Counter& replayed;
  prometheus::Gauge& dlq_depth;
  prometheus::Gauge& breaker_state;
  prometheus::Gauge& source_paused;
  prometheus::Gauge& operator_paused;
  prometheus::Gauge& freshness;
  prometheus::Gauge& freshness_breached;

  // Adds `count` to weft_mapper_unknown_fields_total{field}, adding the series on first use.
  // Call from one thread at a time.
  void add_unknown_fields(const std::string& field, double count);

  // Where connectors register their own metrics.
  prometheus::Registry& registry() { return *registry_; }

 private:
  // Owns the families (the registry does): a pipeline's last handlers may be destroyed with the
  // io_context at exit, after DaemonMetrics itself.
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& unknown_fields_;
  std::string pipeline_;
  std::map<std::string, prometheus::Counter*> unknown_field_series_;
  std::vector<std::function<void()>> remove_series_;
};

}  // namespace weft
