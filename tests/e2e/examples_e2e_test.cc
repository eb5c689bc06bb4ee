// Every pipeline of pipelines/examples/ in the real weft binary, one test each. The daemon loads
// the example file itself (a link to it, beside a link to its models directory, as the compose
// stack mounts them); only the values of the environment variables its header names differ from
// the compose stack's: they point at the test services. PostgreSQL is seeded by
// docker/postgres/init's own 02-shop.sql. Each test feeds a few records in and asserts what
// arrived at the other end.

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "e2e/e2e_helpers.h"
#include "e2e/weft_process.h"
#include "fakes/fake_rest_api.h"
#include "support/child_process.h"
#include "support/http_client.h"
#include "support/kafka_cluster.h"
#include "support/postgres_server.h"
#include "support/s3_server.h"
#include "support/temp_dir.h"
#include "webhook/signature.h"

namespace weft::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using nlohmann::json;

const fs::path kSourceDir = WEFT_SOURCE_DIR;

std::string read_file(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Lines of `csv` (weft crosswalk export's output) as external_id -> canonical_id.
std::map<std::string, std::string> crosswalk_links(const std::string& csv) {
  std::map<std::string, std::string> links;
  std::istringstream in(csv);
  for (std::string line; std::getline(in, line);) {
    const auto third = line.find(',', line.find(',') + 1);
    const auto fourth = line.find(',', third + 1);
    if (line.rfind("customer,", 0) != 0 || fourth == std::string::npos) continue;
    links[line.substr(third + 1, fourth - third - 1)] = line.substr(fourth + 1);
  }
  return links;
}

// weft-fake-salesforce in a process of its own, read through its /_admin API. The sink logs in
// with the fake's default connected app.
class FakeOrg {
 public:
  static constexpr const char* kClientId = "fake-consumer-key";
  static constexpr const char* kClientSecret = "fake-consumer-secret";

  explicit FakeOrg(const TempDir& dir) {
    process_.start({WEFT_FAKE_SALESFORCE_BINARY}, dir.file("fake-salesforce.log"));
    base_url_ = process_.read_line(30s).value_or("");
    if (base_url_.empty()) return;
    port_ = static_cast<unsigned short>(std::stoi(base_url_.substr(base_url_.rfind(':') + 1)));
  }
  const std::string& base_url() const { return base_url_; }
  // The stored Accounts, in creation order.
  json accounts() const {
    const auto response = http_get("127.0.0.1", port_, "/_admin/records/Account");
    return response.status == 200 ? json::parse(response.body, nullptr, false) : json::array();
  }
  // The stored Accounts by `field`.
  std::map<std::string, json> accounts_by(const std::string& field) const {
    std::map<std::string, json> out;
    for (const auto& account : accounts()) out[account.value(field, "")] = account;
    return out;
  }

 private:
  ChildProcess process_;
  std::string base_url_;
  unsigned short port_ = 0;
};

class ExamplesE2ETest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_.write("config/weft.yaml",
               "state:\n  path: ../data/weft.db\nadmin:\n  listen: 127.0.0.1:0\n"
               "pipelines:\n  dir: ../pipelines\nshutdown:\n  deadline: 10s\n"
               "webhooks:\n  listen: 127.0.0.1:0\n");
    fs::create_directories(dir_.path() / "pipelines");
    fs::create_directory_symlink(kSourceDir / "pipelines/examples/models",
                                 dir_.path() / "pipelines/models");
  }

  static PostgresServer& pg() { return PostgresServer::shared(); }

  // Starts weft with the example `name` (its file is pipelines/examples/<name>.yaml and its
  // pipeline has the same name). `env` holds the variables the example reads, set in this
  // process for weft to inherit, as the compose file sets them for the container.
  std::unique_ptr<WeftProcess> start(const std::string& name,
                                     const std::map<std::string, std::string>& env) {
    fs::create_symlink(kSourceDir / "pipelines/examples" / (name + ".yaml"),
                       dir_.path() / "pipelines" / (name + ".yaml"));
    for (const auto& [variable, value] : env) ::setenv(variable.c_str(), value.c_str(), 1);
    auto weft = std::make_unique<WeftProcess>(std::vector<std::string>{"run", "--config", config()},
                                              dir_.file(name + ".log"));
    admin_port_ = weft->admin_port(30s).value_or(0);
    EXPECT_NE(admin_port_, 0) << weft->output();
    return weft;
  }

  static void stop(WeftProcess& weft) {
    weft.signal(SIGTERM);
    EXPECT_EQ(weft.wait(30s), 0) << weft.output();
  }

  std::string config() const { return dir_.file("config/weft.yaml"); }

  // A database `db` set up as docker/postgres/init sets up the compose stack's `shop`: the role
  // weft with REPLICATION (01-weft-role.sh; no password, the test server trusts local
  // connections), then 02-shop.sql itself. Returns the DSN weft connects with.
  static std::string seed_shop(const std::string& db) {
    pg().execute(
        "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'weft') THEN "
        "CREATE ROLE weft WITH LOGIN REPLICATION; END IF; END $$");
    pg().create_database(db);
    pg().execute(read_file(kSourceDir / "docker/postgres/init/02-shop.sql"), db);
    return pg().conninfo(db, "weft");
  }

  // The first value of `sql` in `db`, or "" while it fails (e.g. the table is not created yet).
  static std::string value(const std::string& db, const std::string& sql) {
    try {
      return pg().scalar(sql, db);
    } catch (const std::exception&) {
      return "";
    }
  }

  TempDir dir_;
  unsigned short admin_port_ = 0;
};

