// Crosswalk tables in the SQLite state store: lookups both ways, creating a link exactly once
// even when threads or processes race for it, replacing links, listing them page by page, and
// that all of it survives a restart.

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "state/state_store.h"
#include "state/state_test_support.h"

namespace weft {
namespace {

using state_test::open_store_or_fail;
using state_test::RawDatabase;
using state_test::TempDir;

// A random version 4 UUID. The state library does not depend on the mapper's uuid_v4; the store
// does not care what the ids look like.
std::string random_uuid(std::mt19937_64& random) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string text;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) text += '-';
    if (i == 12) {
      text += '4';
      continue;
    }
    text += kHex[random() & 0xf];
  }
  return text;
}

std::mt19937_64 seeded_random() { return std::mt19937_64(std::random_device{}()); }

class CrosswalkStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store_or_fail(path_);
    ASSERT_TRUE(store_);
  }

  std::optional<std::string> find(const std::string& entity, const std::string& system,
                                  const std::string& id) {
    auto found = store_->crosswalk_find(entity, system, id);
    EXPECT_TRUE(found.ok()) << found.error().message();
    return found.ok() ? *found : std::nullopt;
  }

  std::optional<std::string> reverse(const std::string& entity, const std::string& canonical,
                                     const std::string& system) {
    auto found = store_->crosswalk_reverse(entity, canonical, system);
    EXPECT_TRUE(found.ok()) << found.error().message();
    return found.ok() ? *found : std::nullopt;
  }

  std::string create(const std::string& entity, const std::string& system, const std::string& id,
                     const std::string& candidate) {
    auto created = store_->crosswalk_find_or_create(entity, system, id, candidate);
    EXPECT_TRUE(created.ok()) << created.error().message();
    return created.ok() ? *created : "";
  }

  void put(const std::vector<CrosswalkLink>& links) {
    const Status put = store_->crosswalk_put(links);
    EXPECT_TRUE(put.ok()) << put.error().message();
  }

  std::vector<CrosswalkLink> list(const CrosswalkFilter& filter = {}) {
    auto links = store_->crosswalk_list(filter);
    EXPECT_TRUE(links.ok()) << links.error().message();
    return links.ok() ? *links : std::vector<CrosswalkLink>{};
  }

  // "entity/system/external=canonical" per link, for compact comparisons.
  static std::vector<std::string> texts(const std::vector<CrosswalkLink>& links) {
    std::vector<std::string> out;
    for (const auto& link : links) {
      out.push_back(link.entity + "/" + link.system + "/" + link.external_id + "=" +
                    link.canonical_id);
    }
    return out;
  }

  void reopen() {
    store_.reset();
    store_ = open_store_or_fail(path_);
    ASSERT_TRUE(store_);
  }

  TempDir dir_;
  const std::string path_ = dir_.file("state.db");
  std::unique_ptr<StateStore> store_;
};

TEST_F(CrosswalkStoreTest, UnknownIdsAreNotFoundEitherWay) {
  EXPECT_EQ(find("customer", "stripe", "cus_123"), std::nullopt);
  EXPECT_EQ(reverse("customer", "c-1", "stripe"), std::nullopt);
  EXPECT_TRUE(list().empty());
}

TEST_F(CrosswalkStoreTest, FindOrCreateLinksTheFirstCandidateAndKeepsIt) {
  EXPECT_EQ(create("customer", "stripe", "cus_123", "c-1"), "c-1");
  EXPECT_EQ(create("customer", "stripe", "cus_123", "c-2"), "c-1");  // already linked
  EXPECT_EQ(find("customer", "stripe", "cus_123"), "c-1");
  EXPECT_EQ(reverse("customer", "c-1", "stripe"), "cus_123");
  EXPECT_EQ(reverse("customer", "c-2", "stripe"), std::nullopt);

  // The key is all three parts: other entities and systems are other ids.
  EXPECT_EQ(find("account", "stripe", "cus_123"), std::nullopt);
  EXPECT_EQ(find("customer", "hubspot", "cus_123"), std::nullopt);
  EXPECT_EQ(find("customer", "stripe", "CUS_123"), std::nullopt);

  // One canonical id is known in several systems, one id in each.
  EXPECT_EQ(create("customer", "salesforce", "001xx", "c-1"), "c-1");
  EXPECT_EQ(reverse("customer", "c-1", "salesforce"), "001xx");
  EXPECT_EQ(reverse("customer", "c-1", "stripe"), "cus_123");
  EXPECT_EQ(list().size(), 2u);
}

