#include "http/outbound_policy.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(OutboundPolicyTest, RefusesEveryNonPublicRangeByDefault) {
  const OutboundPolicy policy;
  const std::pair<const char*, const char*> cases[] = {
      {"127.0.0.1", "loopback"},
      {"127.255.0.9", "loopback"},
      {"169.254.169.254", "link-local"},
      {"10.1.2.3", "private"},
      {"172.16.0.1", "private"},
      {"172.31.255.255", "private"},
      {"192.168.1.1", "private"},
      {"100.64.0.1", "carrier-grade NAT"},
      {"0.0.0.0", "unspecified"},
      {"224.0.0.1", "multicast"},
      {"255.255.255.255", "reserved"},
      {"192.0.2.7", "documentation"},
      {"198.18.0.1", "benchmarking"},
      {"::1", "loopback"},
      {"::", "unspecified"},
      {"fe80::1", "link-local"},
      {"fc00::1", "private"},
      {"fd12:3456::1", "private"},
      {"ff02::1", "multicast"},
      {"2001:db8::1", "documentation"},
      // IPv4 inside IPv6 is judged by the IPv4 address.
      {"::ffff:127.0.0.1", "loopback"},
      {"::ffff:169.254.169.254", "link-local"},
      {"::ffff:10.0.0.1", "private"},
      {"64:ff9b::a9fe:a9fe", "link-local"},   // NAT64 of 169.254.169.254
      {"2002:7f00:1::", "loopback"},          // 6to4 of 127.0.0.1
      {"::127.0.0.1", "reserved"},            // IPv4-compatible
  };
  for (const auto& [address, kind] : cases) {
    EXPECT_THAT(policy.Refusal(address), HasSubstr(kind)) << address;
  }
}

TEST(OutboundPolicyTest, AllowsPublicAddresses) {
  const OutboundPolicy policy;
  for (const char* address : {"8.8.8.8", "1.1.1.1", "172.32.0.1", "100.128.0.1",
                              "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808",
                              "2002:808:808::1"}) {
    EXPECT_EQ(policy.Refusal(address), "") << address;
  }
  EXPECT_EQ(policy.Refusal("not-an-ip"), "not an IP address");
}

TEST(OutboundPolicyTest, TheAllowListOpensCidrsAddressesAndHosts) {
  absl::StatusOr<OutboundPolicy> policy =
      OutboundPolicy::Create({"10.1.0.0/16", "127.0.0.1", " fd00::/8 ", "Hooks.Internal"});
  ASSERT_TRUE(policy.ok()) << policy.status();
  EXPECT_EQ(policy->Refusal("10.1.200.3"), "");
  EXPECT_THAT(policy->Refusal("10.2.0.1"), HasSubstr("private"));
  EXPECT_EQ(policy->Refusal("127.0.0.1"), "");
  EXPECT_EQ(policy->Refusal("::ffff:127.0.0.1"), "");  // the same address, v4-mapped
  EXPECT_THAT(policy->Refusal("127.0.0.2"), HasSubstr("loopback"));
  EXPECT_EQ(policy->Refusal("fd00::5"), "");
  EXPECT_THAT(policy->Refusal("169.254.169.254"), HasSubstr("link-local"));
  // A listed host may resolve to anything; another host may not.
  EXPECT_EQ(policy->Refusal("192.168.0.9", "hooks.internal"), "");
  EXPECT_THAT(policy->Refusal("192.168.0.9", "other.internal"), HasSubstr("private"));
}

TEST(OutboundPolicyTest, BadAllowEntriesAreErrorsNamingThem) {
  for (const char* entry : {"10.0.0.0/33", "::/129", "10.0.0.0/x", "http://host", "a b",
                            "host:8080"}) {
    absl::StatusOr<OutboundPolicy> policy = OutboundPolicy::Create({entry});
    ASSERT_FALSE(policy.ok()) << entry;
    EXPECT_TRUE(absl::IsInvalidArgument(policy.status()));
    EXPECT_THAT(std::string(policy.status().message()), HasSubstr(entry));
  }
}

TEST(OutboundPolicyTest, ResolveRefusesNonPublicTargetsNamingTheRedactedUrl) {
  const OutboundPolicy policy;
  for (const char* url :
       {"http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data/",
        "https://[::1]:8443/x", "http://[::ffff:127.0.0.1]/x", "http://localhost:1/x",
        "http://0x7f000001/x"}) {
    absl::StatusOr<OutboundTarget> target = policy.Resolve(url);
    ASSERT_FALSE(target.ok()) << url;
    EXPECT_TRUE(absl::IsInvalidArgument(target.status())) << target.status();
    EXPECT_THAT(std::string(target.status().message()), HasSubstr("not a public address"));
  }
  absl::StatusOr<OutboundTarget> secret =
      policy.Resolve("http://user:hunter2@10.0.0.1/h?token=abc");
  ASSERT_FALSE(secret.ok());
  EXPECT_THAT(std::string(secret.status().message()), HasSubstr("user:***@10.0.0.1"));
  EXPECT_THAT(std::string(secret.status().message()), Not(HasSubstr("hunter2")));
}

TEST(OutboundPolicyTest, ResolveRefusesOtherSchemesWhateverTheAllowList) {
  absl::StatusOr<OutboundPolicy> policy = OutboundPolicy::Create({"0.0.0.0/0", "::/0"});
  ASSERT_TRUE(policy.ok());
  for (const char* url : {"ftp://8.8.8.8/x", "file:///etc/passwd", "gopher://8.8.8.8/",
                          "not a url", "/relative", "http://8.8.8.8:0/"}) {
    absl::StatusOr<OutboundTarget> target = policy->Resolve(url);
    EXPECT_TRUE(absl::IsInvalidArgument(target.status())) << url << ": " << target.status();
  }
}

TEST(OutboundPolicyTest, ResolveReturnsTheCheckedAddressesAndPort) {
  absl::StatusOr<OutboundPolicy> policy = OutboundPolicy::Create({"127.0.0.0/8", "::1"});
  ASSERT_TRUE(policy.ok());
  absl::StatusOr<OutboundTarget> target = policy->Resolve("https://127.0.0.1:8443/hook");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_EQ(target->scheme, "https");
  EXPECT_EQ(target->host, "127.0.0.1");
  EXPECT_EQ(target->port, 8443);
  EXPECT_EQ(target->addresses, std::vector<std::string>{"127.0.0.1"});
  absl::StatusOr<OutboundTarget> v6 = policy->Resolve("http://[::1]/hook");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->port, 80);
  EXPECT_EQ(v6->addresses, std::vector<std::string>{"::1"});
}

TEST(OutboundPolicyTest, AnUnresolvableHostIsUnavailable) {
  const OutboundPolicy policy;
  absl::StatusOr<OutboundTarget> target = policy.Resolve("http://no-such-host.invalid/x");
  EXPECT_TRUE(absl::IsUnavailable(target.status())) << target.status();
  EXPECT_THAT(std::string(target.status().message()), HasSubstr("no-such-host.invalid"));
}

}  // namespace
}  // namespace inferd
