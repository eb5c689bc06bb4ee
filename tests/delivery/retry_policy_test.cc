#include "delivery/retry_policy.h"

#include <gtest/gtest.h>

namespace weft {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(RetryPolicyTest, UnlimitedByDefault) {
  RetryPolicy policy;
  EXPECT_FALSE(policy.exhausted(1'000'000, std::chrono::hours(24 * 365)));
}

TEST(RetryPolicyTest, ExhaustedAfterMaxAttemptsCountingTheFirst) {
  RetryPolicy policy;
  policy.max_attempts = 3;
  EXPECT_FALSE(policy.exhausted(1, milliseconds(0)));
  EXPECT_FALSE(policy.exhausted(2, milliseconds(0)));
  EXPECT_TRUE(policy.exhausted(3, milliseconds(0)));
  EXPECT_TRUE(policy.exhausted(4, milliseconds(0)));
}

TEST(RetryPolicyTest, OneAttemptMeansNoRetry) {
  RetryPolicy policy;
  policy.max_attempts = 1;
  EXPECT_TRUE(policy.exhausted(1, milliseconds(0)));
}

TEST(RetryPolicyTest, ExhaustedAfterMaxElapsed) {
  RetryPolicy policy;
  policy.max_elapsed = seconds(60);
  EXPECT_FALSE(policy.exhausted(50, seconds(59)));
  EXPECT_TRUE(policy.exhausted(2, seconds(60)));
}

TEST(RetryPolicyTest, EitherLimitIsEnough) {
  RetryPolicy policy;
  policy.max_attempts = 5;
  policy.max_elapsed = seconds(10);
  EXPECT_TRUE(policy.exhausted(5, seconds(1)));
  EXPECT_TRUE(policy.exhausted(2, seconds(11)));
  EXPECT_FALSE(policy.exhausted(4, seconds(9)));
}

TEST(RetryPolicyTest, BackoffFollowsThePolicy) {
  RetryPolicy policy;
  policy.initial = milliseconds(50);
  policy.max = milliseconds(1'000);
  policy.multiplier = 4.0;
  Backoff backoff = policy.make_backoff(1);
  EXPECT_EQ(backoff.ceiling(1), milliseconds(50));
  EXPECT_EQ(backoff.ceiling(2), milliseconds(200));
  EXPECT_EQ(backoff.ceiling(3), milliseconds(800));
  EXPECT_EQ(backoff.ceiling(4), milliseconds(1'000));
  EXPECT_LE(backoff.next(), milliseconds(50));
}

TEST(RetryPolicyTest, ValidateNamesTheBadField) {
  EXPECT_TRUE(RetryPolicy{}.validate().ok());

  RetryPolicy policy;
  policy.multiplier = 0.5;
  Status s = policy.validate();
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(s.error().message().find("'multiplier'"), std::string::npos) << s.error().message();

  policy = RetryPolicy{};
  policy.initial = seconds(10);
  policy.max = seconds(1);
  s = policy.validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("'max'"), std::string::npos) << s.error().message();

  policy = RetryPolicy{};
  policy.max_attempts = -1;
  s = policy.validate();
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message().find("'max_attempts'"), std::string::npos);
}

}  // namespace
}  // namespace weft
