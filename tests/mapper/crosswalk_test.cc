// The crosswalk cache over a real SQLite state store: what a mapping gets back for each
// on-missing policy, which lookups the cache answers (the stats say), that minted ids are the
// documented ones, and that pipelines racing through their own caches agree.

#include "mapper/crosswalk.h"

#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <barrier>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mapper/uuid.h"
#include "state/state_store.h"
#include "support/temp_dir.h"

namespace weft {
namespace {

using test::TempDir;

std::unique_ptr<StateStore> open_store(const std::string& path) {
  auto store = open_sqlite_state_store(path);
  EXPECT_TRUE(store.ok()) << store.error().message();
  return store.ok() ? std::move(*store) : nullptr;
}

// {hits, misses, created}, comparable and printable.
using Counts = std::array<std::uint64_t, 3>;
Counts counts(const Crosswalk& crosswalk) {
  const auto stats = crosswalk.stats();
  return {stats.hits, stats.misses, stats.created};
}

class CrosswalkTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(path_);
    ASSERT_TRUE(store_);
  }

  // The value of a lookup that must succeed.
  std::optional<std::string> canonical(Crosswalk& crosswalk, const std::string& id,
                                       OnMissing on_missing = OnMissing::kNull,
                                       MintMode mint = MintMode::kUuidV5) {
    auto found = crosswalk.to_canonical("customer", "stripe", id, on_missing, mint);
    EXPECT_TRUE(found.ok()) << found.error().message();
    return found.ok() ? *found : std::nullopt;
  }

  std::optional<std::string> external(Crosswalk& crosswalk, const std::string& canonical_id,
                                      const std::string& system = "stripe") {
    auto found = crosswalk.to_external("customer", canonical_id, system);
    EXPECT_TRUE(found.ok()) << found.error().message();
    return found.ok() ? *found : std::nullopt;
  }

  void link(const std::string& id, const std::string& canonical_id) {
    const Status put = store_->crosswalk_put({{"customer", "stripe", id, canonical_id}});
    ASSERT_TRUE(put.ok()) << put.error().message();
  }

  std::optional<std::string> stored(const std::string& id) {
    auto found = store_->crosswalk_find("customer", "stripe", id);
    EXPECT_TRUE(found.ok()) << found.error().message();
    return found.ok() ? *found : std::nullopt;
  }

  TempDir dir_;
  const std::string path_ = dir_.file("state.db");
  std::unique_ptr<StateStore> store_;
};

TEST_F(CrosswalkTest, TheFirstLookupMissesAndTheNextOnesHit) {
  link("cus_1", "c-1");
  Crosswalk crosswalk(*store_);
  EXPECT_EQ(counts(crosswalk), (Counts{0, 0, 0}));
  EXPECT_EQ(canonical(crosswalk, "cus_1"), "c-1");
  EXPECT_EQ(counts(crosswalk), (Counts{0, 1, 0}));
  EXPECT_EQ(canonical(crosswalk, "cus_1"), "c-1");
  EXPECT_EQ(canonical(crosswalk, "cus_1", OnMissing::kError), "c-1");
  EXPECT_EQ(counts(crosswalk), (Counts{2, 1, 0}));
  // The forward lookup taught it the reverse one too.
  EXPECT_EQ(external(crosswalk, "c-1"), "cus_1");
  EXPECT_EQ(counts(crosswalk), (Counts{3, 1, 0}));
}

