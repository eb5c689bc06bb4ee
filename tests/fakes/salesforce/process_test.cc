// weft-fake-salesforce as a process: it prints its base URL first, and serves tokens and
// Collections on it with the limit given on its command line.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "support/child_process.h"
#include "support/http_client.h"

namespace weft::fakes::salesforce {
namespace {

using nlohmann::json;

TEST(FakeSalesforceProcessTest, PrintsItsBaseUrlAndServes) {
  test::ChildProcess child;
  child.start({WEFT_FAKE_SALESFORCE_BINARY, "--listen", "127.0.0.1:0", "--api-limit", "5",
               "--client-id", "cid", "--client-secret", "secret"},
              "/dev/null");
  const auto line = child.read_line(std::chrono::seconds(30));
  ASSERT_TRUE(line.has_value());
  const std::string prefix = "http://127.0.0.1:";
  ASSERT_TRUE(line->starts_with(prefix)) << *line;
  const auto port = static_cast<unsigned short>(std::stoi(line->substr(prefix.size())));

  const auto token =
      test::http_request("POST", "127.0.0.1", port, "/services/oauth2/token",
                         {{"Content-Type", "application/x-www-form-urlencoded"}},
                         "grant_type=client_credentials&client_id=cid&client_secret=secret");
  ASSERT_EQ(token.status, 200) << token.body;
  const json session = json::parse(token.body);
  EXPECT_EQ(session["instance_url"], *line);

  const auto upsert = test::http_request(
      "PATCH", "127.0.0.1", port, "/services/data/v62.0/composite/sobjects/Account/Ext__c",
      {{"Authorization", "Bearer " + session["access_token"].get<std::string>()},
       {"Content-Type", "application/json"}},
      R"({"allOrNone":false,"records":[{"attributes":{"type":"Account"},"Ext__c":"1"}]})");
  EXPECT_EQ(upsert.status, 200) << upsert.body;
  EXPECT_EQ(upsert.header("Sforce-Limit-Info"), "api-usage=1/5");
  const auto records = test::http_get("127.0.0.1", port, "/_admin/records/Account");
  EXPECT_EQ(json::parse(records.body).size(), 1u) << records.body;
  child.stop();
  EXPECT_FALSE(child.running());
}

}  // namespace
}  // namespace weft::fakes::salesforce
