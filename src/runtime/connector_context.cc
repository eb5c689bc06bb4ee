#include "runtime/connector_context.h"

#include <spdlog/spdlog.h>

#include "mapper/crosswalk.h"
#include "state/state_store.h"

namespace weft {

ConnectorContext make_connector_context(const std::string& pipeline, const std::string& type,
                                        spdlog::logger& pipeline_log,
                                        prometheus::Registry& metrics,
                                        const SharedServices& shared, StateStore* state) {
  ConnectorContext ctx;
  ctx.pipeline = pipeline;
  ctx.connector = type;
  ctx.logger = pipeline_log.clone(pipeline + "/" + type);
  ctx.metrics = &metrics;
  ctx.webhooks = shared.webhooks;
  if (Crosswalk* crosswalk = shared.crosswalk; crosswalk != nullptr) {
    ctx.crosswalk.external_id = [crosswalk](const std::string& entity,
                                            const std::string& canonical_id,
                                            const std::string& system) {
      return crosswalk->to_external(entity, canonical_id, system);
    };
    ctx.crosswalk.link = [crosswalk](const std::string& entity, const std::string& system,
                                     const std::string& external_id,
                                     const std::string& canonical_id) {
      return crosswalk->put(entity, system, external_id, canonical_id);
    };
  }
  if (state != nullptr) {
    ctx.objects.versions = [state, pipeline](const std::vector<std::string>& keys) {
      return state->processed_versions(pipeline, keys);
    };
    ctx.objects.record = [state, pipeline](const std::vector<ObjectEntry>& entries) {
      return state->record_processed(pipeline, entries, Clock::now());
    };
    ctx.objects.confirm = [state, pipeline](std::uint64_t through) {
      return state->confirm_processed(pipeline, through);
    };
    ctx.objects.discard = [state, pipeline](std::uint64_t after) -> Status {
      auto discarded = state->discard_pending(pipeline, after);
      if (!discarded) return discarded.error();
      return Status{};
    };
  }
  return ctx;
}

}  // namespace weft