TEST_F(CrosswalkTest, CreateMintsTheStableIdAndLinksIt) {
  Crosswalk crosswalk(*store_);
  const auto id = canonical(crosswalk, "cus_1", OnMissing::kCreate);
  ASSERT_TRUE(id);
  EXPECT_EQ(*id, Crosswalk::stable_id("customer", "stripe", "cus_1"));
  EXPECT_EQ(*id, uuid_v5(kWeftNamespace, "customer/stripe/cus_1"));
  EXPECT_TRUE(is_uuid(*id));
  EXPECT_EQ(id->at(14), '5') << *id;  // the version digit
  EXPECT_EQ(stored("cus_1"), *id);
  EXPECT_EQ(counts(crosswalk), (Counts{0, 1, 1}));
  EXPECT_EQ(canonical(crosswalk, "cus_1", OnMissing::kCreate), *id);
  EXPECT_EQ(counts(crosswalk), (Counts{1, 1, 1}));

  // Stable: the same inputs anywhere give the same id; any other input another one.
  EXPECT_EQ(Crosswalk::stable_id("customer", "stripe", "cus_1"), *id);
  EXPECT_NE(Crosswalk::stable_id("customer", "stripe", "cus_2"), *id);
  EXPECT_NE(Crosswalk::stable_id("account", "stripe", "cus_1"), *id);
  EXPECT_NE(Crosswalk::stable_id("customer", "hubspot", "cus_1"), *id);

  // An id that is already linked keeps its canonical id, whatever create would mint.
  link("cus_3", "c-3");
  EXPECT_EQ(canonical(crosswalk, "cus_3", OnMissing::kCreate), "c-3");
  EXPECT_EQ(crosswalk.stats().created, 1u);
}

TEST_F(CrosswalkTest, RandomIdsDifferButArePersisted) {
  std::string first;
  {
    Crosswalk crosswalk(*store_);
    first = canonical(crosswalk, "cus_1", OnMissing::kCreate, MintMode::kUuidV4).value_or("");
    const auto second = canonical(crosswalk, "cus_2", OnMissing::kCreate, MintMode::kUuidV4);
    ASSERT_TRUE(is_uuid(first)) << first;
    EXPECT_EQ(first.at(14), '4') << first;
    EXPECT_NE(first, Crosswalk::stable_id("customer", "stripe", "cus_1"));
    EXPECT_NE(second, first);
    EXPECT_EQ(crosswalk.stats().created, 2u);
  }
  // A restarted daemon (new store, new cache) finds the id minted before.
  store_.reset();
  store_ = open_store(path_);
  ASSERT_TRUE(store_);
  Crosswalk crosswalk(*store_);
  EXPECT_EQ(canonical(crosswalk, "cus_1", OnMissing::kCreate, MintMode::kUuidV4), first);
  EXPECT_EQ(counts(crosswalk), (Counts{0, 1, 0}));
}

TEST_F(CrosswalkTest, ErrorOnMissingIsPermanentAndNamesTheId) {
  Crosswalk crosswalk(*store_);
  auto found = crosswalk.to_canonical("customer", "stripe", "cus_404", OnMissing::kError);
  ASSERT_FALSE(found.ok());
  EXPECT_EQ(found.error().kind(), ErrorKind::kPermanent);
  EXPECT_EQ(found.error().message(), "crosswalk customer/stripe has no id 'cus_404' (link it with weft crosswalk put or import, then replay)");
  EXPECT_EQ(stored("cus_404"), std::nullopt);  // nothing created

  // The miss was not cached: once another pipeline links the id, the lookup finds it.
  link("cus_404", "c-404");
  EXPECT_EQ(canonical(crosswalk, "cus_404", OnMissing::kError), "c-404");
}

TEST_F(CrosswalkTest, NullOnMissingGivesNothingAndCreatesNothing) {
  Crosswalk crosswalk(*store_);
  EXPECT_EQ(canonical(crosswalk, "cus_404", OnMissing::kNull), std::nullopt);
  EXPECT_EQ(canonical(crosswalk, "cus_404", OnMissing::kNull), std::nullopt);
  EXPECT_EQ(counts(crosswalk), (Counts{0, 2, 0}));
  EXPECT_EQ(stored("cus_404"), std::nullopt);
  link("cus_404", "c-404");
  EXPECT_EQ(canonical(crosswalk, "cus_404", OnMissing::kNull), "c-404");
}