TEST_F(ExamplesE2ETest, StripeCustomersToKafka) {
  constexpr const char* kSecret = "whsec_examples_e2e";
  KafkaCluster kafka;
  kafka.create_topic("canonical.customers", 1);
  auto weft = start("stripe-customers-to-kafka",
                    {{"STRIPE_WEBHOOK_SECRET", kSecret}, {"KAFKA_BROKERS", kafka.bootstrap()}});
  const auto port = weft->webhook_port(30s);
  ASSERT_TRUE(port.has_value()) << weft->output();
  // Posts `body` signed with `secret` as Stripe signs it; returns the HTTP status.
  const auto post = [&](const std::string& body, const std::string& secret) {
    webhook::SignatureConfig signature;
    signature.scheme = webhook::Scheme::kStripe;
    signature.secrets = {secret};
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::map<std::string, std::string> headers{{"Content-Type", "application/json"}};
    for (auto& [name, value] : webhook::sign(signature, body, now)) headers[name] = value;
    return http_request("POST", "127.0.0.1", *port, "/webhooks/stripe", headers, body).status;
  };
  EXPECT_EQ(post(R"({"id":"evt_1","type":"customer.created","created":1700000123,"data":{"object":)"
                 R"({"id":"cus_P5qXyZ1a2b3c","email":"  Jane.Doe@Example.com ","name":"Jane Doe",)"
                 R"("phone":"+49 30 1234567","address":{"country":"de"},"created":1700000120}}})",
                 kSecret),
            200);
  EXPECT_EQ(post(R"({"id":"evt_2","type":"invoice.paid","created":1700000200,"data":{"object":)"
                 R"({"id":"in_1","customer":"cus_P5qXyZ1a2b3c"}}})",
                 kSecret),
            200)
      << "accepted, then filtered";
  EXPECT_EQ(post(R"({"id":"evt_3","type":"customer.created","created":1700000300,"data":{"object":)"
                 R"({"id":"cus_forged","email":"x@example.com","created":1700000300}}})",
                 "whsec_not_the_secret"),
            401);
  EXPECT_EQ(post(R"({"id":"evt_4","type":"customer.deleted","created":1700000400,"data":{"object":)"
                 R"({"id":"cus_P5qXyZ1a2b3c","email":"jane.doe@example.com","created":1700000120,)"
                 R"("deleted":true}}})",
                 kSecret),
            200);

  const auto messages = kafka.consume("canonical.customers", 2, 60s);
  ASSERT_EQ(messages.size(), 2u) << weft->output();
  // The canonical id docs/mapping.md promises for this Stripe id, as the message key.
  const std::string id = "6430341d-0885-5380-b35d-fd04f402c7c1";
  EXPECT_EQ(messages[0].key, id);
  EXPECT_EQ(json::parse(messages[0].value.value_or("null")),
            json::parse(R"({"country":"DE","created_at":"2023-11-14T22:15:20Z",)"
                        R"("email":"jane.doe@example.com","id":")" +
                        id +
                        R"(","name":"Jane Doe",)"
                        R"("phone":"+49 30 1234567","source_system":"stripe","status":"active",)"
                        R"("updated_at":"2023-11-14T22:15:23Z"})"));
  EXPECT_EQ(messages[1].key, id);
  EXPECT_EQ(json::parse(messages[1].value.value_or("null")).value("status", ""), "deleted");
  stop(*weft);
  EXPECT_EQ(weft->output().find(kSecret), std::string::npos) << "the secret is never logged";
}

