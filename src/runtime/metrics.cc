#include "runtime/metrics.h"

#include "weft/version.h"

namespace weft {

DaemonMetrics::DaemonMetrics()
    : registry_(std::make_shared<prometheus::Registry>()),
      records_in(prometheus::BuildCounter()
                     .Name("weft_records_in_total")
                     .Help("Records read from the pipeline's source")
                     .Register(*registry_)),
      records_out(prometheus::BuildCounter()
                      .Name("weft_records_out_total")
                      .Help("Records the sink acknowledged as delivered")
                      .Register(*registry_)),
      sink_errors(prometheus::BuildCounter()
                      .Name("weft_sink_errors_total")
                      .Help("Failed sink writes, by error kind (retryable, permanent)")
                      .Register(*registry_)),
      source_errors(prometheus::BuildCounter()
                        .Name("weft_source_errors_total")
                        .Help("Failed source reads and commits")
                        .Register(*registry_)),
      pipeline_up(prometheus::BuildGauge()
                      .Name("weft_pipeline_up")
                      .Help("1 while the pipeline is running, 0 when it failed or stopped")
                      .Register(*registry_)),
      last_success(prometheus::BuildGauge()
                       .Name("weft_last_success_timestamp_seconds")
                       .Help("Unix time of the last batch the sink acknowledged")
                       .Register(*registry_)),
      last_checkpoint(prometheus::BuildGauge()
                          .Name("weft_last_checkpoint_timestamp_seconds")
                          .Help("Unix time the source position was last committed")
                          .Register(*registry_)),
      records_in_flight(prometheus::BuildGauge()
                            .Name("weft_records_in_flight")
                            .Help("Records read but not yet acknowledged")
                            .Register(*registry_)),
      dead_lettered(prometheus::BuildCounter()
                        .Name("weft_records_dead_lettered_total")
                        .Help("Records durably written to the dead-letter queue, by failed stage")
                        .Register(*registry_)),
      duplicates(prometheus::BuildCounter()
                     .Name("weft_records_duplicate_total")
                     .Help("Records skipped because their idempotency key was already delivered")
                     .Register(*registry_)),
      filtered(prometheus::BuildCounter()
                   .Name("weft_records_filtered_total")
                   .Help("Records a pipeline's filter dropped (acknowledged, not delivered)")
                   .Register(*registry_)),
      unknown_fields(prometheus::BuildCounter()
                         .Name("weft_mapper_unknown_fields_total")
                         .Help("Records carrying a source field the mapping does not read "
                               "(schema drift), by field")
                         .Register(*registry_)),
      replayed(prometheus::BuildCounter()
                   .Name("weft_records_replayed_total")
                   .Help("Dead letters delivered by a replay and removed from the queue")
                   .Register(*registry_)),
      dlq_depth(prometheus::BuildGauge()
                    .Name("weft_dlq_depth")
                    .Help("Records waiting in the pipeline's dead-letter queue")
                    .Register(*registry_)),
      breaker_state(prometheus::BuildGauge()
                        .Name("weft_circuit_breaker_state")
                        .Help("The sink's circuit breaker: 0 closed, 1 half-open, 2 open")
                        .Register(*registry_)),
      source_paused(prometheus::BuildGauge()
                        .Name("weft_source_paused")
                        .Help("1 while the pipeline holds its source paused (breaker open, "
                              "dead-letter rate guard)")
                        .Register(*registry_)),
      operator_paused(prometheus::BuildGauge()
                          .Name("weft_pipeline_paused")
                          .Help("1 while an operator has the pipeline paused (weft pause)")
                          .Register(*registry_)),
      freshness(prometheus::BuildGauge()
                    .Name("weft_freshness_seconds")
                    .Help("Age of the newest delivered data: now minus its event time, or its "
                          "delivery time when the source gives none")
                    .Register(*registry_)),
      freshness_breached(prometheus::BuildGauge()
                             .Name("weft_freshness_slo_breached")
                             .Help("1 while the pipeline breaks its freshness SLO "
                                   "(freshness.max_age)")
                             .Register(*registry_)),
      config_reloads(prometheus::BuildCounter()
                         .Name("weft_config_reloads_total")
                         .Help("Pipeline configuration loads, by result (success, failure)")
                         .Register(*registry_)),
      config_reload_ok(prometheus::BuildGauge()
                           .Name("weft_config_last_reload_successful")
                           .Help("1 when every pipeline file was valid at the last (re)load")
                           .Register(*registry_)),
      build_info(prometheus::BuildGauge()
                     .Name("weft_build_info")
                     .Help("Always 1; labels describe the running build")
                     .Register(*registry_)) {
  build_info.Add({{"version", kVersion}}).Set(1);
  config_reload_ok.Add({}).Set(1);
}

PipelineMetrics::PipelineMetrics(DaemonMetrics& daemon, const std::string& pipeline,
                                 const std::string& source, const std::string& sink)
    : records_in(daemon.records_in.Add({{"pipeline", pipeline}})),
      records_out(daemon.records_out.Add({{"pipeline", pipeline}, {"sink", sink}})),
      sink_retryable_errors(daemon.sink_errors.Add(
          {{"pipeline", pipeline}, {"sink", sink}, {"kind", "retryable"}})),
      sink_permanent_errors(daemon.sink_errors.Add(
          {{"pipeline", pipeline}, {"sink", sink}, {"kind", "permanent"}})),
      source_errors(daemon.source_errors.Add({{"pipeline", pipeline}, {"source", source}})),
      up(daemon.pipeline_up.Add({{"pipeline", pipeline}})),
      last_success(daemon.last_success.Add({{"pipeline", pipeline}})),
      last_checkpoint(daemon.last_checkpoint.Add({{"pipeline", pipeline}})),
      in_flight(daemon.records_in_flight.Add({{"pipeline", pipeline}})),
      dead_lettered_sink(daemon.dead_lettered.Add({{"pipeline", pipeline}, {"stage", "sink"}})),
      dead_lettered_idempotency(
          daemon.dead_lettered.Add({{"pipeline", pipeline}, {"stage", "idempotency"}})),
      dead_lettered_map(daemon.dead_lettered.Add({{"pipeline", pipeline}, {"stage", "map"}})),
      dead_lettered_source(
          daemon.dead_lettered.Add({{"pipeline", pipeline}, {"stage", "source"}})),
      filtered(daemon.filtered.Add({{"pipeline", pipeline}})),
      duplicates(daemon.duplicates.Add({{"pipeline", pipeline}})),
      replayed(daemon.replayed.Add({{"pipeline", pipeline}})),
      dlq_depth(daemon.dlq_depth.Add({{"pipeline", pipeline}})),
      breaker_state(daemon.breaker_state.Add({{"pipeline", pipeline}, {"sink", sink}})),
      source_paused(daemon.source_paused.Add({{"pipeline", pipeline}})),
      operator_paused(daemon.operator_paused.Add({{"pipeline", pipeline}})),
      freshness(daemon.freshness.Add({{"pipeline", pipeline}})),
      freshness_breached(daemon.freshness_breached.Add({{"pipeline", pipeline}})),
      registry_(daemon.shared_registry()),
      unknown_fields_(daemon.unknown_fields),
      pipeline_(pipeline) {
  auto remember = [this](auto& family, auto& series) {
    remove_series_.push_back([&family, &series] { family.Remove(&series); });
  };
  remember(daemon.records_in, records_in);
  remember(daemon.records_out, records_out);
  remember(daemon.sink_errors, sink_retryable_errors);
  remember(daemon.sink_errors, sink_permanent_errors);
  remember(daemon.source_errors, source_errors);
  remember(daemon.pipeline_up, up);
  remember(daemon.last_success, last_success);
  remember(daemon.last_checkpoint, last_checkpoint);
  remember(daemon.records_in_flight, in_flight);
  remember(daemon.dead_lettered, dead_lettered_sink);
  remember(daemon.dead_lettered, dead_lettered_idempotency);
  remember(daemon.dead_lettered, dead_lettered_map);
  remember(daemon.dead_lettered, dead_lettered_source);
  remember(daemon.filtered, filtered);
  remember(daemon.duplicates, duplicates);
  remember(daemon.replayed, replayed);
  remember(daemon.dlq_depth, dlq_depth);
  remember(daemon.breaker_state, breaker_state);
  remember(daemon.source_paused, source_paused);
  remember(daemon.operator_paused, operator_paused);
  remember(daemon.freshness, freshness);
  remember(daemon.freshness_breached, freshness_breached);
}

PipelineMetrics::~PipelineMetrics() {
  for (auto& remove : remove_series_) remove();
  for (auto& [field, series] : unknown_field_series_) unknown_fields_.Remove(series);
}

void PipelineMetrics::add_unknown_fields(const std::string& field, double count) {
  auto [it, added] = unknown_field_series_.try_emplace(field, nullptr);
  if (added) it->second = &unknown_fields_.Add({{"pipeline", pipeline_}, {"field", field}});
  it->second->Increment(count);
}

}  // namespace weft
