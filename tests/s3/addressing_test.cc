// Bucket addressing: AWS virtual-host style vs path style at a custom endpoint.
#include "s3/addressing.h"

#include <gtest/gtest.h>

namespace weft::s3 {
namespace {

TEST(BucketAddressTest, AwsIsVirtualHostStyleOverHttps) {
  auto address = bucket_address("my-bucket", "eu-west-1", "", true);
  ASSERT_TRUE(address.ok()) << address.error().message();
  EXPECT_EQ(address->scheme, "https");
  EXPECT_EQ(address->host, "my-bucket.s3.eu-west-1.amazonaws.com");
  EXPECT_EQ(address->object_path("in/a b.csv"), "/in/a b.csv");
  EXPECT_EQ(address->bucket_path(), "/");
  EXPECT_EQ(address->url("/in/a%20b.csv", ""),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/in/a%20b.csv");
}

TEST(BucketAddressTest, CustomEndpointIsPathStyle) {
  auto address = bucket_address("data", "us-east-1", "http://127.0.0.1:4568", true);
  ASSERT_TRUE(address.ok()) << address.error().message();
  EXPECT_EQ(address->scheme, "http");
  EXPECT_EQ(address->host, "127.0.0.1:4568");
  EXPECT_EQ(address->object_path("k"), "/data/k");
  EXPECT_EQ(address->bucket_path(), "/data");
  EXPECT_EQ(address->url("/data", "list-type=2&prefix=a%2Fb"),
            "http://127.0.0.1:4568/data?list-type=2&prefix=a%2Fb");
}

TEST(BucketAddressTest, DefaultPortIsLeftOutOfTheHostAndABasePathIsKept) {
  auto address = bucket_address("data", "us-east-1", "https://gw.example.com:443/s3/", true);
  ASSERT_TRUE(address.ok()) << address.error().message();
  EXPECT_EQ(address->host, "gw.example.com");
  EXPECT_EQ(address->object_path("x/y"), "/s3/data/x/y");
}

TEST(BucketAddressTest, CustomEndpointCanBeVirtualHostStyle) {
  auto address = bucket_address("data", "us-east-1", "http://minio.internal:9000", false);
  ASSERT_TRUE(address.ok()) << address.error().message();
  EXPECT_EQ(address->host, "data.minio.internal:9000");
  EXPECT_EQ(address->object_path("k"), "/k");
  EXPECT_EQ(address->bucket_path(), "/");
}

TEST(BucketAddressTest, KeysAreNotNormalised) {
  auto address = bucket_address("b", "us-east-1", "http://h:1", true);
  ASSERT_TRUE(address.ok());
  EXPECT_EQ(address->object_path("a//./../c"), "/b/a//./../c");
}

TEST(BucketAddressTest, BadOptionsAreInvalidConfigNamingTheOption) {
  auto no_bucket = bucket_address("", "us-east-1", "", true);
  ASSERT_FALSE(no_bucket.ok());
  EXPECT_EQ(no_bucket.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_NE(no_bucket.error().message().find("bucket"), std::string::npos);

  auto slash = bucket_address("a/b", "us-east-1", "", true);
  ASSERT_FALSE(slash.ok());
  EXPECT_NE(slash.error().message().find("bucket"), std::string::npos);

  auto no_region = bucket_address("b", "", "", true);
  ASSERT_FALSE(no_region.ok());
  EXPECT_NE(no_region.error().message().find("region"), std::string::npos);

  for (const char* endpoint :
       {"localhost:4568", "ftp://host/", "http://h:1/?x=1", "http://user:secret-pw@h:1"}) {
    auto bad = bucket_address("b", "us-east-1", endpoint, true);
    ASSERT_FALSE(bad.ok()) << endpoint;
    EXPECT_EQ(bad.error().kind(), ErrorKind::kInvalidConfig) << endpoint;
    EXPECT_NE(bad.error().message().find("endpoint"), std::string::npos) << endpoint;
    EXPECT_EQ(bad.error().message().find("secret-pw"), std::string::npos) << endpoint;
  }
}

}  // namespace
}  // namespace weft::s3