TEST_F(ExamplesE2ETest, PostgresCdcToKafka) {
  KafkaCluster kafka;
  kafka.create_topic("shop.public.customers", 1);
  kafka.create_topic("shop.public.orders", 1);
  const std::string db = "cdc_to_kafka";
  const std::string dsn = seed_shop(db);
  auto weft =
      start("postgres-cdc-to-kafka", {{"PG_DSN", dsn}, {"KAFKA_BROKERS", kafka.bootstrap()}});

  // The snapshot: the seeded rows, op "r", keyed by id.
  const auto orders = kafka.consume("shop.public.orders", 8, 60s);
  ASSERT_EQ(orders.size(), 8u) << weft->output();
  for (const auto& m : orders) {
    const auto change = json::parse(m.value.value_or("null"));
    EXPECT_EQ(change["op"], "r");
    EXPECT_EQ(m.key, change["after"]["id"].dump());
    EXPECT_EQ(change["source"]["table"], "orders");
  }
  ASSERT_EQ(kafka.consume("shop.public.customers", 5, 60s).size(), 5u) << weft->output();

  // Then changes, each its own transaction.
  const std::string added = pg().scalar(
      "INSERT INTO customers (email, name, country) VALUES ('ada@example.com', 'Ada', 'GB') "
      "RETURNING id",
      db);
  pg().execute("UPDATE customers SET status = 'inactive' WHERE id = 1", db);
  pg().execute("DELETE FROM customers WHERE id = " + added, db);
  const auto customers = kafka.consume("shop.public.customers", 8, 60s);
  ASSERT_EQ(customers.size(), 8u) << weft->output();
  const auto create = json::parse(customers[5].value.value_or("null"));
  EXPECT_EQ(create["op"], "c");
  EXPECT_EQ(create["after"]["email"], "ada@example.com");
  EXPECT_EQ(customers[5].key, added);
  const auto update = json::parse(customers[6].value.value_or("null"));
  EXPECT_EQ(update["op"], "u");
  EXPECT_EQ(update["before"]["status"], "active") << "REPLICA IDENTITY FULL: the whole old row";
  EXPECT_EQ(update["after"]["status"], "inactive");
  EXPECT_TRUE(update["source"]["lsn"].is_number());
  const auto remove = json::parse(customers[7].value.value_or("null"));
  EXPECT_EQ(remove["op"], "d");
  EXPECT_TRUE(remove["after"].is_null());
  EXPECT_EQ(remove["before"]["email"], "ada@example.com");
  EXPECT_EQ(customers[7].key, added);
  const std::vector<std::pair<std::string, std::string>>& headers = customers[7].headers;
  EXPECT_NE(std::find(headers.begin(), headers.end(),
                      std::pair<std::string, std::string>("_table", "public.customers")),
            headers.end());
  stop(*weft);
}

