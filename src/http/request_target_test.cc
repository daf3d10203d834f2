#include "http/request_target.h"

#include "gtest/gtest.h"

namespace inferd {
namespace {

TEST(RequestTargetTest, OriginFormKeepsPathAndQueryEncoded) {
  absl::StatusOr<RequestTarget> t = ParseRequestTarget("/v2/models/a%2Fb/ready?x=1&y=%20");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "/v2/models/a%2Fb/ready");
  EXPECT_EQ(t->query, "x=1&y=%20");
}

TEST(RequestTargetTest, AbsoluteFormRoutesOnItsPathAndQuery) {
  absl::StatusOr<RequestTarget> t = ParseRequestTarget("http://127.0.0.1:8000/v2/health/live");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "/v2/health/live");
  EXPECT_EQ(t->query, "");
  t = ParseRequestTarget("HTTPS://example.com/v1/jobs?limit=5");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "/v1/jobs");
  EXPECT_EQ(t->query, "limit=5");
}

TEST(RequestTargetTest, AbsoluteFormWithoutPathIsTheRoot) {
  absl::StatusOr<RequestTarget> t = ParseRequestTarget("http://example.com");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "/");
  t = ParseRequestTarget("http://example.com?q=1");
  ASSERT_TRUE(t.ok()) << t.status();
  EXPECT_EQ(t->path, "/");
  EXPECT_EQ(t->query, "q=1");
}

TEST(RequestTargetTest, OtherFormsAndSchemesAreRefused) {
  EXPECT_EQ(ParseRequestTarget("*").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseRequestTarget("example.com:443").status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<RequestTarget> t = ParseRequestTarget("ftp://example.com/v2/health/live");
  EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(t.status().message().find("\"ftp\""), absl::string_view::npos);
  EXPECT_FALSE(ParseRequestTarget("").ok());
  EXPECT_FALSE(ParseRequestTarget("/a b").ok());
  EXPECT_FALSE(ParseRequestTarget("/a%zz").ok());
  EXPECT_FALSE(ParseRequestTarget("http://example.com/a#frag").ok());
}

// Found by fuzz/request_target_fuzzer.cc: absolute URLs (without an
// authority, or with a second colon after the port) parsed to a path that
// did not start with '/'.
TEST(RequestTargetTest, AnAbsoluteUrlWithoutAHostIsRefused) {
  for (const char* target : {"http:*/host:800//vds/", "http:v2/health/live", "https:/v2",
                             "http://host:800:predict?q"}) {
    absl::StatusOr<RequestTarget> t = ParseRequestTarget(target);
    EXPECT_EQ(t.status().code(), absl::StatusCode::kInvalidArgument) << target;
  }
}

}  // namespace
}  // namespace inferd