TEST_F(CrosswalkTest, ReverseLookupFindsTheSystemsId) {
  link("cus_1", "c-1");
  ASSERT_TRUE(store_->crosswalk_put({{"customer", "salesforce", "001xx", "c-1"}}).ok());
  Crosswalk crosswalk(*store_);
  EXPECT_EQ(external(crosswalk, "c-1", "salesforce"), "001xx");
  EXPECT_EQ(external(crosswalk, "c-1", "stripe"), "cus_1");
  EXPECT_EQ(external(crosswalk, "c-1", "hubspot"), std::nullopt);
  EXPECT_EQ(external(crosswalk, "c-2", "stripe"), std::nullopt);
  EXPECT_EQ(counts(crosswalk), (Counts{0, 4, 0}));
  EXPECT_EQ(external(crosswalk, "c-1", "salesforce"), "001xx");
  // ... and taught the forward direction.
  auto forward = crosswalk.to_canonical("customer", "salesforce", "001xx", OnMissing::kError);
  ASSERT_TRUE(forward.ok());
  EXPECT_EQ(*forward, "c-1");
  EXPECT_EQ(counts(crosswalk), (Counts{2, 4, 0}));
}

TEST_F(CrosswalkTest, PutIsDurableAndReplacesCachedLinks) {
  Crosswalk crosswalk(*store_);
  const auto minted = canonical(crosswalk, "cus_1", OnMissing::kCreate);
  ASSERT_TRUE(minted);
  EXPECT_EQ(external(crosswalk, *minted), "cus_1");  // cached both ways now

  // cus_1 now stands for c-2.
  ASSERT_TRUE(crosswalk.put("customer", "stripe", "cus_1", "c-2").ok());
  EXPECT_EQ(stored("cus_1"), "c-2");
  const auto before = crosswalk.stats();
  EXPECT_EQ(canonical(crosswalk, "cus_1"), "c-2");
  EXPECT_EQ(external(crosswalk, "c-2"), "cus_1");
  EXPECT_EQ(crosswalk.stats().hits, before.hits + 2);
  EXPECT_EQ(external(crosswalk, *minted), std::nullopt);  // its stale reverse entry went

  // c-2's stripe id is now cus_9: cus_1 is no longer linked, in the store and in the cache.
  ASSERT_TRUE(crosswalk.put("customer", "stripe", "cus_9", "c-2").ok());
  EXPECT_EQ(canonical(crosswalk, "cus_1"), std::nullopt);
  EXPECT_EQ(canonical(crosswalk, "cus_9"), "c-2");
  EXPECT_EQ(external(crosswalk, "c-2"), "cus_9");
}

TEST_F(CrosswalkTest, TheLeastRecentlyUsedEntryIsEvictedAtCapacity) {
  for (int i = 1; i <= 4; ++i) link("cus_" + std::to_string(i), "c-" + std::to_string(i));
  Crosswalk crosswalk(*store_, 3);
  for (int i = 1; i <= 3; ++i) canonical(crosswalk, "cus_" + std::to_string(i));
  EXPECT_EQ(counts(crosswalk), (Counts{0, 3, 0}));
  EXPECT_EQ(canonical(crosswalk, "cus_1"), "c-1");  // a hit: cus_2 is now the oldest
  EXPECT_EQ(canonical(crosswalk, "cus_4"), "c-4");  // a miss that evicts cus_2
  EXPECT_EQ(counts(crosswalk), (Counts{1, 4, 0}));
  EXPECT_EQ(canonical(crosswalk, "cus_1"), "c-1");
  EXPECT_EQ(canonical(crosswalk, "cus_3"), "c-3");
  EXPECT_EQ(canonical(crosswalk, "cus_4"), "c-4");
  EXPECT_EQ(counts(crosswalk), (Counts{4, 4, 0}));
  EXPECT_EQ(canonical(crosswalk, "cus_2"), "c-2");  // evicted: back to the store
  EXPECT_EQ(counts(crosswalk), (Counts{4, 5, 0}));
}

