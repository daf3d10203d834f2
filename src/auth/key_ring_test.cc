#include "auth/key_ring.h"

#include <cstdio>
#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::auth {
namespace {

using ::testing::HasSubstr;

class KeyRingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::path(::testing::TempDir()) /
            ("keys_" + std::to_string(::getpid()) + ".jsonl");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(const std::string& text) { std::ofstream(path_) << text; }

  std::filesystem::path path_;
};

TEST_F(KeyRingTest, AuthenticatesBySecretOnly) {
  Write(R"({"name": "alice", "key": "alice-secret-0123", "scopes": ["infer"]})"
        "\n"
        R"({"name": "bob", "key": "bob-secret-0123456", "scopes": ["admin"]})");
  auto ring = KeyRing::Load(path_.string());
  ASSERT_TRUE(ring.ok()) << ring.status();
  EXPECT_EQ((*ring)->size(), 2u);
  auto alice = (*ring)->Authenticate("alice-secret-0123");
  ASSERT_NE(alice, nullptr);
  EXPECT_EQ(alice->name, "alice");
  EXPECT_EQ((*ring)->Authenticate("bob-secret-0123456")->name, "bob");
  EXPECT_EQ((*ring)->Authenticate("alice"), nullptr);
  EXPECT_EQ((*ring)->Authenticate(""), nullptr);
  EXPECT_EQ((*ring)->Authenticate("alice-secret-01234"), nullptr);
}

TEST_F(KeyRingTest, MissingFileIsAnErrorNamingIt) {
  auto ring = KeyRing::Load((path_.string() + ".missing"));
  ASSERT_FALSE(ring.ok());
  EXPECT_THAT(std::string(ring.status().message()), HasSubstr(".missing: cannot open"));
}

TEST_F(KeyRingTest, ReloadSwapsKeysAndKeepsHeldOnes) {
  Write(R"({"name": "alice", "key": "alice-secret-0123", "scopes": ["infer"]})");
  auto ring = KeyRing::Load(path_.string());
  ASSERT_TRUE(ring.ok());
  std::shared_ptr<const ApiKey> held = (*ring)->Authenticate("alice-secret-0123");
  ASSERT_NE(held, nullptr);
  Write(R"({"name": "carol", "key": "carol-secret-0123", "scopes": ["infer", "admin"]})");
  absl::StatusOr<size_t> reloaded = (*ring)->Reload();
  ASSERT_TRUE(reloaded.ok()) << reloaded.status();
  EXPECT_EQ(*reloaded, 1u);
  EXPECT_EQ((*ring)->Authenticate("alice-secret-0123"), nullptr);
  EXPECT_EQ((*ring)->Authenticate("carol-secret-0123")->name, "carol");
  EXPECT_EQ(held->name, "alice");  // still valid for the request holding it
}

TEST_F(KeyRingTest, FailedReloadKeepsTheKeysInUse) {
  Write(R"({"name": "alice", "key": "alice-secret-0123", "scopes": ["infer"]})");
  auto ring = KeyRing::Load(path_.string());
  ASSERT_TRUE(ring.ok());
  Write("{\"name\": \"alice\"\n");
  absl::StatusOr<size_t> reloaded = (*ring)->Reload();
  ASSERT_FALSE(reloaded.ok());
  EXPECT_THAT(std::string(reloaded.status().message()), HasSubstr("line 1"));
  EXPECT_NE((*ring)->Authenticate("alice-secret-0123"), nullptr);
}

TEST_F(KeyRingTest, RingWithoutFileCannotReload) {
  auto ring = KeyRing::FromKeys({});
  EXPECT_EQ(ring->size(), 0u);
  EXPECT_EQ(ring->Authenticate("anything-at-all-123"), nullptr);
  EXPECT_FALSE(ring->Reload().ok());
}

}  // namespace
}  // namespace inferd::auth
