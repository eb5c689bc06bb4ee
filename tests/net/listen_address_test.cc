#include "net/listen_address.h"

#include <gtest/gtest.h>

namespace weft::net {
namespace {

TEST(ListenAddress, ParsesIpv4HostAndPort) {
  auto address = parse_listen_address("127.0.0.1:8686");
  ASSERT_TRUE(address.ok()) << address.error().message();
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 8686);
  EXPECT_FALSE(address->ipv6);
}

TEST(ListenAddress, ParsesBracketedIpv6AndPortZero) {
  auto address = parse_listen_address("[::1]:0");
  ASSERT_TRUE(address.ok()) << address.error().message();
  EXPECT_EQ(address->host, "::1");
  EXPECT_EQ(address->port, 0);
  EXPECT_TRUE(address->ipv6);
}

TEST(ListenAddress, LocalhostMeansIpv4Loopback) {
  auto address = parse_listen_address("localhost:9000");
  ASSERT_TRUE(address.ok()) << address.error().message();
  EXPECT_EQ(address->host, "127.0.0.1");
  EXPECT_EQ(address->port, 9000);
}

struct BadListen {
  const char* listen;
  const char* message;
};

class ListenAddressRejects : public ::testing::TestWithParam<BadListen> {};

TEST_P(ListenAddressRejects, WithAMessageQuotingTheValue) {
  auto address = parse_listen_address(GetParam().listen);
  ASSERT_FALSE(address.ok());
  EXPECT_EQ(address.error().kind(), ErrorKind::kInvalidConfig);
  EXPECT_EQ(address.error().message(), GetParam().message);
}

INSTANTIATE_TEST_SUITE_P(
    Cases, ListenAddressRejects,
    ::testing::Values(
        BadListen{"", R"("": expected host:port, e.g. 127.0.0.1:8686 or [::1]:8686)"},
        BadListen{"127.0.0.1",
                  R"("127.0.0.1": expected host:port, e.g. 127.0.0.1:8686 or [::1]:8686)"},
        BadListen{"127.0.0.1:", R"("127.0.0.1:": port must be a number from 0 to 65535)"},
        BadListen{"127.0.0.1:http",
                  R"("127.0.0.1:http": port must be a number from 0 to 65535)"},
        BadListen{"127.0.0.1:65536",
                  R"("127.0.0.1:65536": port must be a number from 0 to 65535)"},
        BadListen{"127.0.0.1:-1",
                  R"("127.0.0.1:-1": port must be a number from 0 to 65535)"},
        BadListen{":8686",
                  R"(":8686": missing host; expected host:port, e.g. 127.0.0.1:8686 or [::1]:8686)"},
        BadListen{"::1:8686",
                  R"("::1:8686": an IPv6 address needs brackets, e.g. [::1]:8686)"},
        BadListen{"[::1:8686", R"("[::1:8686": missing ']' after IPv6 address)"},
        BadListen{"[::1]8686",
                  R"("[::1]8686": expected host:port, e.g. 127.0.0.1:8686 or [::1]:8686)"},
        BadListen{"[127.0.0.1]:80",
                  R"("[127.0.0.1]:80": '127.0.0.1' is not an IPv6 address)"},
        BadListen{"256.0.0.1:80",
                  R"("256.0.0.1:80": '256.0.0.1' is not an IP address (host names are not resolved))"},
        BadListen{"example.com:80",
                  R"("example.com:80": 'example.com' is not an IP address (host names are not resolved))"}));

}  // namespace
}  // namespace weft::net