TEST_F(ExamplesE2ETest, PostgresCdcToWarehouse) {
  const std::string db = "cdc_to_warehouse";
  const std::string dsn = seed_shop(db);
  auto weft = start("postgres-cdc-to-warehouse", {{"PG_DSN", dsn}, {"WAREHOUSE_DSN", dsn}});
  const std::string ids = "SELECT string_agg(id::text, ',' ORDER BY id) FROM analytics.customers";
  ASSERT_TRUE(eventually([&] { return value(db, ids) == "1,2,3,4,5"; }, 60s)) << weft->output();

  const std::string added = pg().scalar(
      "INSERT INTO customers (email, name) VALUES ('ada@example.com', 'Ada') RETURNING id", db);
  pg().execute("UPDATE customers SET name = 'Jane Q. Doe' WHERE id = 1", db);
  pg().execute("DELETE FROM orders WHERE customer_id = 4; DELETE FROM customers WHERE id = 4", db);
  ASSERT_TRUE(eventually([&] { return value(db, ids) == "1,2,3,5," + added; }, 60s))
      << value(db, ids) << "\n"
      << weft->output();
  EXPECT_TRUE(eventually([&] {
    return value(db, "SELECT name || ' ' || __op FROM analytics.customers WHERE id = 1") ==
           "Jane Q. Doe u";
  }));
  EXPECT_EQ(value(db, "SELECT email FROM analytics.customers WHERE id = " + added),
            "ada@example.com");
  EXPECT_EQ(value(db,
                  "SELECT count(*) FROM analytics._weft_checkpoints "
                  "WHERE pipeline = 'postgres-cdc-to-warehouse'"),
            "1")
      << "the position is stored in the warehouse, beside the data";
  stop(*weft);
}

TEST_F(ExamplesE2ETest, S3CsvToWarehouseWithTheBadRowInTheDeadLetterQueue) {
  const std::string bucket = "examples-drops";
  const std::string key = "incoming/customers_2024-11-27.csv";
  auto& s3 = S3Server::shared();
  s3.create_bucket(bucket);
  s3.put_object(bucket, key,
                "id,email,name,country,signed_up_at\n"
                "1, Ada@Example.com ,Ada Lovelace,gb,2024-03-01T09:15:00Z\n"
                "2,alan@example.com,\"Turing, Alan\",gb,1700000000\n"
                "3,grace@example.com,Grace Hopper\n"
                "4,edsger@example.com,Edsger Dijkstra,nl,2024-03-02\n");
  s3.put_object(bucket, "incoming/orders_2024-11-27.csv", "not a customers drop\n");
  const std::string db = "csv_to_warehouse";
  auto weft = start("s3-csv-to-warehouse", {{"S3_BUCKET", bucket},
                                            {"S3_ENDPOINT", s3.endpoint()},
                                            {"AWS_REGION", "us-east-1"},
                                            {"AWS_ACCESS_KEY_ID", S3Server::kAccessKeyId},
                                            {"AWS_SECRET_ACCESS_KEY", S3Server::kSecretAccessKey},
                                            {"WAREHOUSE_DSN", seed_shop(db)}});
  ASSERT_TRUE(eventually(
      [&] {
        return s3.list_keys(bucket, "processed/") ==
               std::vector<std::string>{"processed/customers_2024-11-27.csv"};
      },
      60s))
      << weft->output();
  EXPECT_EQ(s3.list_keys(bucket, "incoming/"),
            std::vector<std::string>{"incoming/orders_2024-11-27.csv"});
  EXPECT_EQ(pg().execute("SELECT id, email, name, country, "
                         "extract(epoch FROM signed_up_at)::bigint::text, source_file "
                         "FROM analytics.partner_customers ORDER BY id",
                         db),
            (PostgresServer::Rows{
                {"1", "ada@example.com", "Ada Lovelace", "GB", "1709284500", key},
                {"2", "alan@example.com", "Turing, Alan", "GB", "1700000000", key},
                {"4", "edsger@example.com", "Edsger Dijkstra", "NL", "1709337600", key}}));
  EXPECT_EQ(value(db,
                  "SELECT data_type FROM information_schema.columns WHERE table_schema = "
                  "'analytics' AND table_name = 'partner_customers' AND column_name = 'id'"),
            "bigint");
  stop(*weft);

  auto [code, listed] =
      run_weft({"dlq", "list", "--pipeline", "s3-csv-to-warehouse", "--json", "--config", config()},
               dir_.file("dlq.log"));
  ASSERT_EQ(code, 0) << listed;
  // After a notice on stderr: with no daemon to ask, the CLI reads the state file.
  const auto parsed = json::parse(
      listed.substr(std::min(listed.find("{\"entries\""), listed.size())), nullptr, false);
  ASSERT_TRUE(parsed.is_object()) << listed;
  const auto entries = parsed.value("entries", json::array());
  ASSERT_EQ(entries.size(), 1u) << listed;
  EXPECT_EQ(entries[0].value("stage", ""), "source");
  EXPECT_EQ(entries[0].value("error", ""),
            "s3://" + bucket + "/" + key + " line 4: row has 3 fields, expected 5");
}

