#include "weft/registry.h"

#include <algorithm>

#include <gtest/gtest.h>

namespace weft {
namespace {

TEST(Registry, FindsConnectorsByKindAndType) {
  Registry r;
  ConnectorInfo source;
  source.type = "thing";
  r.add(source);
  ConnectorInfo sink;
  sink.type = "thing";
  sink.kind = ConnectorKind::kSink;
  r.add(sink);
  ASSERT_NE(r.find(ConnectorKind::kSource, "thing"), nullptr);
  EXPECT_EQ(r.find(ConnectorKind::kSink, "thing")->kind, ConnectorKind::kSink);
  EXPECT_EQ(r.find(ConnectorKind::kSource, "other"), nullptr);
  EXPECT_EQ(r.types(ConnectorKind::kSink), std::vector<std::string>{"thing"});
}

TEST(Registry, BuiltinListHasTheDefaultConnectorsWithFactories) {
  const Registry& r = builtin_registry();
  const ConnectorInfo* generate = r.find(ConnectorKind::kSource, "generate");
  const ConnectorInfo* file = r.find(ConnectorKind::kSink, "file");
  ASSERT_NE(generate, nullptr);
  ASSERT_NE(file, nullptr);
  EXPECT_TRUE(generate->make_source && !generate->make_sink);
  EXPECT_TRUE(file->make_sink && !file->make_source);
  EXPECT_TRUE(file->spec.find("path")->is_required);
}

TEST(Registry, TypesAreUniquePerKind) {
  const Registry& r = builtin_registry();
  for (auto kind : {ConnectorKind::kSource, ConnectorKind::kSink}) {
    auto types = r.types(kind);
    std::sort(types.begin(), types.end());
    EXPECT_EQ(std::adjacent_find(types.begin(), types.end()), types.end()) << to_string(kind);
  }
}

}  // namespace
}  // namespace weft
