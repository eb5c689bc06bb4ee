#pragma once

// The `warehouse` sink (docs/connectors/warehouse.md): each batch is one transaction that
// creates a staging table, bulk-loads the batch into it, applies it to the target (append, or
// a deduplicating merge with deletes), and stores the pipeline's position in the warehouse's
// _weft_checkpoints table. A crash at any point leaves either all of that or none of it.

#include <memory>

#include "warehouse/warehouse_config.h"
#include "weft/context.h"
#include "weft/sink.h"

namespace weft::warehouse {

std::unique_ptr<Sink> make_warehouse_sink(WarehouseConfig config, const ConnectorContext& ctx);

}  // namespace weft::warehouse