TEST_F(ExamplesE2ETest, RestApiToWarehouseTwoPagesThenAnIncrementalRun) {
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  fakes::FakeRestApiOptions options;
  options.records = 150;  // two pages of the example's 100
  options.auth = fakes::parse_auth("bearer:e2e-crm-token").value();
  auto started = fakes::FakeRestApi::start(io, options);
  ASSERT_TRUE(started.ok()) << started.error().message();
  auto api = std::move(*started);
  std::thread server([&] { io.run(); });
  const auto stop_server = [&] {
    api->stop();
    work.reset();
    io.stop();
    server.join();
  };
  // Requests for the contacts API, in order.
  const auto requests = [&] {
    std::vector<std::string> targets;
    for (const auto& r : api->requests()) {
      if (r.target.rfind("/cursor/items", 0) == 0) targets.push_back(r.target);
    }
    return targets;
  };

  const std::string db = "rest_to_warehouse";
  auto weft = start("rest-api-to-warehouse", {{"CRM_API_URL", api->base_url() + "/cursor/items"},
                                              {"CRM_API_TOKEN", "e2e-crm-token"},
                                              {"WAREHOUSE_DSN", seed_shop(db)}});
  const std::string count = "SELECT count(*) FROM analytics.crm_contacts";
  ASSERT_TRUE(eventually([&] { return value(db, count) == "150"; }, 60s)) << weft->output();
  auto targets = requests();
  ASSERT_EQ(targets.size(), 2u);
  EXPECT_EQ(targets[0].find("cursor="), std::string::npos) << targets[0];
  EXPECT_NE(targets[1].find("cursor="), std::string::npos) << "the second page, by its cursor";
  EXPECT_EQ(value(db, "SELECT name || ' ' || email FROM analytics.crm_contacts WHERE number = 42"),
            "Customer 42 customer42@example.com");

  // A changed and a new contact; the next run asks only for what changed since the last one.
  ASSERT_TRUE(api->upsert_record(json::parse(R"([{"number": 7, "name": "Customer 7, renamed"},)"
                                             R"({"number": 151}])"))
                  .ok());
  api->clear_requests();
  const auto trigger = http_request("POST", "127.0.0.1", admin_port_,
                                    "/api/pipelines/rest-api-to-warehouse/trigger");
  EXPECT_EQ(trigger.status, 202) << trigger.body;
  ASSERT_TRUE(eventually(
      [&] {
        return value(db, count) == "151" &&
               value(db, "SELECT name FROM analytics.crm_contacts WHERE number = 7") ==
                   "Customer 7, renamed";
      },
      60s))
      << weft->output();
  targets = requests();
  ASSERT_FALSE(targets.empty());
  EXPECT_NE(targets[0].find("updated_since="), std::string::npos) << targets[0];
  stop(*weft);
  stop_server();
}

