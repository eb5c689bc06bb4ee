// Checks every built-in connector meets the same bar: its documented example is a valid
// configuration, unknown settings are rejected with a located error, every setting is
// described, and it can be closed without being connected.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "config/pipeline_config.h"
#include "connectors/run_coroutine.h"
#include "runtime/logging.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft {
namespace {

namespace fs = std::filesystem;

// The process environment, where every variable an example references resolves: examples write
// secrets as ${VAR}, as users should.
Environment example_environment() {
  Environment env = Environment::process();
  env.variable = [process = env.variable](const std::string& name) -> std::optional<std::string> {
    if (auto value = process(name)) return value;
    return "example-value-of-" + name;
  };
  return env;
}

class Compliance : public ::testing::TestWithParam<const ConnectorInfo*> {
 protected:

  // A pipeline file with the connector under test configured by `block` (YAML, one level deep)
  // and the other side filled with a minimal partner.
  std::string write_pipeline(const std::string& block) {
    const ConnectorInfo& info = *GetParam();
    auto indent = [](const std::string& yaml) {
      std::string out;
      std::size_t start = 0;
      while (start < yaml.size()) {
        auto end = yaml.find('\n', start);
        if (end == std::string::npos) end = yaml.size();
        out += "  " + yaml.substr(start, end - start) + "\n";
        start = end + 1;
      }
      return out;
    };
    std::string partner_source = "source:\n  type: generate\n";
    std::string partner_sink = "sink:\n  type: file\n  path: " + (dir_ / "partner.jsonl").string() + "\n";
    std::string text = "name: compliance\n";
    if (info.kind == ConnectorKind::kSource) {
      text += "source:\n" + indent(block) + partner_sink;
    } else {
      text += partner_source + "sink:\n" + indent(block);
    }
    return temp_.write("p.yaml", text);
  }

  weft::test::TempDir temp_;
  const fs::path& dir_ = temp_.path();
};

TEST_P(Compliance, DocumentedExampleIsAValidConfiguration) {
  auto loaded = load_pipeline_file(write_pipeline(GetParam()->example), builtin_registry(),
                                   example_environment());
  for (const auto& e : loaded.errors) ADD_FAILURE() << e.format();
  EXPECT_TRUE(loaded.ok());
}

TEST_P(Compliance, EveryFieldExampleIsAccepted) {
  const ConnectorInfo& info = *GetParam();
  for (const auto& field : info.spec.fields()) {
    for (const auto& example : field.examples) {
      // The documented example may already set the field; the later key must win, so strip it.
      std::string base;
      std::size_t start = 0;
      while (start < info.example.size()) {
        auto end = info.example.find('\n', start);
        std::string line = info.example.substr(start, end - start);
        if (line.rfind(field.name + ":", 0) != 0) base += line + "\n";
        start = end == std::string::npos ? info.example.size() : end + 1;
      }
      auto loaded = load_pipeline_file(write_pipeline(base + field.name + ": " + example),
                                       builtin_registry(), example_environment());
      for (const auto& e : loaded.errors) {
        ADD_FAILURE() << info.type << "." << field.name << " example '" << example
                      << "': " << e.format();
      }
    }
  }
}

// The connector's own checks run on what its spec lets through: the documented example with any
// one setting left out is a valid pipeline or a located error naming it, never a crash (an
// optional object's absence once aborted `weft validate`).
TEST_P(Compliance, LeavingOutAnySettingIsFineOrAnErrorNeverACrash) {
  const ConnectorInfo& info = *GetParam();
  for (const auto& field : info.spec.fields()) {
    std::string base;  // the example without `field` and the lines indented under it
    bool inside = false;
    std::size_t start = 0;
    while (start < info.example.size()) {
      auto end = info.example.find('\n', start);
      std::string line = info.example.substr(start, end - start);
      start = end == std::string::npos ? info.example.size() : end + 1;
      if (line.rfind(field.name + ":", 0) == 0) {
        inside = true;
        continue;
      }
      if (inside && (line.starts_with(" ") || line.starts_with("-"))) continue;
      inside = false;
      base += line + "\n";
    }
    auto loaded = load_pipeline_file(write_pipeline(base), builtin_registry(),
                                     example_environment());
    if (field.is_required) {
      ASSERT_FALSE(loaded.ok()) << info.type << "." << field.name << " is required";
      EXPECT_NE(loaded.errors[0].format().find(field.name), std::string::npos)
          << loaded.errors[0].format();
    }
  }
}

TEST_P(Compliance, UnknownSettingIsRejectedWithItsLocation) {
  auto path = write_pipeline(GetParam()->example + "no_such_setting: 1\n");
  auto loaded = load_pipeline_file(path, builtin_registry(), example_environment());
  ASSERT_FALSE(loaded.ok());
  ASSERT_FALSE(loaded.errors.empty());
  std::string message = loaded.errors[0].format();
  EXPECT_NE(message.find(path + ":"), std::string::npos) << message;
  EXPECT_NE(message.find("no_such_setting"), std::string::npos) << message;
}

TEST_P(Compliance, EverySettingIsDescribed) {
  for (const auto& field : GetParam()->spec.fields()) {
    EXPECT_FALSE(field.description_text.empty()) << GetParam()->type << "." << field.name;
  }
  EXPECT_FALSE(GetParam()->summary.empty());
}

TEST_P(Compliance, ClosesWithoutConnecting) {
  const ConnectorInfo& info = *GetParam();
  auto loaded = load_pipeline_file(write_pipeline(info.example), builtin_registry(),
                                   example_environment());
  ASSERT_TRUE(loaded.ok());
  const PipelineConfig& p = *loaded.value;
  prometheus::Registry metrics;
  ConnectorContext ctx;
  ctx.pipeline = "compliance";
  ctx.connector = info.type;
  ctx.logger = make_logger("compliance/" + info.type);
  ctx.metrics = &metrics;
  if (info.kind == ConnectorKind::kSource) {
    auto source = info.make_source(p.source.settings, ctx);
    ASSERT_TRUE(source.ok());
    testing::run_coroutine((*source)->close());
  } else {
    auto sink = info.make_sink(p.sink.settings, ctx);
    ASSERT_TRUE(sink.ok());
    testing::run_coroutine((*sink)->close());
  }
}

std::vector<const ConnectorInfo*> all_connectors() {
  std::vector<const ConnectorInfo*> out;
  for (const auto& info : builtin_registry().all()) out.push_back(&info);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Builtin, Compliance, ::testing::ValuesIn(all_connectors()),
                         [](const auto& param) {
                           return std::string(to_string(param.param->kind)) + "_" +
                                  param.param->type;
                         });

}  // namespace
}  // namespace weft
