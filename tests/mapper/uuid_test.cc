#include "mapper/uuid.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace weft {
namespace {

constexpr std::string_view kDnsNamespace = "6ba7b810-9dad-11d1-80b4-00c04fd430c8";

TEST(UuidTest, V5MatchesPythonsKnownVector) {
  // Python: uuid.uuid5(uuid.NAMESPACE_DNS, 'python.org')
  EXPECT_EQ(uuid_v5(kDnsNamespace, "python.org"), "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(UuidTest, V5AcceptsAnUppercaseNamespace) {
  EXPECT_EQ(uuid_v5("6BA7B810-9DAD-11D1-80B4-00C04FD430C8", "python.org"),
            "886313e1-3b8a-5372-9b90-0c9aee199e5d");
}

TEST(UuidTest, V5IsDeterministicAndDependsOnBothInputs) {
  auto a = uuid_v5(kWeftNamespace, "cus_9");
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(uuid_v5(kWeftNamespace, "cus_9"), a);
  EXPECT_NE(uuid_v5(kWeftNamespace, "cus_10"), a);
  EXPECT_NE(uuid_v5(kDnsNamespace, "cus_9"), a);
  EXPECT_TRUE(is_uuid(*a));
  EXPECT_EQ((*a)[14], '5');                                          // version
  EXPECT_NE(std::string("89ab").find((*a)[19]), std::string::npos);  // RFC 4122 variant
}

TEST(UuidTest, V5RejectsANamespaceThatIsNotAUuid) {
  EXPECT_EQ(uuid_v5("not-a-uuid", "x"), std::nullopt);
  EXPECT_EQ(uuid_v5("", "x"), std::nullopt);
  EXPECT_EQ(uuid_v5("6ba7b8109dad11d180b400c04fd430c8", "x"), std::nullopt);
}

TEST(UuidTest, V4HasVersionFourAndTheVariantBits) {
  const std::string id = uuid_v4();
  ASSERT_EQ(id.size(), 36u);
  EXPECT_TRUE(is_uuid(id));
  EXPECT_EQ(id[14], '4');
  EXPECT_NE(std::string("89ab").find(id[19]), std::string::npos);
  for (char c : id) EXPECT_TRUE(c == '-' || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
}

TEST(UuidTest, V4DiffersBetweenCalls) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) seen.insert(uuid_v4());
  EXPECT_EQ(seen.size(), 100u);
}

TEST(UuidTest, IsUuid) {
  EXPECT_TRUE(is_uuid("886313e1-3b8a-5372-9b90-0c9aee199e5d"));
  EXPECT_TRUE(is_uuid("886313E1-3B8A-5372-9B90-0C9AEE199E5D"));
  EXPECT_TRUE(is_uuid("00000000-0000-0000-0000-000000000000"));
  EXPECT_FALSE(is_uuid(""));
  EXPECT_FALSE(is_uuid("886313e13b8a53729b900c9aee199e5d"));        // no hyphens
  EXPECT_FALSE(is_uuid("886313e1-3b8a-5372-9b90-0c9aee199e5"));     // one digit short
  EXPECT_FALSE(is_uuid("886313e1-3b8a-5372-9b90-0c9aee199e5d0"));   // one digit long
  EXPECT_FALSE(is_uuid("886313e1-3b8a-5372-9b90-0c9aee199e5g"));    // not hex
  EXPECT_FALSE(is_uuid("886313e1_3b8a-5372-9b90-0c9aee199e5d"));    // wrong separator
  EXPECT_FALSE(is_uuid("{886313e1-3b8a-5372-9b90-0c9aee199e5d}"));  // braces
}

}  // namespace
}  // namespace weft