TEST_F(CrosswalkStoreTest, IdsAreStoredByteForByte) {
  const std::string id = std::string("a\0b,\"c\"\n\xff", 9);
  EXPECT_EQ(create("customer", "legacy", id, "c-1"), "c-1");
  EXPECT_EQ(find("customer", "legacy", id), "c-1");
  EXPECT_EQ(find("customer", "legacy", "a"), std::nullopt);
  EXPECT_EQ(reverse("customer", "c-1", "legacy"), id);
}

TEST_F(CrosswalkStoreTest, CandidateHeldByAnotherIdOfTheSystemIsAPermanentErrorNamingBoth) {
  create("customer", "stripe", "cus_999", "c-1");
  auto created = store_->crosswalk_find_or_create("customer", "stripe", "cus_123", "c-1");
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(created.error().message(),
            "state store " + path_ +
                ": create crosswalk link for customer/stripe id 'cus_123': canonical id 'c-1' is "
                "already linked to stripe id 'cus_999'");
  EXPECT_EQ(find("customer", "stripe", "cus_123"), std::nullopt);  // nothing half-written
  // The store still works: the failed transaction was rolled back.
  EXPECT_EQ(create("customer", "stripe", "cus_123", "c-2"), "c-2");
}

TEST_F(CrosswalkStoreTest, EmptyPartsAreRefused) {
  const std::vector<std::array<std::string, 5>> cases = {
      {"", "stripe", "cus_1", "c-1", "the entity is empty"},
      {"customer", "", "cus_1", "c-1", "the system is empty"},
      {"customer", "stripe", "", "c-1", "the external id is empty"},
      {"customer", "stripe", "cus_1", "", "the canonical id is empty"},
  };
  for (const auto& [entity, system, id, candidate, problem] : cases) {
    auto created = store_->crosswalk_find_or_create(entity, system, id, candidate);
    ASSERT_FALSE(created.ok()) << problem;
    EXPECT_EQ(created.error().kind(), ErrorKind::kPermanent);
    EXPECT_TRUE(created.error().message().ends_with(": " + problem)) << created.error().message();
    const Status put = store_->crosswalk_put({{entity, system, id, candidate}});
    ASSERT_FALSE(put.ok()) << problem;
    EXPECT_TRUE(put.error().message().ends_with(": " + problem)) << put.error().message();
  }
  EXPECT_TRUE(list().empty());
}

TEST_F(CrosswalkStoreTest, PutReplacesWhatTheExternalIdAndTheCanonicalIdHad) {
  put({{"customer", "salesforce", "001a", "c-1"}, {"customer", "salesforce", "001b", "c-2"}});
  EXPECT_EQ(find("customer", "salesforce", "001a"), "c-1");
  EXPECT_EQ(reverse("customer", "c-2", "salesforce"), "001b");

  // 001a now stands for c-3: c-1 loses its salesforce id.
  put({{"customer", "salesforce", "001a", "c-3"}});
  EXPECT_EQ(find("customer", "salesforce", "001a"), "c-3");
  EXPECT_EQ(reverse("customer", "c-1", "salesforce"), std::nullopt);
  EXPECT_EQ(reverse("customer", "c-3", "salesforce"), "001a");

  // c-2's salesforce id is now 001c (the target assigned a new one): 001b goes.
  put({{"customer", "salesforce", "001c", "c-2"}});
  EXPECT_EQ(find("customer", "salesforce", "001b"), std::nullopt);
  EXPECT_EQ(reverse("customer", "c-2", "salesforce"), "001c");

  // Both at once, and in a batch the later link wins.
  put({{"customer", "salesforce", "001a", "c-2"},
       {"customer", "salesforce", "001d", "c-9"},
       {"customer", "salesforce", "001d", "c-8"}});
  EXPECT_EQ(texts(list()), (std::vector<std::string>{"customer/salesforce/001a=c-2",
                                                     "customer/salesforce/001d=c-8"}));
}

TEST_F(CrosswalkStoreTest, PutIsAllOrNothingAndStampsTheTime) {
  put({{"customer", "stripe", "cus_1", "c-1"}});
  const Status bad = store_->crosswalk_put(
      {{"customer", "stripe", "cus_1", "c-7"}, {"customer", "stripe", "", "c-8"}});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message(),
            "state store " + path_ +
                ": put 2 crosswalk links: link 2 (customer/stripe id ''): the external id is "
                "empty");
  EXPECT_EQ(find("customer", "stripe", "cus_1"), "c-1");

  const auto before = Clock::now() - std::chrono::milliseconds(1);
  put({{"customer", "stripe", "cus_2", "c-2"}});
  const auto links = list({.entity = "customer", .system = "stripe"});
  ASSERT_EQ(links.size(), 2u);
  EXPECT_GE(links[1].updated_at, before);
  EXPECT_LE(links[1].updated_at, Clock::now());
  EXPECT_TRUE(store_->crosswalk_put({}).ok());
}

