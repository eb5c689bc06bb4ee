#pragma once

#include <memory>

#include "webhook/webhook_config.h"
#include "weft/context.h"
#include "weft/source.h"

namespace weft {

class WebhookIntake;

// The `webhook` source: claims its path on the daemon's listener at connect, and hands the
// pipeline what the route made durable, in buffer order. A commit has the intake delete acked
// events from the buffer; after a crash the pipeline resumes after its checkpoint, so every
// event answered 2xx is delivered at least once. Fails at connect when `intake` is null (no
// listener: `weft run` provides one).
Result<std::unique_ptr<Source>> make_webhook_source(webhook::WebhookConfig config,
                                                    const ConnectorContext& context,
                                                    WebhookIntake* intake);

}  // namespace weft
