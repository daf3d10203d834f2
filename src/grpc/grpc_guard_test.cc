#include "grpc/grpc_guard.h"

#include "gtest/gtest.h"

namespace inferd::grpc_api {
namespace {

TEST(GrpcGuardTest, PeerAddressDropsTheSchemeAndPort) {
  EXPECT_EQ(PeerAddress("ipv4:127.0.0.1:51234"), "127.0.0.1");
  EXPECT_EQ(PeerAddress("ipv6:[::1]:51234"), "::1");
  EXPECT_EQ(PeerAddress("ipv6:[2001:db8::7]:80"), "2001:db8::7");
  EXPECT_EQ(PeerAddress("unix:/tmp/socket"), "unix:/tmp/socket");
  EXPECT_EQ(PeerAddress(""), "");
}

}  // namespace
}  // namespace inferd::grpc_api
