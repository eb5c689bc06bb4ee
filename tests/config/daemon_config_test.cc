#include "config/daemon_config.h"

#include <algorithm>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config_test_util.h"

namespace weft {
namespace {

using ::testing::ElementsAre;

class DaemonConfigFile : public ::testing::Test {
 protected:
  Loaded<DaemonConfig> load(const std::string& yaml) {
    dir_.write("config/weft.yaml", yaml);
    return load_daemon_config(path_, env_);
  }
  std::vector<std::string> errors(const std::string& yaml) {
    return testing::formatted(load(yaml).errors);
  }
  std::string root(const std::string& relative) const {
    return (dir_.path() / relative).lexically_normal().string();
  }

  testing::TempDir dir_;
  Environment env_ = testing::fake_env({{"WEFT_ADMIN_TOKEN", "tok-123"}});
  const std::string path_ = (dir_.path() / "config" / "weft.yaml").string();
};

TEST_F(DaemonConfigFile, DefaultsResolveRelativeToTheConfigFile) {
  auto loaded = load("{}\n");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(testing::formatted(loaded.errors));
  const DaemonConfig& c = *loaded.value;
  EXPECT_EQ(c.file, path_);
  EXPECT_EQ(c.state_path, root("data/weft.db"));
  EXPECT_EQ(c.pipelines_dir, root("pipelines"));
  EXPECT_EQ(c.admin_listen, "127.0.0.1:8686");
  EXPECT_EQ(c.admin_token, "");
  EXPECT_EQ(c.log_level, "info");
  EXPECT_EQ(c.log_format, "text");
  EXPECT_EQ(c.shutdown_deadline, std::chrono::seconds(30));
  EXPECT_EQ(c.workers, 2);
  EXPECT_EQ(c.crosswalk_cache_entries, 100000u);
}

TEST_F(DaemonConfigFile, ReadsEverySetting) {
  auto loaded = load(R"(state: {path: state/weft.db}
admin: {listen: "[::1]:0", token: "${WEFT_ADMIN_TOKEN}"}
log: {level: debug, format: json}
pipelines: {dir: /etc/weft/pipelines/}
shutdown: {deadline: 1m30s}
crosswalk: {cache_entries: 2000000}
workers: 8
)");
  ASSERT_TRUE(loaded.ok()) << ::testing::PrintToString(testing::formatted(loaded.errors));
  const DaemonConfig& c = *loaded.value;
  EXPECT_EQ(c.state_path, root("config/state/weft.db"));
  EXPECT_EQ(c.pipelines_dir, "/etc/weft/pipelines/");
  EXPECT_EQ(c.admin_listen, "[::1]:0");
  EXPECT_EQ(c.admin_token, "tok-123");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_EQ(c.log_format, "json");
  EXPECT_EQ(c.shutdown_deadline, std::chrono::seconds(90));
  EXPECT_EQ(c.workers, 8);
  EXPECT_EQ(c.crosswalk_cache_entries, 2000000u);
}

TEST_F(DaemonConfigFile, RejectsListenAddressesThatAreNotHostPort) {
  const std::string hint =
      " (hint: write host:port, e.g. 127.0.0.1:8686 or [::1]:8686; port 0 picks a free port)";
  EXPECT_THAT(errors("admin:\n  listen: localhost\n"),
              ElementsAre(path_ + ":2:11: error: field 'admin.listen': \"localhost\": expected "
                                  "host:port, e.g. 127.0.0.1:8686 or [::1]:8686" + hint));
  EXPECT_THAT(errors("admin: {listen: '127.0.0.1:70000'}\n"),
              ElementsAre(path_ + ":1:17: error: field 'admin.listen': \"127.0.0.1:70000\": port "
                                  "must be a number from 0 to 65535" + hint));
  EXPECT_THAT(errors("admin: {listen: ':8686'}\n"),
              ElementsAre(path_ + ":1:17: error: field 'admin.listen': \":8686\": missing host; "
                                  "expected host:port, e.g. 127.0.0.1:8686 or [::1]:8686" +
                          hint));
  EXPECT_THAT(errors("admin: {listen: 'host:http'}\n"),
              ElementsAre(path_ + ":1:17: error: field 'admin.listen': \"host:http\": 'host' is "
                                  "not an IP address (host names are not resolved)" + hint));
  EXPECT_THAT(errors("admin: {listen: '::1:80'}\n"),
              ElementsAre(path_ + ":1:17: error: field 'admin.listen': \"::1:80\": an IPv6 "
                                  "address needs brackets, e.g. [::1]:8686" + hint));
}

TEST_F(DaemonConfigFile, ReportsEveryInvalidSettingAtOnce) {
  EXPECT_THAT(
      errors("workers: 0\nworker: 4\nlog:\n  level: verbose\nshutdown: {deadline: 50ms}\n"
             "admin: {listen: nope}\n"),
      ElementsAre(path_ + ":1:10: error: field 'workers': 0 is below the minimum of 1",
                  path_ + ":2:1: error: unknown field 'worker' (hint: did you mean 'workers'?)",
                  path_ + ":4:10: error: field 'log.level': 'verbose' is not one of the allowed "
                          "values (hint: allowed values: trace, debug, info, warn, error)",
                  path_ + ":5:22: error: field 'shutdown.deadline': 50ms is below the minimum "
                          "of 100ms",
                  path_ + ":6:17: error: field 'admin.listen': \"nope\": expected host:port, "
                          "e.g. 127.0.0.1:8686 or [::1]:8686 (hint: write host:port, e.g. 127.0.0.1:8686 or [::1]:8686; "
                          "port 0 picks a free port)"));
}

TEST_F(DaemonConfigFile, AdminTokenIsSecretAndNeverShown) {
  const FieldSpec* admin = daemon_spec().find("admin");
  ASSERT_NE(admin, nullptr);
  auto token = std::find_if(admin->fields.begin(), admin->fields.end(),
                            [](const FieldSpec& f) { return f.name == "token"; });
  ASSERT_NE(token, admin->fields.end());
  EXPECT_TRUE(token->is_secret);
  // Wrong shapes are described by kind, never by content.
  EXPECT_THAT(errors("admin: {token: {value: tok-123}}\n"),
              ElementsAre(path_ + ":1:16: error: field 'admin.token': expected string, got a "
                                  "mapping"));
}

TEST_F(DaemonConfigFile, EmptyAndMissingFilesAreErrors) {
  EXPECT_THAT(errors(""), ElementsAre(path_ + ": error: file is empty (hint: write {} to use "
                                              "every default)"));
  const std::string missing = (dir_.path() / "nope.yaml").string();
  EXPECT_THAT(testing::formatted(load_daemon_config(missing, env_).errors),
              ElementsAre(missing + ": error: cannot read file: No such file or directory"));
}

}  // namespace
}  // namespace weft
