#include "redis/redis_auto_pipeline.h"

#include <optional>
#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "redis/redis_script.h"
#include "redis/testing/redis_test_server.h"

namespace inferd::redis {
namespace {

using ::testing::HasSubstr;

TEST(RedisAutoPipelineTest, CommandsQueuedDuringARoundTripShareTheNext) {
  testing::RedisTestServer server;
  if (!server.ok()) GTEST_SKIP() << server.error();
  RedisAutoPipeline pipeline(server.client());
  std::vector<int64_t> replies;
  // The first reply's callback holds the pipeline's thread until 50 more
  // commands are queued: those go together, in one round trip at most.
  absl::Notification queued, all;
  pipeline.Send({"INCR", "n"}, [&](absl::StatusOr<Reply> reply) {
    queued.WaitForNotification();
    replies.push_back(reply.ok() ? reply->integer : -1);
  });
  for (int i = 0; i < 50; ++i) {
    pipeline.Send({"INCR", "n"}, [&, i](absl::StatusOr<Reply> reply) {
      replies.push_back(reply.ok() ? reply->integer : -1);
      if (i == 49) all.Notify();
    });
  }
  queued.Notify();
  all.WaitForNotification();
  ASSERT_EQ(replies.size(), 51u);
  for (int i = 0; i < 51; ++i) EXPECT_EQ(replies[i], i + 1);  // in order
  EXPECT_LE(pipeline.round_trips(), 2u);  // the first may have waited for the rest
}

TEST(RedisAutoPipelineTest, TheDestructorSendsWhatIsQueued) {
  testing::RedisTestServer server;
  if (!server.ok()) GTEST_SKIP() << server.error();
  int answered = 0;
  {
    RedisAutoPipeline pipeline(server.client());
    for (int i = 0; i < 20; ++i) {
      pipeline.Send({"INCR", "n"}, [&](absl::StatusOr<Reply> reply) {
        if (reply.ok()) ++answered;
      });
    }
  }
  EXPECT_EQ(answered, 20);
  EXPECT_EQ(server.client()->Command({"GET", "n"})->str, "20");
}

TEST(RedisAutoPipelineTest, ErrorRepliesAndLostServersAreStatuses) {
  std::optional<testing::RedisTestServer> server;
  server.emplace();
  if (!server->ok()) GTEST_SKIP() << server->error();
  RedisClient::Options options;
  options.url = server->url();
  auto client = *RedisClient::Create(options);  // outlives the server
  RedisAutoPipeline pipeline(client.get());
  auto send = [&](std::vector<std::string> args) {
    absl::Notification done;
    absl::StatusOr<Reply> got;
    pipeline.Send(std::move(args), [&](absl::StatusOr<Reply> reply) {
      got = std::move(reply);
      done.Notify();
    });
    done.WaitForNotification();
    return got;
  };
  ASSERT_TRUE(send({"HSET", "h", "f", "v"}).ok());
  absl::StatusOr<Reply> wrong = send({"INCR", "h"});
  EXPECT_TRUE(absl::IsInternal(wrong.status()));
  EXPECT_THAT(std::string(wrong.status().message()), HasSubstr("redis INCR: WRONGTYPE"));
  server.reset();  // the server goes away
  EXPECT_TRUE(absl::IsUnavailable(send({"PING"}).status()));
}

TEST(RedisAutoPipelineTest, ScriptsRunByDigestAndLoadAgainAfterAFlush) {
  testing::RedisTestServer server;
  if (!server.ok()) GTEST_SKIP() << server.error();
  RedisAutoPipeline pipeline(server.client());
  RedisScript script("return redis.call('INCRBY', KEYS[1], ARGV[1])");
  auto run = [&](std::string by) {
    absl::Notification done;
    absl::StatusOr<Reply> got;
    script.RunAsync(pipeline, {"n"}, {std::move(by)}, [&](absl::StatusOr<Reply> reply) {
      got = std::move(reply);
      done.Notify();
    });
    done.WaitForNotification();
    return got;
  };
  absl::StatusOr<Reply> first = run("2");  // loads the script first
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->integer, 2);
  ASSERT_TRUE(server.client()->Command({"SCRIPT", "FLUSH"}).ok());
  absl::StatusOr<Reply> second = run("3");  // NOSCRIPT: loaded again, run once
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->integer, 5);
  EXPECT_EQ(server.client()->Command({"GET", "n"})->str, "5");
}

}  // namespace
}  // namespace inferd::redis
