#include "tools/bench/generation_runner.h"

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "tools/bench/testing/fake_http_server.h"

namespace inferd::bench {
namespace {

// These tests stream from an in-process fake server over loopback. They
// check counts and what was sent, which do not depend on the machine's
// speed, never timings.

namespace json = boost::json;

std::string Chunk(const std::string& text) {
  return "data: {\"choices\":[{\"text\":\"" + text +
         "\",\"index\":0,\"finish_reason\":null}]}\n\n";
}

// Three text chunks, split across HTTP chunks mid-event, then the usage
// chunk and [DONE], as inferd and OpenAI send them.
std::vector<std::string> ThreeTokens(int64_t) {
  const std::string all = Chunk(" t1") + Chunk(" t2") + Chunk(" t3") +
                          "data: {\"choices\":[],\"usage\":{\"prompt_tokens\":"
                          "4,\"completion_tokens\":3}}\n\ndata: [DONE]\n\n";
  return {all.substr(0, 7), all.substr(7, 50), all.substr(57)};
}

BenchOptions Options(uint16_t port) {
  BenchOptions o;
  o.url = "http://127.0.0.1:" + std::to_string(port);
  o.model = "m";
  o.route = "completions";
  o.concurrency = {1, 3};
  o.num_requests = 5;
  o.prompt_tokens = 4;
  o.max_tokens = 3;
  o.timeout = absl::Seconds(10);
  o.progress = false;
  return o;
}

class GenerationRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    out_ = std::tmpfile();
    err_ = std::tmpfile();
  }
  void TearDown() override {
    std::fclose(out_);
    std::fclose(err_);
  }
  static std::string Read(std::FILE* f) {
    std::rewind(f);
    std::string text;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), f)) > 0;) {
      text.append(buffer, n);
    }
    return text;
  }
  std::FILE* out_ = nullptr;
  std::FILE* err_ = nullptr;
};

TEST_F(GenerationRunnerTest, RunsEveryLevelAndCountsTokens) {
  testing::FakeHttpServer::Options server_options;
  server_options.stream_for = ThreeTokens;
  testing::FakeHttpServer server(server_options);

  auto report = RunGenerationBench(Options(server.port()), out_, err_);
  ASSERT_TRUE(report.ok()) << report.status();

  ASSERT_EQ(report->levels.size(), 2u);
  for (const GenerationLevel& level : report->levels) {
    EXPECT_EQ(level.succeeded, 5);
    EXPECT_EQ(level.failed, 0);
    EXPECT_EQ(level.output_tokens, 15);
    EXPECT_EQ(level.text_chunks, 15);
    EXPECT_EQ(level.short_requests, 0);
    EXPECT_EQ(level.ttft.count(), 5);
    EXPECT_EQ(level.itl.count(), 10);
    EXPECT_EQ(level.mean_prompt_tokens(), 4);
  }
  EXPECT_EQ(report->levels[0].concurrency, 1);
  EXPECT_EQ(report->levels[1].concurrency, 3);
  EXPECT_EQ(report->path, "/v1/completions");

  // The pre-flight request and five per level, each with its own prompt.
  const std::vector<std::string> bodies = server.bodies();
  ASSERT_EQ(bodies.size(), 11u);
  std::set<std::string> prompts;
  for (const std::string& body : bodies) {
    json::object b = json::parse(body).as_object();
    prompts.insert(std::string(b.at("prompt").as_string()));
    EXPECT_EQ(b.at("max_tokens").to_number<int>(), 3);
    EXPECT_TRUE(b.at("ignore_eos").as_bool());
    EXPECT_TRUE(b.at("stream").as_bool());
  }
  EXPECT_EQ(prompts.size(), 11u);
  EXPECT_NE(Read(out_).find("tok/s/strm"), std::string::npos);
  EXPECT_NE(Read(err_).find("counts the prompt as 4 tokens"),
            std::string::npos);
}

