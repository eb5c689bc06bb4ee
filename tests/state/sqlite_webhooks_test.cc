// The webhook buffer in the SQLite state store: appends with duplicate detection in one
// transaction, reading in order, removing what was acked, seqs never reused, expiring event ids,
// and all of it surviving a restart.

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

using namespace std::chrono_literals;
using state_test::open_store_or_fail;
using state_test::TempDir;

const Clock::time_point kNow = Clock::time_point(std::chrono::seconds(1'800'000'000));

WebhookEvent event(const std::string& pipeline, const std::string& id, const std::string& body,
                   Clock::duration remember_for = 24h) {
  WebhookEvent e;
  e.pipeline = pipeline;
  e.event_id = id;
  e.received_at = kNow;
  e.event_time = kNow - 2s;
  e.id_expires_at = kNow + remember_for;
  e.headers = R"({"x-github-event":"push"})";
  e.body = body;
  return e;
}

class WebhookBufferStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }
  void reopen() {
    store_.reset();
    store_ = open_store_or_fail(path_);
    ASSERT_TRUE(store_);
  }

  std::vector<bool> append(std::vector<WebhookEvent>& events, Clock::time_point now = kNow) {
    std::vector<WebhookTrim> no_trims;
    auto appended = store_->webhook_append(events, no_trims, now);
    EXPECT_TRUE(appended.ok()) << appended.error().message();
    return appended.ok() ? *appended : std::vector<bool>{};
  }

  std::vector<std::string> bodies(const std::string& pipeline, std::int64_t after = 0) {
    auto read = store_->webhook_read(pipeline, after, 0);
    EXPECT_TRUE(read.ok()) << read.error().message();
    std::vector<std::string> out;
    if (read.ok()) {
      for (const auto& e : *read) out.push_back(e.body);
    }
    return out;
  }

  TempDir dir_;
  const std::string path_ = dir_.file("weft.db");
  std::unique_ptr<StateStore> store_;
};

TEST_F(WebhookBufferStoreTest, AppendsInOrderAndKeepsEveryByteAndField) {
  const std::string binary("{\"a\":1}\0\xff", 9);
  std::vector<WebhookEvent> events{event("stripe", "evt_1", binary), event("stripe", "", "two")};
  EXPECT_EQ(append(events), (std::vector<bool>{true, true}));
  ASSERT_GT(events[0].seq, 0);
  EXPECT_GT(events[1].seq, events[0].seq);

  auto read = store_->webhook_read("stripe", 0, 0);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);
  const WebhookEvent& first = (*read)[0];
  EXPECT_EQ(first.seq, events[0].seq);
  EXPECT_EQ(first.body, binary);
  EXPECT_EQ(first.event_id, "evt_1");
  EXPECT_EQ(first.headers, R"({"x-github-event":"push"})");
  EXPECT_EQ(first.received_at, kNow);
  EXPECT_EQ(first.event_time, kNow - 2s);
  EXPECT_EQ((*read)[1].body, "two");
  EXPECT_EQ(bodies("stripe", events[0].seq), (std::vector<std::string>{"two"}));
  EXPECT_TRUE(bodies("github").empty()) << "pipelines have buffers of their own";
}

TEST_F(WebhookBufferStoreTest, ReadHonoursTheLimit) {
  std::vector<WebhookEvent> events;
  for (int i = 0; i < 5; ++i) events.push_back(event("p", "", std::to_string(i)));
  append(events);
  auto read = store_->webhook_read("p", 0, 2);
  ASSERT_TRUE(read.ok());
  ASSERT_EQ(read->size(), 2u);
  EXPECT_EQ((*read)[1].body, "1");
}

TEST_F(WebhookBufferStoreTest, ARepeatedEventIdIsADuplicateEvenAfterItWasAckedAndRemoved) {
  std::vector<WebhookEvent> first{event("stripe", "evt_1", "a")};
  append(first);
  auto removed = store_->webhook_remove_through("stripe", first[0].seq);
  ASSERT_TRUE(removed.ok());
  EXPECT_EQ(*removed, 1u);

  // The retry, a new event, and the same id twice within one group commit.
  std::vector<WebhookEvent> again{event("stripe", "evt_1", "a"), event("stripe", "evt_2", "b"),
                                  event("stripe", "evt_2", "b")};
  EXPECT_EQ(append(again), (std::vector<bool>{false, true, false}));
  EXPECT_EQ(again[0].seq, 0);
  EXPECT_EQ(bodies("stripe"), (std::vector<std::string>{"b"}));
  // The same id in another pipeline is another event.
  std::vector<WebhookEvent> other{event("github", "evt_1", "c")};
  EXPECT_EQ(append(other), (std::vector<bool>{true}));
}