TEST_F(ExamplesE2ETest, WarehouseScoresToSalesforce) {
  FakeOrg org(dir_);
  ASSERT_FALSE(org.base_url().empty()) << "weft-fake-salesforce printed no URL";
  const std::string db = "scores_to_salesforce";
  const std::string dsn = seed_shop(db);
  // The seeded scores are as old as the database; the example leaves rows younger than its
  // `settle` (30s) for a later poll, so age them as a scoring job's last run would be.
  pg().execute(
      "ALTER TABLE analytics.scores DISABLE TRIGGER scores_touch;"
      "UPDATE analytics.scores SET updated_at = now() - interval '1 hour';"
      "ALTER TABLE analytics.scores ENABLE TRIGGER scores_touch",
      db);
  auto weft =
      start("warehouse-scores-to-salesforce", {{"WAREHOUSE_DSN", dsn},
                                               {"SF_LOGIN_URL", org.base_url()},
                                               {"SF_CLIENT_ID", FakeOrg::kClientId},
                                               {"SF_CLIENT_SECRET", FakeOrg::kClientSecret}});
  ASSERT_TRUE(eventually([&] { return org.accounts().size() == 5; }, 60s)) << weft->output();

  // Each Account's external id is the canonical id the crosswalk holds for the database id, and
  // each Account's Salesforce Id was linked back to it.
  std::map<std::string, std::string> postgres;
  std::map<std::string, std::string> salesforce;
  ASSERT_TRUE(eventually([&] {
    const auto crosswalk = [&](const std::string& system) {
      return crosswalk_links(
          run_weft({"crosswalk", "export", "--system", system, "--config", config()},
                   dir_.file("crosswalk.log"))
              .second);
    };
    postgres = crosswalk("postgres");
    salesforce = crosswalk("salesforce");
    return postgres.size() == 5 && salesforce.size() == 5;
  })) << postgres.size()
      << " postgres and " << salesforce.size() << " salesforce links";
  const auto accounts = org.accounts_by("Weft_Customer_Id__c");
  const auto jane = accounts.find(postgres["1"]);
  ASSERT_NE(jane, accounts.end()) << org.accounts().dump();
  EXPECT_EQ(jane->second.value("Name", ""), "Jane Doe");
  EXPECT_EQ(jane->second.value("Health_Score__c", 0.0), 87.5);
  EXPECT_EQ(jane->second.value("Segment__c", ""), "champion");
  EXPECT_EQ(salesforce[jane->second.value("Id", "")], postgres["1"]);
  EXPECT_EQ(accounts.at(postgres["4"]).value("Segment__c", ""), "dormant");
  stop(*weft);
  EXPECT_EQ(weft->output().find(FakeOrg::kClientSecret), std::string::npos);
}

TEST_F(ExamplesE2ETest, KafkaToSalesforce) {
  KafkaCluster kafka;
  kafka.create_topic("canonical.customers", 2);
  const auto customer = [](const std::string& id, const std::string& value) {
    KafkaCluster::Message m;
    m.key = id;
    m.value = value;
    return m;
  };
  kafka.produce("canonical.customers",
                {customer("c-1", R"({"id":"c-1","email":"ada@example.com","name":"Ada Lovelace",)"
                                 R"("phone":"+44 20 7946 0000","country":"GB","status":"active"})"),
                 customer("c-2", R"({"id":"c-2","email":"grace@example.com","status":"active"})"),
                 customer("c-3", R"({"id":"c-3","email":"alan@example.com","name":"Alan Turing",)"
                                 R"("status":"deleted"})")});
  FakeOrg org(dir_);
  ASSERT_FALSE(org.base_url().empty()) << "weft-fake-salesforce printed no URL";
  auto weft = start("kafka-to-salesforce", {{"KAFKA_BROKERS", kafka.bootstrap()},
                                            {"SF_LOGIN_URL", org.base_url()},
                                            {"SF_CLIENT_ID", FakeOrg::kClientId},
                                            {"SF_CLIENT_SECRET", FakeOrg::kClientSecret}});
  ASSERT_TRUE(eventually([&] { return org.accounts().size() == 3; }, 60s)) << weft->output();
  auto accounts = org.accounts_by("Weft_Customer_Id__c");
  EXPECT_EQ(accounts["c-1"].value("Name", ""), "Ada Lovelace");
  EXPECT_EQ(accounts["c-1"].value("Primary_Email__c", ""), "ada@example.com");
  EXPECT_EQ(accounts["c-1"].value("Phone", ""), "+44 20 7946 0000");
  EXPECT_EQ(accounts["c-1"].value("BillingCountry", ""), "GB");
  EXPECT_EQ(accounts["c-2"].value("Name", ""), "grace@example.com") << "no name: the email";
  EXPECT_EQ(accounts["c-3"].value("Customer_Status__c", ""), "deleted");

  // A later version of a customer updates its Account rather than adding one.
  kafka.produce("canonical.customers",
                {customer("c-1", R"({"id":"c-1","email":"ada@example.com","name":"Ada King",)"
                                 R"("status":"active"})")});
  ASSERT_TRUE(eventually(
      [&] { return org.accounts_by("Weft_Customer_Id__c")["c-1"].value("Name", "") == "Ada King"; },
      60s))
      << weft->output();
  EXPECT_EQ(org.accounts().size(), 3u);
  stop(*weft);
}

}  // namespace
}  // namespace weft::test
