#include "http/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <stdexcept>
#include <string>

#include "absl/time/clock.h"
#include "common/strings.h"
#include "common/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/chunk_queue.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// A plain blocking client socket on loopback.
class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{10, 0};  // a hang fails the test instead of blocking it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  }
  ~Client() { Close(); }
  void Close() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }
  void Send(const std::string& bytes) {
    ASSERT_EQ(send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(bytes.size()));
  }
  // Reads until `responses` complete responses (Content-Length bodies) or EOF.
  std::string Read(int responses) {
    std::string got;
    char buffer[4096];
    while (CountComplete(got) < responses) {
      ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) break;
      got.append(buffer, static_cast<size_t>(n));
    }
    return got;
  }

 private:
  static int CountComplete(const std::string& text) {
    int count = 0;
    size_t at = 0;
    while (true) {
      size_t end = text.find("\r\n\r\n", at);
      if (end == std::string::npos) return count;
      size_t length_at = text.find("Content-Length: ", at);
      size_t length = 0;
      if (length_at != std::string::npos && length_at < end) {
        length = std::stoul(text.substr(length_at + 16));
      }
      if (text.size() < end + 4 + length) return count;
      at = end + 4 + length;
      ++count;
    }
  }
  int fd_ = -1;
};

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    routes_.Add("GET", "/ok", [this](HttpRequest&&, Responder respond) {
      ++calls_;
      respond(JsonBody(200, R"({"ok":true})"));
    });
    routes_.Add("POST", "/echo", [this](HttpRequest&& request, Responder respond) {
      ++calls_;
      respond(JsonBody(200, request.body));
    });
    routes_.Add("GET", "/throws", [](HttpRequest&&, Responder) {
      throw std::runtime_error("boom in the handler");
    });
    routes_.Add("GET", "/answers-then-throws", [](HttpRequest&&, Responder respond) {
      respond(JsonBody(200, R"({"first":true})"));
      throw std::runtime_error("after answering");
    });
    // Echo what the client sent into a message and a stream, as handlers
    // do with a model name: the client's bytes need not be UTF-8.
    routes_.Add("GET", "/models/{model}", [](HttpRequest&& request, Responder respond) {
      respond(JsonError(404, StrCat("model \"", request.param("model"), "\" not found")));
    });
    routes_.Add("GET", "/stream/{model}", [](HttpRequest&& request, Responder respond) {
      auto queue = std::make_shared<ChunkQueue>();
      HttpResponse response;
      response.content_type = "text/event-stream";
      response.stream = queue;
      respond(std::move(response));
      queue->Push(SseMessage("", StrCat(R"({"model":")", request.param("model"), R"("})")));
      queue->Finish();
    });
    routes_.Add("GET", "/bytes", [](HttpRequest&&, Responder respond) {
      HttpResponse response = JsonBody(200, "\xFF\xFE");
      response.content_type = "application/octet-stream";
      respond(std::move(response));
    });
    HttpServer::Options options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.io_threads = 1;
    options.access_log = false;
    server_ = *HttpServer::Create(options, &routes_);
    server_->Start();
  }
  void TearDown() override { server_->Shutdown(absl::Seconds(5)); }

  RouteTable routes_;
  std::unique_ptr<HttpServer> server_;
  std::atomic<int> calls_{0};
};

TEST_F(HttpServerTest, AThrowingHandlerIsA500AndTheServerGoesOn) {
  Client client(server_->port());
  client.Send("GET /throws HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answer = client.Read(1);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 500"));
  EXPECT_THAT(answer, HasSubstr("boom in the handler"));
  // The same connection still serves, and the request is no longer active.
  client.Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(client.Read(1), HasSubstr(R"({"ok":true})"));
  // Counted down once the answer is written, just after the client reads it.
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (server_->active_requests() != 0 && absl::Now() < deadline) {
    absl::SleepFor(absl::Milliseconds(1));
  }
  EXPECT_EQ(server_->active_requests(), 0);
}

TEST_F(HttpServerTest, AHandlerThatThrowsAfterAnsweringKeepsItsAnswer) {
  Client client(server_->port());
  client.Send("GET /answers-then-throws HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answer = client.Read(1);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 200"));
  EXPECT_THAT(answer, HasSubstr(R"({"first":true})"));
  client.Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(client.Read(1), HasSubstr(R"({"ok":true})"));
}

TEST_F(HttpServerTest, PipelinedRequestsAreAnsweredInOrder) {
  Client client(server_->port());
  client.Send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nfirst"
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 6\r\n\r\nsecond"
      "GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answers = client.Read(3);
  const size_t first = answers.find("first");
  const size_t second = answers.find("second");
  const size_t third = answers.find(R"({"ok":true})");
  ASSERT_NE(first, std::string::npos) << answers;
  ASSERT_NE(second, std::string::npos) << answers;
  ASSERT_NE(third, std::string::npos) << answers;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
}

// JSON must be UTF-8: bytes a client sent that are not (here %FF in a path,
// decoded into the model name) are written as U+FFFD, never raw.
TEST_F(HttpServerTest, JsonBodiesAndStreamsAreValidUtf8WhateverTheClientSent) {
  Client client(server_->port());
  client.Send("GET /models/ch%FFat HTTP/1.1\r\nHost: x\r\n\r\n");
  std::string answer = client.Read(1);
  EXPECT_THAT(answer, StartsWith("HTTP/1.1 404"));
  const std::string replaced = "ch\xEF\xBF\xBD" + std::string("at");  // U+FFFD
  EXPECT_THAT(answer, HasSubstr(R"({"error":"model \")" + replaced + R"(\" not found"})"));
  EXPECT_TRUE(IsValidUtf8(answer)) << answer;

  Client streamed(server_->port());
  streamed.Send("GET /stream/ch%FFat HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  answer = streamed.Read(1000);  // to the end: the server closes
  EXPECT_THAT(answer, HasSubstr(R"(data: {"model":")" + replaced + R"("})"));
  EXPECT_TRUE(IsValidUtf8(answer)) << answer;

  // Bodies that are not JSON text are left as they are.
  Client bytes(server_->port());
  bytes.Send("GET /bytes HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(bytes.Read(1), HasSubstr("\r\n\r\n\xFF\xFE"));
}

TEST_F(HttpServerTest, AClientThatLeavesMidBodyRunsNoHandler) {
  {
    Client client(server_->port());
    client.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly ten b");
  }  // closed with 90 bytes missing
  Client next(server_->port());
  next.Send("GET /ok HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(next.Read(1), HasSubstr(R"({"ok":true})"));
  EXPECT_EQ(calls_.load(), 1);  // only the GET
}

}  // namespace
}  // namespace inferd
