// The one list of connectors built into weft. Adding a connector means adding one line here;
// there is no static self-registration, so what a binary contains is visible in one place.
#include "connectors/sinks/file/config.h"
#include "connectors/sinks/kafka/config.h"
#include "connectors/sinks/salesforce/config.h"
#include "connectors/sinks/warehouse/config.h"
#include "connectors/sources/files/config.h"
#include "connectors/sources/postgres_cdc/config.h"
#include "connectors/sources/generate/config.h"
#include "connectors/sources/kafka/config.h"
#include "connectors/sources/rest/config.h"
#include "connectors/sources/sql_query/config.h"
#include "connectors/sources/webhook/config.h"
#include <utility>

#include "weft/registry.h"

namespace weft {

namespace {

Registry& registry_instance() {
  static Registry registry = [] {
    Registry r;
    r.add(generate::info());
    r.add(webhook::info());
    r.add(rest::info());
    r.add(pgcdc::info());
    r.add(files::info());
    r.add(sql_query::info());
    r.add(file::info());
    r.add(kafka::source_info());
    r.add(kafka::sink_info());
    r.add(warehouse::sink_info());
    r.add(salesforce::sink_info());
    return r;
  }();
  return registry;
}

}  // namespace

const Registry& builtin_registry() { return registry_instance(); }

void add_builtin_connector(ConnectorInfo info) { registry_instance().add(std::move(info)); }

}  // namespace weft
