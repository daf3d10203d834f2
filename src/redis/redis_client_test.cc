#include "redis/redis_client.h"

#include <atomic>
#include <string>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "redis/redis_script.h"
#include "redis/redis_subscriber.h"
#include "redis/testing/redis_test_server.h"

namespace inferd::redis {
namespace {

using ::testing::HasSubstr;

TEST(RedisUrlTest, ParsesHostPortCredentialsAndDatabase) {
  absl::StatusOr<RedisUrl> url = RedisUrl::Parse("redis://user:s3cret@cache.internal:6380/2");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "cache.internal");
  EXPECT_EQ(url->port, 6380);
  EXPECT_EQ(url->user, "user");
  EXPECT_EQ(url->password, "s3cret");
  EXPECT_EQ(url->db, 2);
  EXPECT_EQ(url->Describe(), "cache.internal:6380/2");  // no credentials

  url = RedisUrl::Parse("redis://:pw@localhost");
  ASSERT_TRUE(url.ok());
  EXPECT_EQ(url->port, 6379);
  EXPECT_EQ(url->user, "");
  EXPECT_EQ(url->password, "pw");
  EXPECT_EQ(url->db, 0);
}

TEST(RedisUrlTest, RejectsBadUrlsNamingWhatIsWrong) {
  EXPECT_THAT(std::string(RedisUrl::Parse("rediss://h:6379").status().message()),
              HasSubstr("TLS"));
  EXPECT_THAT(std::string(RedisUrl::Parse("http://h:6379").status().message()),
              HasSubstr("redis://"));
  EXPECT_THAT(std::string(RedisUrl::Parse("redis://h:99999").status().message()),
              HasSubstr("port"));
  EXPECT_THAT(std::string(RedisUrl::Parse("redis://h:6379/x").status().message()),
              HasSubstr("database"));
  EXPECT_THAT(std::string(RedisUrl::Parse("redis://:6379").status().message()),
              HasSubstr("host"));
}

TEST(RedisClientTest, RunsCommandsAndPipelinesBinarySafely) {
  testing::RedisTestServer server;
  if (!server.ok()) GTEST_SKIP() << server.error();
  RedisClient* client = server.client();
  const std::string value("a\0b\r\n", 5);
  ASSERT_TRUE(client->Command({"SET", "k", value}).ok());
  absl::StatusOr<Reply> got = client->Command({"GET", "k"});
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->str, value);
  EXPECT_TRUE(client->Command({"GET", "missing"})->is_nil());

  absl::StatusOr<std::vector<Reply>> replies =
      client->Pipeline({{"INCR", "n"}, {"HSET", "k", "f", "v"}, {"INCR", "n"}});
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].integer, 1);
  EXPECT_EQ((*replies)[1].type, Reply::Type::kError);  // WRONGTYPE, in its place
  EXPECT_EQ((*replies)[2].integer, 2);
  absl::StatusOr<Reply> wrong = client->Command({"HSET", "k", "f", "v"});
  EXPECT_TRUE(absl::IsInternal(wrong.status()));
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("WRONGTYPE"));
  RedisClient::Stats stats = client->stats();
  EXPECT_TRUE(stats.up);
  EXPECT_GE(stats.commands, 7u);
  EXPECT_GE(stats.errors, 2u);
}

TEST(RedisScriptTest, RunsByDigestAndLoadsAgainAfterAFlush) {
  testing::RedisTestServer server;
  if (!server.ok()) GTEST_SKIP() << server.error();
  RedisClient* client = server.client();
  RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  absl::StatusOr<Reply> first = script.Run(*client, {"n"}, {"2"});
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->integer, 2);
  // The server forgets its scripts (a restart, a failover): NOSCRIPT is
  // answered by loading it again, and the call runs exactly once.
  ASSERT_TRUE(client->Command({"SCRIPT", "FLUSH"}).ok());
  absl::StatusOr<Reply> second = script.Run(*client, {"n"}, {"3"});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->integer, 5);
  EXPECT_EQ(client->Command({"GET", "n"})->str, "5");

  RedisScript failing("return redis.error_reply('no such thing')");
  absl::StatusOr<Reply> error = failing.Run(*client, {}, {});
  EXPECT_TRUE(absl::IsInternal(error.status()));
  EXPECT_THAT(std::string(error.status().message()), HasSubstr("no such thing"));
}

TEST(RedisClientTest, UnreachableServerIsUnavailableAndComesBack) {
  std::optional<testing::RedisTestServer> server;
  server.emplace();
  if (!server->ok()) GTEST_SKIP() << server->error();
  RedisClient::Options options;
  options.url = server->url();
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(1);
  auto client = *RedisClient::Create(options);
  ASSERT_TRUE(client->Command({"PING"}).ok());
  const int port = server->port();
  server.reset();  // the server goes away

  absl::StatusOr<Reply> lost = client->Command({"PING"});
  EXPECT_TRUE(absl::IsUnavailable(lost.status())) << lost.status();
  EXPECT_THAT(std::string(lost.status().message()), HasSubstr("unreachable"));
  EXPECT_FALSE(client->up());
  EXPECT_TRUE(absl::IsUnavailable(client->Command({"PING"}).status()));
  EXPECT_GE(client->stats().errors, 1u);
  (void)port;
}

TEST(RedisClientTest, ClientOfAServerThatNeverRanIsDownNotBroken) {
  RedisClient::Options options;
  options.url.host = "127.0.0.1";
  options.url.port = 1;  // nothing listens there
  auto client = *RedisClient::Create(options);
  absl::StatusOr<Reply> reply = client->Command({"PING"});
  EXPECT_TRUE(absl::IsUnavailable(reply.status()));
  EXPECT_THAT(std::string(reply.status().message()), HasSubstr("127.0.0.1:1/0"));
  // Within the backoff it fails at once with the same reason.
  EXPECT_TRUE(absl::IsUnavailable(client->Command({"PING"}).status()));
  EXPECT_FALSE(client->stats().up);
}

TEST(RedisSubscriberTest, DeliversPublishedMessages) {
  testing::RedisTestServer server;
  if (!server.ok()) GTEST_SKIP() << server.error();
  absl::Notification got;
  std::string message;
  RedisSubscriber subscriber(server.client(), "chan", [&](const std::string& m) {
    if (!got.HasBeenNotified()) {
      message = m;
      got.Notify();
    }
  });
  subscriber.Start();
  // Publish until the subscription is live (it connects on its own thread).
  while (!got.WaitForNotificationWithTimeout(absl::Milliseconds(50))) {
    ASSERT_TRUE(server.client()->Command({"PUBLISH", "chan", "hello"}).ok());
  }
  EXPECT_EQ(message, "hello");
  subscriber.Stop();
}

}  // namespace
}  // namespace inferd::redis
