#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "weft/status.h"

namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
}

namespace weft {

class WebhookIntake;  // src/webhook/intake.h

// Crosswalk tables for connectors: a sink translates a canonical id into its target's id
// (`external_id`), and writes back the id a target assigned (`link`: an upserted Salesforce
// Account's Id), so later pipelines can translate it. Both are thread-safe and cached.
struct CrosswalkAccess {
  // The system's id for a canonical id, or nullopt when it has none.
  std::function<Result<std::optional<std::string>>(const std::string& entity,
                                                   const std::string& canonical_id,
                                                   const std::string& system)>
      external_id;
  // Durably records that `external_id` in `system` is `canonical_id` of `entity`.
  std::function<Status(const std::string& entity, const std::string& system,
                       const std::string& external_id, const std::string& canonical_id)>
      link;
};

// The pipeline's ledger of processed objects in the state store, for sources that read whole
// objects (the files source): which objects were read to the end and acknowledged, by key and
// version (an S3 ETag), so none is read twice. Objects are numbered (`ordinal`) in the order
// they are read; one whose last record has left is pending until a checkpoint covers its
// number. All are thread-safe; unset without a store.
// One object in the ledger: `key` at `version`, object number `ordinal`, done or pending.
struct ObjectEntry {
  std::string key;
  std::string version;
  std::uint64_t ordinal = 0;
  bool done = false;
};

struct ObjectLedger {
  // For each key, the version recorded as done, or nullopt.
  std::function<Result<std::vector<std::optional<std::string>>>(
      const std::vector<std::string>& keys)>
      versions;
  // Durably records the entries (replacing what their keys had), in one transaction.
  std::function<Status(const std::vector<ObjectEntry>& entries)> record;
  // Marks the pending objects numbered up to `through` done; returns them (key, version).
  std::function<Result<std::vector<std::pair<std::string, std::string>>>(std::uint64_t through)>
      confirm;
  // Forgets the pending objects numbered after `after`: no checkpoint covers them.
  std::function<Status(std::uint64_t after)> discard;
};

// What the runtime hands a connector when it builds one. The logger already names the pipeline
// and connector on every line; connector metrics are registered in `metrics` with a `pipeline`
// label. Both outlive the connector.
struct ConnectorContext {
  std::string pipeline;
  std::string connector;  // connector type, e.g. "file"
  std::shared_ptr<spdlog::logger> logger;
  prometheus::Registry* metrics = nullptr;
  // The daemon's crosswalk tables (docs/mapping.md); unset when there are none (tests).
  CrosswalkAccess crosswalk;
  // The daemon's webhook listener and durable buffer, for the built-in webhook source; null
  // where the daemon has none (tests, `weft map`).
  WebhookIntake* webhooks = nullptr;
  // The pipeline's processed-object ledger; unset where there is no state store.
  ObjectLedger objects;
  // The pipeline's batch.max_records: the most records one read_batch or write_batch call
  // carries. 0 where no pipeline runs the connector (tests, `weft map`).
  std::size_t batch_max_records = 0;
};

}  // namespace weft