TEST_F(CrosswalkStoreTest, ListIsOrderedFilteredAndPages) {
  put({{"customer", "stripe", "cus_2", "c-2"},
       {"account", "salesforce", "001", "a-1"},
       {"customer", "salesforce", "003", "c-3"},
       {"customer", "stripe", "cus_1", "c-1"},
       {"customer", "stripe", "cus_3", "c-3"},
       {"account", "stripe", "acct_1", "a-1"}});
  EXPECT_EQ(texts(list()),
            (std::vector<std::string>{"account/salesforce/001=a-1", "account/stripe/acct_1=a-1",
                                      "customer/salesforce/003=c-3", "customer/stripe/cus_1=c-1",
                                      "customer/stripe/cus_2=c-2", "customer/stripe/cus_3=c-3"}));
  EXPECT_EQ(texts(list({.entity = "customer", .system = "stripe"})),
            (std::vector<std::string>{"customer/stripe/cus_1=c-1", "customer/stripe/cus_2=c-2",
                                      "customer/stripe/cus_3=c-3"}));
  EXPECT_EQ(
      texts(list({.system = "salesforce"})),
      (std::vector<std::string>{"account/salesforce/001=a-1", "customer/salesforce/003=c-3"}));
  EXPECT_EQ(list({.entity = "account"}).size(), 2u);
  EXPECT_TRUE(list({.entity = "order"}).empty());

  // Paging with every filter shape walks the same links as one call, each exactly once.
  const std::vector<CrosswalkFilter> filters = {
      {}, {.entity = "customer"}, {.system = "stripe"}, {.entity = "customer", .system = "stripe"}};
  for (CrosswalkFilter filter : filters) {
    const auto all = texts(list(filter));
    std::vector<std::string> paged;
    filter.limit = 2;
    for (int pages = 0; pages < 10; ++pages) {
      const auto page = list(filter);
      ASSERT_LE(page.size(), 2u);
      if (page.empty()) break;
      for (const auto& text : texts(page)) paged.push_back(text);
      filter.after = page.back();
    }
    EXPECT_EQ(paged, all) << filter.entity << "/" << filter.system;
  }

  // A boundary outside the filter still means "after it in list order".
  EXPECT_EQ(texts(list({.entity = "customer", .after = CrosswalkLink{"account", "zzz", "", ""}})),
            texts(list({.entity = "customer"})));
  EXPECT_EQ(texts(list({.entity = "customer",
                        .system = "stripe",
                        .after = CrosswalkLink{"customer", "salesforce", "zzz", ""}})),
            texts(list({.entity = "customer", .system = "stripe"})));
  EXPECT_TRUE(list({.entity = "account", .after = CrosswalkLink{"customer", "", "", ""}}).empty());
}

TEST_F(CrosswalkStoreTest, LinksSurviveAReopen) {
  create("customer", "stripe", "cus_1", "c-1");
  put({{"customer", "salesforce", "001", "c-1"}});
  reopen();
  EXPECT_EQ(find("customer", "stripe", "cus_1"), "c-1");
  EXPECT_EQ(create("customer", "stripe", "cus_1", "c-other"), "c-1");
  EXPECT_EQ(reverse("customer", "c-1", "salesforce"), "001");
  EXPECT_EQ(RawDatabase(path_).query("SELECT count(*) FROM crosswalk"), "2");
}

TEST_F(CrosswalkStoreTest, LockHeldByAnotherConnectionIsRetryableAndNamed) {
  store_.reset();
  store_ = open_store_or_fail(path_, {.busy_timeout = std::chrono::milliseconds(50)});
  ASSERT_TRUE(store_);
  RawDatabase other(path_);
  other.exec("BEGIN IMMEDIATE");

  auto created = store_->crosswalk_find_or_create("customer", "stripe", "cus_1", "c-1");
  ASSERT_FALSE(created.ok());
  EXPECT_TRUE(created.error().retryable());
  EXPECT_EQ(created.error().message(),
            "state store " + path_ +
                ": create crosswalk link for customer/stripe id 'cus_1': database is locked");
  const Status put = store_->crosswalk_put({{"customer", "stripe", "cus_1", "c-1"}});
  ASSERT_FALSE(put.ok());
  EXPECT_TRUE(put.error().retryable());
  // Reads go on while another connection writes (WAL).
  EXPECT_EQ(find("customer", "stripe", "cus_1"), std::nullopt);

  other.exec("ROLLBACK");
  EXPECT_EQ(create("customer", "stripe", "cus_1", "c-1"), "c-1");
}

constexpr int kRaceIds = 500;

std::string race_id(int i) { return "cus_" + std::to_string(i); }