TEST_F(WebhookBufferStoreTest, AnExpiredIdIsAcceptedAgainAndPurged) {
  std::vector<WebhookEvent> first{event("p", "evt_1", "a", 1h)};
  append(first);
  std::vector<WebhookEvent> later{event("p", "evt_1", "a")};
  EXPECT_EQ(append(later, kNow + 30min), (std::vector<bool>{false}));
  EXPECT_EQ(append(later, kNow + 2h), (std::vector<bool>{true}));

  std::vector<WebhookEvent> short_lived{event("p", "evt_2", "b", 1h)};
  append(short_lived);
  auto purged = store_->webhook_purge_ids(kNow + 90min, 0);
  ASSERT_TRUE(purged.ok());
  EXPECT_EQ(*purged, 1u) << "evt_2 expired; evt_1 was renewed for 24 h by its second acceptance";
  std::vector<WebhookEvent> retry{event("p", "evt_2", "b")};
  EXPECT_EQ(append(retry, kNow + 90min), (std::vector<bool>{true}));
}

TEST_F(WebhookBufferStoreTest, TrimsDeleteAckedEventsASliceAtATimeWithTheNextAppends) {
  std::vector<WebhookEvent> events;
  for (int i = 0; i < 5; ++i) events.push_back(event("p", "", std::to_string(i)));
  std::vector<WebhookEvent> other{event("q", "", "q0")};
  append(events);
  append(other);
  std::vector<WebhookEvent> more{event("p", "", "5")};
  std::vector<WebhookTrim> trims{{.pipeline = "p", .through_seq = events[3].seq, .limit = 3},
                                 {.pipeline = "q", .through_seq = other[0].seq, .limit = 0}};
  auto appended = store_->webhook_append(more, trims, kNow);
  ASSERT_TRUE(appended.ok()) << appended.error().message();
  EXPECT_EQ(trims[0].removed, 3u) << "no more than the limit";
  EXPECT_EQ(trims[1].removed, 1u);
  EXPECT_EQ(bodies("p"), (std::vector<std::string>{"3", "4", "5"}));
  EXPECT_TRUE(bodies("q").empty());

  std::vector<WebhookEvent> none;
  std::vector<WebhookTrim> rest{{.pipeline = "p", .through_seq = events[3].seq, .limit = 3}};
  ASSERT_TRUE(store_->webhook_append(none, rest, kNow).ok()) << "a trim alone is a transaction";
  EXPECT_EQ(rest[0].removed, 1u);
  EXPECT_EQ(bodies("p"), (std::vector<std::string>{"4", "5"})) << "never past through_seq";
}

TEST_F(WebhookBufferStoreTest, SeqsAreNeverReusedAfterTheBufferEmpties) {
  std::vector<WebhookEvent> events{event("p", "", "a"), event("p", "", "b")};
  append(events);
  const std::int64_t last = events[1].seq;
  ASSERT_TRUE(store_->webhook_remove_through("p", last).ok());
  reopen();
  std::vector<WebhookEvent> next{event("p", "", "c")};
  append(next);
  EXPECT_GT(next[0].seq, last) << "a seq is a source position: a reused one would be skipped "
                                  "as already committed";
}

TEST_F(WebhookBufferStoreTest, RemoveDepthAndRestart) {
  std::vector<WebhookEvent> events;
  for (int i = 0; i < 4; ++i) events.push_back(event("p", "id" + std::to_string(i), "x"));
  append(events);
  std::vector<WebhookEvent> other{event("q", "", "y")};
  append(other);
  ASSERT_TRUE(store_->webhook_remove_through("p", events[1].seq).ok());
  auto depth = store_->webhook_depth("p");
  ASSERT_TRUE(depth.ok());
  EXPECT_EQ(*depth, 2u);

  reopen();
  EXPECT_EQ(*store_->webhook_depth("p"), 2u);
  EXPECT_EQ(*store_->webhook_depth("q"), 1u);
  std::vector<WebhookEvent> retry{event("p", "id0", "x")};
  EXPECT_EQ(append(retry), (std::vector<bool>{false})) << "ids survive a restart";
}

}  // namespace
}  // namespace weft
