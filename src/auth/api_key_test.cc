#include "auth/api_key.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd::auth {
namespace {

using ::testing::HasSubstr;

// sha256("alice-secret-0123456789")
std::string HexOf(const Sha256Digest& digest) {
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : digest) {
    hex.push_back(kHex[byte >> 4]);
    hex.push_back(kHex[byte & 15]);
  }
  return hex;
}

TEST(Sha256Test, MatchesTheKnownDigestOfAbc) {
  EXPECT_EQ(HexOf(Sha256("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(ParseApiKeyFileTest, ReadsKeysWithScopesAndLimits) {
  const std::string text = std::string("# the keys\n\n") +
      R"({"name": "alice", "sha256": ")" + HexOf(Sha256("alice-secret-0123456789")) +
      R"(", "scopes": ["infer"], "requests_per_second": 10, "burst": 20, "max_concurrent": 4, "tokens_per_minute": 20000})" +
      "\n" + R"(  {"name": "ops.team_1", "key": "ops-secret-0123456789", "scopes": ["admin", "jobs:read-all"]}  )";
  absl::StatusOr<std::vector<ApiKey>> keys = ParseApiKeyFile(text, "keys.jsonl");
  ASSERT_TRUE(keys.ok()) << keys.status();
  ASSERT_EQ(keys->size(), 2u);
  const ApiKey& alice = (*keys)[0];
  EXPECT_EQ(alice.name, "alice");
  EXPECT_EQ(alice.digest, Sha256("alice-secret-0123456789"));
  EXPECT_TRUE(alice.HasScope("infer"));
  EXPECT_FALSE(alice.HasScope("admin"));
  EXPECT_EQ(alice.limits.requests_per_second, 10);
  EXPECT_EQ(alice.limits.burst, 20);
  EXPECT_EQ(alice.limits.max_concurrent, 4);
  EXPECT_EQ(alice.limits.tokens_per_minute, 20000);
  const ApiKey& ops = (*keys)[1];
  EXPECT_EQ(ops.digest, Sha256("ops-secret-0123456789"));
  EXPECT_THAT(ops.scopes, ::testing::ElementsAre("admin", "jobs:read-all"));
  EXPECT_FALSE(ops.limits.any());
}

TEST(ParseApiKeyFileTest, UppercaseHexDigestIsAccepted) {
  std::string hex = HexOf(Sha256("alice-secret-0123456789"));
  for (char& c : hex) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  auto keys = ParseApiKeyFile(
      R"({"name": "a", "sha256": ")" + hex + R"(", "scopes": ["infer"]})", "f");
  ASSERT_TRUE(keys.ok()) << keys.status();
  EXPECT_EQ((*keys)[0].digest, Sha256("alice-secret-0123456789"));
}

TEST(ParseApiKeyFileTest, EmptyFileHasNoKeys) {
  auto keys = ParseApiKeyFile("# nobody yet\n\n", "f");
  ASSERT_TRUE(keys.ok());
  EXPECT_TRUE(keys->empty());
}

struct BadLine {
  std::string line;
  std::string message;
};

class ParseApiKeyFileBadTest : public ::testing::TestWithParam<BadLine> {};

TEST_P(ParseApiKeyFileBadTest, NamesTheLineAndTheField) {
  const std::string text = std::string("# header\n") + GetParam().line + "\n";
  absl::StatusOr<std::vector<ApiKey>> keys = ParseApiKeyFile(text, "keys.jsonl");
  ASSERT_FALSE(keys.ok());
  EXPECT_EQ(keys.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr("keys.jsonl line 2: "));
  EXPECT_THAT(std::string(keys.status().message()), HasSubstr(GetParam().message));
}

INSTANTIATE_TEST_SUITE_P(
    Lines, ParseApiKeyFileBadTest,
    ::testing::Values(
        BadLine{"name=alice", "not a JSON object"},
        BadLine{"[1]", "not a JSON object"},
        BadLine{R"({"key": "0123456789abcdef", "scopes": ["infer"]})", "\"name\" is required"},
        BadLine{R"({"name": "a b", "key": "0123456789abcdef", "scopes": ["infer"]})",
                "\"name\" must be"},
        BadLine{R"({"name": "a", "scopes": ["infer"]})", "\"sha256\" (or \"key\") is required"},
        BadLine{R"({"name": "a", "key": "short", "scopes": ["infer"]})",
                "\"key\" must be at least 16"},
        BadLine{R"({"name": "a", "sha256": "abc", "scopes": ["infer"]})",
                "\"sha256\" must be 64 hex digits"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "sha256": "00", "scopes": ["infer"]})",
                "not both"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef"})", "\"scopes\" is required"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": []})",
                "\"scopes\" must be a non-empty array"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": ["write"]})",
                "unknown scope \"write\""},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer", "infer"]})",
                "given twice"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer"], "requests_per_second": -1})",
                "\"requests_per_second\" must be between 0"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer"], "max_concurrent": "4"})",
                "\"max_concurrent\" must be a number"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer"], "max_concurrent": 1.5})",
                "whole number"},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer"], "burst": 5})",
                "\"burst\" needs \"requests_per_second\""},
        BadLine{R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer"], "rps": 5})",
                "unknown field \"rps\""}));

TEST(ParseApiKeyFileTest, RefusesTwoKeysWithOneNameOrOneSecret) {
  auto same_name = ParseApiKeyFile(
      R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer"]})"
      "\n"
      R"({"name": "a", "key": "fedcba9876543210", "scopes": ["infer"]})",
      "f");
  ASSERT_FALSE(same_name.ok());
  EXPECT_THAT(std::string(same_name.status().message()),
              HasSubstr("f line 2: \"name\": \"a\" is already the name of another key"));
  auto same_secret = ParseApiKeyFile(
      R"({"name": "a", "key": "0123456789abcdef", "scopes": ["infer"]})"
      "\n"
      R"({"name": "b", "key": "0123456789abcdef", "scopes": ["admin"]})",
      "f");
  ASSERT_FALSE(same_secret.ok());
  EXPECT_THAT(std::string(same_secret.status().message()), HasSubstr("same secret"));
}

}  // namespace
}  // namespace inferd::auth