TEST_F(GenerationRunnerTest, ChatRouteSendsMessagesAndPrintsJson) {
  testing::FakeHttpServer::Options server_options;
  server_options.stream_for = [](int64_t) {
    return std::vector<std::string>{
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"}}]}"
        "\n\n",
        "data: "
        "{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n",
        "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":"
        "\"length\"}]}\n\ndata: [DONE]\n\n"};
  };
  testing::FakeHttpServer server(server_options);
  BenchOptions o = Options(server.port());
  o.route = "chat";
  o.concurrency = {2};
  o.num_requests = 0;  // twice the concurrency
  o.max_tokens = 1;
  o.json = true;

  auto report = RunGenerationBench(o, out_, err_);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(report->path, "/v1/chat/completions");
  ASSERT_EQ(report->levels.size(), 1u);
  EXPECT_EQ(report->levels[0].succeeded, 4);
  EXPECT_EQ(report->levels[0].output_tokens, 4);  // role chunks are not text
  json::object sent = json::parse(server.bodies().back()).as_object();
  EXPECT_TRUE(sent.contains("messages"));
  json::value doc = json::parse(Read(out_));
  EXPECT_EQ(doc.at("route").as_string(), "chat");
  EXPECT_EQ(doc.at("levels").at(0).at("requests").to_number<int>(), 4);
}

TEST_F(GenerationRunnerTest, FailuresDuringALevelAreCountedByKind) {
  testing::FakeHttpServer::Options server_options;
  // Request 0 is the pre-flight one.
  server_options.status_for = [](int64_t n) { return n == 3 ? 503 : 200; };
  server_options.stream_for = [](int64_t n) {
    if (n == 5) {
      return std::vector<std::string>{
          Chunk("a"), "data: {\"error\":{\"message\":\"engine failed\"}}\n\n"};
    }
    if (n == 6) {  // llama-server's way, then its usual [DONE]
      return std::vector<std::string>{
          Chunk("a"),
          "error: {\"code\":500,\"message\":\"KV cache is full\"}\n\n",
          "data: [DONE]\n\n"};
    }
    return ThreeTokens(n);
  };
  testing::FakeHttpServer server(server_options);
  BenchOptions o = Options(server.port());
  o.concurrency = {1};  // one at a time: request n is the n-th of the level
  o.num_requests = 6;

  auto report = RunGenerationBench(o, out_, err_);
  ASSERT_TRUE(report.ok()) << report.status();
  const GenerationLevel& level = report->levels[0];
  EXPECT_EQ(level.succeeded, 3);
  EXPECT_EQ(level.failed, 3);
  EXPECT_EQ(level.errors.at("503"), 1);
  EXPECT_EQ(level.errors.at("stream_error"), 2);
  EXPECT_EQ(level.output_tokens, 9);
  EXPECT_EQ(level.short_requests, 0);
}

TEST_F(GenerationRunnerTest, RefusedFirstRequestStopsWithTheServersMessage) {
  testing::FakeHttpServer::Options server_options;
  server_options.status_for = [](int64_t) { return 400; };
  server_options.stream_for = ThreeTokens;
  testing::FakeHttpServer server(server_options);

  auto report = RunGenerationBench(Options(server.port()), out_, err_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(report.status().message().find("400"), std::string::npos);
  EXPECT_NE(report.status().message().find("{\"error\":\"x\"}"),
            std::string::npos)
      << report.status();
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(GenerationRunnerTest, AnswerThatIsNotAnEventStreamStopsTheRun) {
  testing::FakeHttpServer::Options server_options;
  server_options.stream_for = [](int64_t) {
    return std::vector<std::string>{"{\"choices\":[{\"text\":\"hi\"}]}"};
  };
  testing::FakeHttpServer server(server_options);

  auto report = RunGenerationBench(Options(server.port()), out_, err_);
  ASSERT_FALSE(report.ok());
  EXPECT_NE(report.status().message().find("no generated text"),
            std::string::npos)
      << report.status();
  EXPECT_EQ(server.requests(), 1);
}

TEST_F(GenerationRunnerTest, UnreachableServerIsUnavailable) {
  auto report = RunGenerationBench(Options(testing::UnusedPort()), out_, err_);
  ASSERT_FALSE(report.ok());
  EXPECT_EQ(report.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(report.status().message().find("cannot reach"), std::string::npos);
}

}  // namespace
}  // namespace inferd::bench
