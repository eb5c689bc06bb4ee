#include <gtest/gtest.h>

#include "config/pipeline_config.h"
#include "config_test_util.h"

namespace weft {
namespace {

// A registry whose sink has a path field, as the file sink does.
Registry registry_with_path_field() {
  Registry r;
  ConnectorInfo source;
  source.type = "generate";
  r.add(source);
  ConnectorInfo sink;
  sink.type = "file";
  sink.kind = ConnectorKind::kSink;
  sink.spec.path("path").required().description("where to write");
  sink.spec.path("archive").default_value("archive/out").description("default is relative too");
  r.add(sink);
  return r;
}

TEST(PathField, RelativePathsResolveAgainstThePipelineFilesDirectory) {
  testing::TempDir dir;
  std::string file = dir.write("pipelines/p.yaml",
                               "name: p\nsource: {type: generate}\n"
                               "sink: {type: file, path: ../data/out.jsonl}\n");
  auto loaded = load_pipeline_file(file, registry_with_path_field(), testing::fake_env());
  ASSERT_TRUE(loaded.ok()) << testing::formatted(loaded.errors)[0];
  EXPECT_EQ(loaded.value->sink.settings.string("path"), (dir.path() / "data/out.jsonl").string());
  EXPECT_EQ(loaded.value->sink.settings.string("archive"),
            (dir.path() / "pipelines/archive/out").string());
}

TEST(PathField, AbsoluteAndInterpolatedAbsolutePathsAreKept) {
  testing::TempDir dir;
  std::string file = dir.write("p.yaml",
                               "name: p\nsource: {type: generate}\n"
                               "sink: {type: file, path: '${OUT}/x.jsonl'}\n");
  auto loaded = load_pipeline_file(file, registry_with_path_field(),
                                   testing::fake_env({{"OUT", "/var/lib/weft"}}));
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ(loaded.value->sink.settings.string("path"), "/var/lib/weft/x.jsonl");
}

}  // namespace
}  // namespace weft
