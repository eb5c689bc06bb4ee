#include "weft/headers.h"

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

namespace weft {
namespace {

std::map<std::string, std::string> as_map(const Headers& headers) {
  std::map<std::string, std::string> out;
  for (const auto& [name, value] : headers) {
    EXPECT_TRUE(out.emplace(name, value).second) << name << " was seen twice";
  }
  return out;
}

TEST(Headers, OwnEntriesReadLikeAMap) {
  Headers h;
  EXPECT_TRUE(h.empty());
  h.set("b", "2");
  EXPECT_EQ(h.at("b"), "2");
  EXPECT_EQ(h.size(), 1u);
  h.set("a", "1");
  h.set("b", "two");
  EXPECT_EQ(h.size(), 2u);
  EXPECT_EQ(h.at("b"), "two");
  EXPECT_EQ(h.find("c"), h.end());
  EXPECT_FALSE(h.contains("c"));
  EXPECT_THROW(h.at("c"), std::out_of_range);
  EXPECT_EQ(as_map(h), (std::map<std::string, std::string>{{"a", "1"}, {"b", "two"}}));
}

TEST(Headers, SharedAndOwnEntriesReadAsOneSetInNameOrder) {
  const auto shared = Headers::share({{"_filename", "a.csv"}, {"_etag", "e1"}, {"_z", "last"}});
  Headers h(shared);
  h.set("_row", "7");
  std::string order;
  for (const auto& [name, value] : h) order += name + "=" + value + " ";
  EXPECT_EQ(order, "_etag=e1 _filename=a.csv _row=7 _z=last ");
  EXPECT_EQ(h.size(), 4u);
  EXPECT_EQ(h.at("_filename"), "a.csv");
  EXPECT_EQ(h.at("_row"), "7");
  EXPECT_FALSE(h.empty());
}

TEST(Headers, AnOwnEntryHidesTheSharedOneWithoutChangingIt) {
  const auto shared = Headers::share({{"a", "shared"}, {"b", "shared"}});
  Headers first(shared);
  Headers second(shared);
  first.set("a", "own");
  EXPECT_EQ(first.at("a"), "own");
  EXPECT_EQ(as_map(first), (std::map<std::string, std::string>{{"a", "own"}, {"b", "shared"}}));
  EXPECT_EQ(second.at("a"), "shared") << "another record holding the list still sees its value";
  EXPECT_EQ(shared->front().second, "shared");
}

TEST(Headers, FindGoesOnInNameOrderFromTheEntryFound) {
  Headers h(Headers::share({{"a", "1"}, {"c", "3"}, {"e", "5"}}));
  h.set("b", "2");
  h.set("c", "three");
  h.set("d", "4");
  std::string rest;
  for (auto it = h.find("c"); it != h.end(); ++it) rest += it->first + it->second;
  EXPECT_EQ(rest, "cthreed4e5");
}

TEST(Headers, ShareKeepsTheLastOfRepeatedNames) {
  const auto shared = Headers::share({{"x", "1"}, {"y", "2"}, {"x", "3"}});
  ASSERT_EQ(shared->size(), 2u);
  EXPECT_EQ(Headers(shared).at("x"), "3");
}

TEST(Headers, EqualityComparesContentNotStorage) {
  Headers shared(Headers::share({{"a", "1"}, {"b", "2"}}));
  Headers own{{"b", "2"}, {"a", "1"}};
  EXPECT_EQ(shared, own);
  own.set("b", "other");
  EXPECT_NE(shared, own);
  EXPECT_EQ(Headers(), Headers(Headers::share({})));
}

TEST(Headers, ManyOwnEntriesStaySortedAndUnique) {
  Headers h;
  for (const char* name : {"m", "c", "x", "a", "m", "q", "c"}) h.set(name, std::string(name) + "!");
  std::string names;
  for (const auto& [name, value] : h) names += name;
  EXPECT_EQ(names, "acmqx");
  EXPECT_EQ(h.at("m"), "m!");
}

TEST(Headers, CopiesAreIndependent) {
  Headers a(Headers::share({{"k", "shared"}}));
  Headers b = a;
  b.set("k", "changed");
  b.set("n", "new");
  EXPECT_EQ(a.at("k"), "shared");
  EXPECT_EQ(a.size(), 1u);
  EXPECT_EQ(b.size(), 2u);
}

TEST(Headers, ConvertsToAJsonObject) {
  Headers h(Headers::share({{"_etag", "e"}}));
  h.set("_row", "3");
  EXPECT_EQ(nlohmann::json(h).dump(), R"({"_etag":"e","_row":"3"})");
  EXPECT_EQ(nlohmann::json(Headers()).dump(), "{}");
}

}  // namespace
}  // namespace weft
