#include "tools/bench/load_generator.h"

#include <string>

#include "gtest/gtest.h"
#include "tools/bench/http_load_client.h"
#include "tools/bench/testing/fake_http_server.h"

namespace inferd::bench {
namespace {

// These tests run real sockets against an in-process fake for a fraction of
// a second. They check counts, which do not depend on how fast the machine
// is, never timings.

constexpr char kMetadata[] =
    R"({"inputs":[{"name":"x","datatype":"FP32","shape":[-1,4]}]})";

class LoadGeneratorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto source =
        RequestSource::FromMetadata(kMetadata, GenerationOptions(),
                                    "/v2/models/m/infer", "application/json");
    ASSERT_TRUE(source.ok()) << source.status();
    source_.emplace(*std::move(source));
  }

  LoadGenerator MakeGenerator(uint16_t port) {
    auto endpoints = ResolveEndpoints("127.0.0.1", port);
    EXPECT_TRUE(endpoints.ok());
    LoadGenerator::Options options;
    options.endpoints = *endpoints;
    options.host_header = "127.0.0.1:" + std::to_string(port);
    options.requests = &*source_;
    options.timeout = absl::Seconds(5);
    return LoadGenerator(std::move(options));
  }

  static LevelSpec Closed(int concurrency, absl::Duration duration) {
    LevelSpec spec;
    spec.concurrency = concurrency;
    spec.warmup = absl::ZeroDuration();
    spec.duration = duration;
    return spec;
  }

  std::optional<RequestSource> source_;
};

TEST_F(LoadGeneratorTest, ClosedLoopCountsEveryResponseOnceByStatus) {
  testing::FakeHttpServer::Options server_options;
  server_options.status_for = [](int64_t n) { return n % 4 == 3 ? 503 : 200; };
  testing::FakeHttpServer server(server_options);
  LoadGenerator generator = MakeGenerator(server.port());

  LevelResult result =
      generator.RunLevel(Closed(4, absl::Milliseconds(300)), nullptr);

  const std::map<int, int64_t> sent = server.responses();
  ASSERT_GT(server.requests(), 8);
  EXPECT_EQ(result.requests(), server.requests());
  EXPECT_EQ(result.succeeded, sent.at(200));
  EXPECT_EQ(result.failed, sent.at(503));
  EXPECT_EQ(result.http_errors.at(503), sent.at(503));
  EXPECT_TRUE(result.transport_errors.empty());
  EXPECT_EQ(result.latency.count(), result.succeeded);
  EXPECT_EQ(result.concurrency, 4);
  EXPECT_EQ(result.connections, 4);
  EXPECT_EQ(server.connections(), 4) << "one keep-alive connection per worker";
  EXPECT_GE(result.elapsed_seconds, 0.3);
  EXPECT_GT(result.throughput(), 0);
}

TEST_F(LoadGeneratorTest, WarmupRequestsAreNotCounted) {
  testing::FakeHttpServer server({});
  LoadGenerator generator = MakeGenerator(server.port());
  LevelSpec spec = Closed(2, absl::Milliseconds(200));
  spec.warmup = absl::Milliseconds(200);

  LevelResult result = generator.RunLevel(spec, nullptr);

  EXPECT_GT(result.warmup_requests, 0);
  EXPECT_GT(result.succeeded, 0);
  EXPECT_EQ(result.warmup_requests + result.requests(), server.requests());
}

TEST_F(LoadGeneratorTest, ReopensConnectionsTheServerCloses) {
  testing::FakeHttpServer::Options server_options;
  server_options.close_every = 2;
  testing::FakeHttpServer server(server_options);
  LoadGenerator generator = MakeGenerator(server.port());

  LevelResult result =
      generator.RunLevel(Closed(2, absl::Milliseconds(200)), nullptr);

  EXPECT_GT(result.succeeded, 4);
  EXPECT_EQ(result.failed, 0);
  EXPECT_GT(server.connections(), 2);
}

TEST_F(LoadGeneratorTest, OpenLoopSendsEveryScheduledRequestOnce) {
  testing::FakeHttpServer server({});
  LoadGenerator generator = MakeGenerator(server.port());
  LevelSpec spec;
  spec.request_rate = 200;  // due every 5 ms: 100 in the half-second window
  spec.connections = 8;
  spec.warmup = absl::ZeroDuration();
  spec.duration = absl::Milliseconds(500);

  LevelResult result = generator.RunLevel(spec, nullptr);

  EXPECT_EQ(result.request_rate, 200);
  EXPECT_EQ(result.concurrency, 0);
  EXPECT_EQ(result.requests() + result.missed, 100);
  EXPECT_EQ(result.requests(), server.requests());
  EXPECT_EQ(result.failed, 0);
}

TEST_F(LoadGeneratorTest, UnreachableServerCountsConnectErrors) {
  LoadGenerator generator = MakeGenerator(testing::UnusedPort());

  LevelResult result =
      generator.RunLevel(Closed(2, absl::Milliseconds(100)), nullptr);

  EXPECT_EQ(result.succeeded, 0);
  EXPECT_GT(result.failed, 0);
  EXPECT_EQ(result.transport_errors.at("connect"), result.failed);
  EXPECT_EQ(result.latency.count(), 0);
}

TEST_F(LoadGeneratorTest, ReportsProgressWhileRunning) {
  testing::FakeHttpServer server({});
  LoadGenerator generator = MakeGenerator(server.port());
  int calls = 0;
  bool saw_measuring = false;

  generator.RunLevel(
      Closed(1, absl::Milliseconds(300)),
      [&](const LevelProgress& p) {
        ++calls;
        saw_measuring |= !p.warming_up;
        EXPECT_DOUBLE_EQ(p.phase_seconds, 0.3);
      },
      absl::Milliseconds(50));

  EXPECT_GE(calls, 2);
  EXPECT_TRUE(saw_measuring);
}

}  // namespace
}  // namespace inferd::bench
