#include "http/http_client.h"

#include <memory>
#include <optional>
#include <string>

#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/http_server.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A real HttpServer on loopback that records the one request it got.
class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    routes_.Add("POST", "/hook", [this](HttpRequest&& request, Responder respond) {
      absl::MutexLock lock(&mu_);
      got_ = std::move(request);
      respond(JsonBody(200, "{}"));
    });
    routes_.Add("POST", "/refuse", [](HttpRequest&&, Responder respond) {
      respond(JsonError(503, "not now"));
    });
    HttpServer::Options options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.access_log = false;
    server_ = *HttpServer::Create(options, &routes_);
    server_->Start();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(5)); }

  RouteTable routes_;
  std::unique_ptr<HttpServer> server_;
  std::string base_;
  absl::Mutex mu_;
  std::optional<HttpRequest> got_;
};

TEST_F(HttpClientTest, PostsTheBodyHeadersAndBasicAuthentication) {
  HttpPost post;
  post.url = "http://alice:s3cret@127.0.0.1:" + std::to_string(server_->port()) + "/hook?x=1";
  post.headers.emplace_back("Job-Id", "j1");
  post.body = R"({"id":"j1"})";
  ASSERT_TRUE(SendHttpPost(post, absl::Seconds(10)).ok());
  absl::MutexLock lock(&mu_);
  ASSERT_TRUE(got_.has_value());
  EXPECT_EQ(got_->body, R"({"id":"j1"})");
  EXPECT_EQ(got_->query, "x=1");
  EXPECT_EQ(got_->header("job-id"), "j1");
  EXPECT_EQ(got_->header("content-type"), "application/json");
  EXPECT_EQ(got_->header("authorization"), "Basic YWxpY2U6czNjcmV0");  // alice:s3cret
}

TEST_F(HttpClientTest, ANon2xxAnswerIsUnavailableNamingTheRedactedUrl) {
  HttpPost post;
  post.url = "http://bob:hunter2@127.0.0.1:" + std::to_string(server_->port()) + "/refuse";
  absl::Status status = SendHttpPost(post, absl::Seconds(10));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_THAT(std::string(status.message()), HasSubstr("answered 503"));
  EXPECT_THAT(std::string(status.message()), Not(HasSubstr("hunter2")));
}

TEST_F(HttpClientTest, UnreachableAndInvalidUrls) {
  HttpPost closed;
  closed.url = "http://127.0.0.1:1/hook";  // nothing listens on port 1
  EXPECT_TRUE(absl::IsUnavailable(SendHttpPost(closed, absl::Seconds(5))));
  for (const char* url : {"ftp://127.0.0.1/hook", "not a url", "/relative"}) {
    HttpPost bad;
    bad.url = url;
    EXPECT_TRUE(absl::IsInvalidArgument(SendHttpPost(bad, absl::Seconds(5)))) << url;
  }
}

}  // namespace
}  // namespace inferd