TEST_F(CrosswalkTest, ALargeCacheHoldsItsCapacityAcrossShards) {
  constexpr int kLinks = 3000;
  std::vector<CrosswalkLink> links;
  for (int i = 0; i < kLinks; ++i) {
    links.push_back({"customer", "stripe", "cus_" + std::to_string(i), "c-" + std::to_string(i)});
  }
  ASSERT_TRUE(store_->crosswalk_put(links).ok());
  Crosswalk crosswalk(*store_, 2000);
  for (int i = 0; i < kLinks; ++i) canonical(crosswalk, "cus_" + std::to_string(i));
  ASSERT_EQ(counts(crosswalk), (Counts{0, kLinks, 0}));
  // The most recent 1000 are all still there; the oldest 300 were all evicted. (Each shard
  // evicts on its own, so the boundary is not exact.)
  for (int i = kLinks - 1000; i < kLinks; ++i) {
    ASSERT_EQ(canonical(crosswalk, "cus_" + std::to_string(i)), "c-" + std::to_string(i));
  }
  EXPECT_EQ(counts(crosswalk), (Counts{1000, kLinks, 0}));
  for (int i = 0; i < 300; ++i) canonical(crosswalk, "cus_" + std::to_string(i));
  EXPECT_EQ(counts(crosswalk), (Counts{1000, kLinks + 300, 0}));
}

TEST_F(CrosswalkTest, CapacityZeroAsksTheStoreEveryTime) {
  link("cus_1", "c-1");
  Crosswalk crosswalk(*store_, 0);
  EXPECT_EQ(canonical(crosswalk, "cus_1"), "c-1");
  EXPECT_EQ(canonical(crosswalk, "cus_1"), "c-1");
  EXPECT_EQ(external(crosswalk, "c-1"), "cus_1");
  EXPECT_EQ(canonical(crosswalk, "cus_2", OnMissing::kCreate),
            Crosswalk::stable_id("customer", "stripe", "cus_2"));
  EXPECT_EQ(counts(crosswalk), (Counts{0, 4, 1}));
}

TEST_F(CrosswalkTest, KeysOfDifferentPartsDoNotCollide) {
  // Concatenated naively, both would read "ab" + "c" + ...
  ASSERT_TRUE(store_->crosswalk_put({{"ab", "c", "x", "c-1"}, {"a", "bc", "x", "c-2"}}).ok());
  Crosswalk crosswalk(*store_);
  for (int round = 0; round < 2; ++round) {
    auto first = crosswalk.to_canonical("ab", "c", "x", OnMissing::kError);
    auto second = crosswalk.to_canonical("a", "bc", "x", OnMissing::kError);
    ASSERT_TRUE(first.ok() && second.ok());
    EXPECT_EQ(*first, "c-1");
    EXPECT_EQ(*second, "c-2");
  }
}

// Lookups from several threads on one Crosswalk while it evicts: every answer is right.
TEST_F(CrosswalkTest, ConcurrentLookupsOnOneCacheStayCorrect) {
  constexpr int kIds = 400;
  std::vector<CrosswalkLink> links;
  for (int i = 0; i < kIds; ++i) {
    links.push_back({"customer", "stripe", "cus_" + std::to_string(i), "c-" + std::to_string(i)});
  }
  ASSERT_TRUE(store_->crosswalk_put(links).ok());
  Crosswalk crosswalk(*store_, 200);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int n = 0; n < 3000; ++n) {
        const int i = (n * 7 + t * 13) % kIds;
        auto found = crosswalk.to_canonical("customer", "stripe", "cus_" + std::to_string(i),
                                            OnMissing::kError);
        if (!found.ok() || *found != "c-" + std::to_string(i)) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(wrong.load(), 0);
  const auto stats = crosswalk.stats();
  EXPECT_EQ(stats.hits + stats.misses, 4u * 3000u);
}

