#include "common/url_redaction.h"

#include "gtest/gtest.h"

namespace inferd {
namespace {

TEST(RedactUrlTest, HidesThePasswordOfTheUserinfo) {
  EXPECT_EQ(RedactUrl("http://alice:s3cret@hooks.example:8080/done?x=1"),
            "http://alice:***@hooks.example:8080/done?x=1");
  EXPECT_EQ(RedactUrl("http://alice:@host/"), "http://alice:***@host/");
}

TEST(RedactUrlTest, HidesAUserinfoWithoutPasswordWhole) {
  EXPECT_EQ(RedactUrl("http://ghp_abcdef@host/hook"), "http://***@host/hook");
}

TEST(RedactUrlTest, AnAtSignOutsideTheAuthorityIsNotUserinfo) {
  EXPECT_EQ(RedactUrl("http://host/people/@bob?who=a@b"), "http://host/people/@bob?who=a@b");
}

TEST(RedactUrlTest, HidesQueryParametersThatHoldSecrets) {
  EXPECT_EQ(RedactUrl("http://h/p?token=abc&x=1&API-Key=k&access_token=t&sig=s&page=2#frag"),
            "http://h/p?token=***&x=1&API-Key=***&access_token=***&sig=***&page=2#frag");
  EXPECT_EQ(RedactUrl("http://h/p?password=&flag"), "http://h/p?password=&flag");
}

TEST(RedactUrlTest, UrlsWithoutSecretsAreUnchanged) {
  for (const char* url : {"http://127.0.0.1:9/hook", "http://h", "http://h?x=1", "", "not a url",
                          "http://[::1]:80/a"}) {
    EXPECT_EQ(RedactUrl(url), url);
  }
}

TEST(RedactUrlTest, StringsThatAreNotQuiteUrlsAreRedactedToo) {
  EXPECT_EQ(RedactUrl("ftp://u:p@x/y"), "ftp://u:***@x/y");
  EXPECT_EQ(RedactUrl("u:p@x/y"), "u:***@x/y");
}

TEST(RedactUrlInTest, ReplacesEveryOccurrence) {
  const char* url = "http://u:pw@h/x";
  EXPECT_EQ(RedactUrlIn("webhook http://u:pw@h/x: refused (http://u:pw@h/x)", url),
            "webhook http://u:***@h/x: refused (http://u:***@h/x)");
  EXPECT_EQ(RedactUrlIn("no url here", url), "no url here");
  EXPECT_EQ(RedactUrlIn("text", ""), "text");
}

}  // namespace
}  // namespace inferd
