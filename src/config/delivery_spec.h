#pragma once

#include <nlohmann/json_fwd.hpp>

#include "weft/config_spec.h"

namespace weft {

struct DaemonConfig;
struct PipelineSet;
struct Validation;

// The delivery middleware's pipeline settings (docs/delivery.md): retry, circuit_breaker,
// idempotency, dlq and rate_limit. Every block is optional and has working defaults.
void add_delivery_fields(ConfigSpec& spec);

// Checks between fields of the validated pipeline settings `top` (a file target needs a path; a
// rate limit is either its own or shared; the idempotency key parses). Reports into `v`.
void check_delivery_fields(const nlohmann::json& top, Validation& v);

// Adds an error to `pipelines.errors` (and moves the pipeline to failed_files) for each pipeline
// whose `rate_limit.shared` names a limit the daemon config does not define.
void check_shared_rate_limits(PipelineSet& pipelines, const DaemonConfig& daemon);

// The daemon's shared rate limits: `rate_limits: {<name>: {per_second, burst}}`, which pipelines
// reference with `rate_limit: {shared: <name>}` (one API quota for several pipelines).
const ConfigSpec& shared_rate_limit_spec();

}  // namespace weft