// Two pipelines, each with its own Crosswalk on its own store of the shared file, meet the same
// new external ids at once and mint random ids: both resolve each id to one canonical id. The
// barrier makes every id a race.
TEST_F(CrosswalkTest, TwoCachesOnTwoStoresAgreeOnEveryCreatedId) {
  constexpr int kIds = 500;
  auto second_store = open_store(path_);
  ASSERT_TRUE(second_store);
  Crosswalk first(*store_);
  Crosswalk second(*second_store);
  std::array<Crosswalk*, 2> crosswalks{&first, &second};
  std::array<std::vector<std::string>, 2> got;
  std::barrier<> start_together(2);
  const auto race = [&](int t) {
    for (int i = 0; i < kIds; ++i) {
      start_together.arrive_and_wait();
      auto id = crosswalks[t]->to_canonical("customer", "stripe", "cus_" + std::to_string(i),
                                            OnMissing::kCreate, MintMode::kUuidV4);
      if (!id.ok()) ADD_FAILURE() << id.error().message();
      got[t].push_back(id.ok() && *id ? **id : "");
    }
  };
  std::thread other(race, 1);
  race(0);
  other.join();

  for (int i = 0; i < kIds; ++i) {
    const std::string id = "cus_" + std::to_string(i);
    ASSERT_FALSE(got[0][i].empty()) << id;
    ASSERT_EQ(got[0][i], got[1][i]) << id;
    EXPECT_EQ(stored(id), got[0][i]) << id;
    // And from the cache now, in both.
    EXPECT_EQ(canonical(first, id, OnMissing::kCreate, MintMode::kUuidV4), got[0][i]);
    EXPECT_EQ(canonical(second, id, OnMissing::kCreate, MintMode::kUuidV4), got[0][i]);
  }
  // Each link was minted by exactly one of them.
  EXPECT_EQ(first.stats().created + second.stats().created, static_cast<std::uint64_t>(kIds));
  EXPECT_EQ(first.stats().hits, static_cast<std::uint64_t>(kIds));
}

}  // namespace
}  // namespace weft

namespace weft {
namespace {

TEST_F(CrosswalkTest, PrefetchLinksABatchOfNewIdsSoLookupsHitTheCache) {
  Crosswalk crosswalk(*store_);
  std::vector<std::string> ids;
  for (int i = 0; i < 500; ++i) ids.push_back("cus_" + std::to_string(i));
  ids.push_back("cus_7");  // the same customer twice in one batch
  ASSERT_TRUE(crosswalk.prefetch("customer", "stripe", ids, OnMissing::kCreate, MintMode::kUuidV4));
  EXPECT_EQ(crosswalk.stats().created, 500u);
  const auto misses_after_prefetch = crosswalk.stats().misses;
  for (int i = 0; i < 500; ++i) {
    const std::string id = "cus_" + std::to_string(i);
    auto stored = store_->crosswalk_find("customer", "stripe", id);
    ASSERT_TRUE(stored.ok() && *stored) << id << " was not linked durably";
    auto looked_up = crosswalk.to_canonical("customer", "stripe", id, OnMissing::kError);
    ASSERT_TRUE(looked_up.ok());
    EXPECT_EQ(**looked_up, **stored);
  }
  EXPECT_EQ(crosswalk.stats().misses, misses_after_prefetch)
      << "every lookup after the prefetch is a cache hit";
}

TEST_F(CrosswalkTest, PrefetchWithoutCreateOnlyReadsAndLeavesMissesToTheLookup) {
  Crosswalk crosswalk(*store_);
  ASSERT_TRUE(store_->crosswalk_put({{"customer", "stripe", "cus_1", "c-1"}}));
  ASSERT_TRUE(crosswalk.prefetch("customer", "stripe", {"cus_1", "cus_2"}, OnMissing::kError));
  auto links = store_->crosswalk_list(CrosswalkFilter{});
  ASSERT_TRUE(links.ok());
  EXPECT_EQ(links->size(), 1u);
  auto missing = crosswalk.to_canonical("customer", "stripe", "cus_2", OnMissing::kError);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().kind(), ErrorKind::kPermanent);
}

}  // namespace
}  // namespace weft