// Two pipelines (each with its own store on the shared file) meet the same new external ids at
// the same time, each with its own random candidate: both must end up with one canonical id.
// A barrier before each id makes every one a race (left alone, the thread that gets the write
// lock first tends to run ahead while the other sleeps in SQLite's busy handler).
TEST_F(CrosswalkStoreTest, ThreadsWithTheirOwnStoresAgreeOnEveryCreatedId) {
  auto second = open_store_or_fail(path_);
  ASSERT_TRUE(second);
  std::array<StateStore*, 2> stores{store_.get(), second.get()};
  std::array<std::vector<std::string>, 2> got;
  std::array<std::vector<std::string>, 2> candidates;
  std::array<int, 2> failures{0, 0};
  for (int t = 0; t < 2; ++t) {
    auto random = seeded_random();
    for (int i = 0; i < kRaceIds; ++i) candidates[t].push_back(random_uuid(random));
  }
  std::barrier<> start_together(2);
  const auto race = [&](int t) {
    for (int i = 0; i < kRaceIds; ++i) {
      start_together.arrive_and_wait();
      auto canonical =
          stores[t]->crosswalk_find_or_create("customer", "stripe", race_id(i), candidates[t][i]);
      if (!canonical.ok()) {
        ++failures[t];
        ADD_FAILURE() << canonical.error().message();
        got[t].emplace_back();
        continue;
      }
      got[t].push_back(*canonical);
    }
  };
  std::thread other(race, 1);
  race(0);
  other.join();

  ASSERT_EQ(failures, (std::array<int, 2>{0, 0}));
  for (int i = 0; i < kRaceIds; ++i) {
    ASSERT_EQ(got[0][i], got[1][i]) << race_id(i);
    ASSERT_TRUE(got[0][i] == candidates[0][i] || got[0][i] == candidates[1][i]) << race_id(i);
    EXPECT_EQ(find("customer", "stripe", race_id(i)), got[0][i]);
  }
  EXPECT_EQ(list().size(), static_cast<std::size_t>(kRaceIds));
}

// The same race between two processes (two daemons sharing the file): SQLite's locks between
// processes are not the ones between connections of one process.
TEST_F(CrosswalkStoreTest, ProcessesSharingTheFileAgreeOnEveryCreatedId) {
  store_.reset();  // the children open their own; nothing of ours crosses the fork
  int go[2];
  ASSERT_EQ(pipe(go), 0);
  std::array<pid_t, 2> children{};
  std::array<std::string, 2> outputs{dir_.file("child0.txt"), dir_.file("child1.txt")};
  for (int t = 0; t < 2; ++t) {
    children[t] = fork();
    ASSERT_GE(children[t], 0);
    if (children[t] == 0) {
      close(go[1]);
      auto store = open_sqlite_state_store(path_);
      char byte = 0;
      if (read(go[0], &byte, 1) != 0) _exit(4);  // wait until the parent closes the pipe
      if (!store.ok()) _exit(2);
      auto random = seeded_random();
      FILE* out = std::fopen(outputs[t].c_str(), "w");
      for (int i = 0; i < kRaceIds; ++i) {
        const std::string candidate = random_uuid(random);
        auto canonical =
            (*store)->crosswalk_find_or_create("customer", "stripe", race_id(i), candidate);
        std::fprintf(out, "%s %s\n", canonical.ok() ? canonical->c_str() : "ERROR",
                     candidate.c_str());
      }
      std::fclose(out);
      _exit(0);
    }
  }
  close(go[0]);
  close(go[1]);  // both start now
  for (const pid_t child : children) {
    int status = 0;
    ASSERT_EQ(waitpid(child, &status, 0), child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }

  std::array<std::vector<std::pair<std::string, std::string>>, 2> got;
  for (int t = 0; t < 2; ++t) {
    std::istringstream in(state_test::read_file(outputs[t]));
    std::string canonical, candidate;
    while (in >> canonical >> candidate) got[t].emplace_back(canonical, candidate);
    ASSERT_EQ(got[t].size(), static_cast<std::size_t>(kRaceIds));
  }
  reopen();
  std::set<std::string> canonicals;
  for (int i = 0; i < kRaceIds; ++i) {
    const auto& [first, first_candidate] = got[0][i];
    const auto& [second, second_candidate] = got[1][i];
    ASSERT_EQ(first, second) << race_id(i);
    ASSERT_TRUE(first == first_candidate || first == second_candidate) << race_id(i);
    EXPECT_EQ(find("customer", "stripe", race_id(i)), first);
    canonicals.insert(first);
  }
  EXPECT_EQ(canonicals.size(), static_cast<std::size_t>(kRaceIds));
  EXPECT_EQ(list().size(), static_cast<std::size_t>(kRaceIds));
}

}  // namespace
}  // namespace weft
