// What `weft validate` says about webhook sources: each mistake named at its file, line and
// field, before anything runs.

#include <gtest/gtest.h>

#include <string>

#include "config/environment.h"
#include "config/pipeline_config.h"
#include "config/pipeline_loader.h"
#include "support/temp_dir.h"
#include "weft/registry.h"

namespace weft {
namespace {

class WebhookConfigTest : public ::testing::Test {
 protected:
  // The errors of a pipeline whose source block is `source` (indented by the caller).
  std::string errors_of(const std::string& source) {
    const std::string path = temp_.write(
        "p.yaml", "name: p\nsource:\n" + source + "sink:\n  type: file\n  path: out.jsonl\n");
    auto loaded = load_pipeline_file(path, builtin_registry(), Environment{});
    std::string text;
    for (const auto& e : loaded.errors) text += e.format() + "\n";
    return text;
  }

  test::TempDir temp_;
};

TEST_F(WebhookConfigTest, AValidBlockHasNoErrors) {
  EXPECT_EQ(errors_of("  type: webhook\n  path: /hooks\n  signature:\n    scheme: github\n"
                      "    secret: s\n"),
            "");
}

TEST_F(WebhookConfigTest, AStandardWebhooksSecretMustBeWhsecBase64AndIsNeverEchoed) {
  const std::string errors = errors_of(
      "  type: webhook\n  path: /hooks\n  signature:\n    scheme: standard_webhooks\n"
      "    secrets: [whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, 'not base64!']\n");
  EXPECT_NE(errors.find("p.yaml:7:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("field 'source.signature.secrets' (secret 2)"), std::string::npos) << errors;
  EXPECT_EQ(errors.find("not base64!"), std::string::npos) << "secrets stay out of errors";
}

TEST_F(WebhookConfigTest, ASignedSchemeNeedsASecretAndNoneTakesNone) {
  EXPECT_NE(errors_of("  type: webhook\n  path: /hooks\n  signature:\n    scheme: stripe\n")
                .find("scheme stripe needs 'secret' or 'secrets'"),
            std::string::npos);
  EXPECT_NE(errors_of("  type: webhook\n  path: /hooks\n  signature:\n    scheme: none\n"
                      "    secret: s\n")
                .find("nothing would check them"),
            std::string::npos);
  EXPECT_NE(errors_of("  type: webhook\n  path: /hooks\n").find("signature"), std::string::npos)
      << "no silent default: an unsigned webhook must say scheme: none";
}

TEST_F(WebhookConfigTest, GenericHmacNeedsItsHeaderAndABodyInThePayload) {
  const std::string errors =
      errors_of("  type: webhook\n  path: /hooks\n  signature:\n    scheme: hmac\n"
                "    secret: s\n    payload: '{timestamp}'\n");
  EXPECT_NE(errors.find("field 'source.signature'"), std::string::npos) << errors;
}

TEST_F(WebhookConfigTest, PathsAndTemplatesAreChecked) {
  EXPECT_NE(errors_of("  type: webhook\n  path: hooks\n  signature:\n    scheme: none\n")
                .find("must start with '/'"),
            std::string::npos);
  const std::string errors = errors_of(
      "  type: webhook\n  path: /h\n  signature:\n    scheme: none\n  event_id: '{$.id'\n");
  EXPECT_NE(errors.find("p.yaml:7:"), std::string::npos) << errors;
  EXPECT_NE(errors.find("event_id"), std::string::npos) << errors;
}

TEST_F(WebhookConfigTest, TwoPipelinesCannotShareAPath) {
  const std::string block =
      "source:\n  type: webhook\n  path: /webhooks/stripe\n  signature:\n    scheme: none\n"
      "sink:\n  type: file\n  path: out.jsonl\n";
  temp_.write("pipelines/a.yaml", "name: a\n" + block);
  temp_.write("pipelines/b.yaml", "name: b\n" + block);
  PipelineSet set = load_pipeline_dir(temp_.file("pipelines"), builtin_registry(), Environment{});
  ASSERT_EQ(set.errors.size(), 1u);
  const std::string error = set.errors[0].format();
  EXPECT_NE(error.find("b.yaml"), std::string::npos) << error;
  EXPECT_NE(error.find("/webhooks/stripe is already used by"), std::string::npos) << error;
  EXPECT_NE(error.find("a.yaml"), std::string::npos) << error;
  EXPECT_EQ(set.pipelines.size(), 1u);
}

}  // namespace
}  // namespace weft
