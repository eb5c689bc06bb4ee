#pragma once

// What the salesforce sink's tests share: the fake org (tests/fakes/salesforce) on two threads,
// a sink configured to log in to it, and a way to run the sink's coroutines on the io_context
// its HTTP client belongs to.

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <utility>

#include "connectors/run_coroutine.h"
#include "fakes/salesforce/fake_salesforce.h"
#include "salesforce/salesforce_sink.h"
#include "support/server_test_helpers.h"

namespace weft::salesforce {

class FakeOrgTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto fake = fakes::salesforce::FakeSalesforce::start(
        fake_io_, fakes::salesforce::FakeSalesforceOptions{});
    ASSERT_TRUE(fake.ok()) << fake.error().message();
    fake_ = std::move(fake).value();
    threads_ = std::make_unique<test::IoThreads>(fake_io_, 2);
    config_.auth.grant = Grant::kClientCredentials;
    config_.auth.login_url = fake_->base_url();
    config_.auth.client_id = "fake-consumer-key";
    config_.auth.client_secret = "fake-consumer-secret";
    config_.target.object = "Account";
    config_.target.external_id_field = "Ext__c";
  }
  void TearDown() override {
    sink_.reset();
    fake_->stop();
    EXPECT_TRUE(threads_->exited_within(std::chrono::seconds(5)));
  }

  // Runs a call on the fixture's io_context, where the HTTP client lives, until the call is
  // done (not until the context runs out of work: pooled connections keep idle timers).
  template <typename T>
  T run(boost::asio::awaitable<T> op) {
    std::optional<T> result;
    boost::asio::co_spawn(io_, weft::testing::detail::store_result(std::move(op), &result),
                          boost::asio::detached);
    io_.restart();
    while (!result && io_.run_one() > 0) {
    }
    return std::move(*result);
  }

  // The sink for config_ and ctx_, connected on first use.
  Sink& sink() {
    if (!sink_) {
      sink_ = make_salesforce_sink(config_, ctx_);
      Status s = run(sink_->connect());
      EXPECT_TRUE(s.ok()) << s.error().message();
    }
    return *sink_;
  }
  WriteResult write(const Batch& batch) { return run(sink().write_batch(batch)); }

  boost::asio::io_context fake_io_;
  std::unique_ptr<fakes::salesforce::FakeSalesforce> fake_;
  std::unique_ptr<test::IoThreads> threads_;
  boost::asio::io_context io_;
  SalesforceConfig config_;
  ConnectorContext ctx_;
  std::unique_ptr<Sink> sink_;
};

}  // namespace weft::salesforce
