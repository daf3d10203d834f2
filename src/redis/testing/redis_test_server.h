#pragma once

// A real redis-server (Debian's) for tests: started on a free loopback port
// with no persistence, stopped (SIGTERM, then waited for) when the object
// goes away. Header-only; for tests.
//
//   RedisTestServer server;
//   if (!server.ok()) GTEST_SKIP() << server.error();

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "redis/redis_client.h"

extern char** environ;

namespace inferd::redis::testing {

class RedisTestServer {
 public:
  RedisTestServer() {
    const char* binary = "/usr/bin/redis-server";
    if (access(binary, X_OK) != 0) {
      error_ = "redis-server is not installed (scripts/install-deps.sh installs it)";
      return;
    }
    port_ = FreePort();
    std::vector<std::string> args = {binary, "--port", std::to_string(port_), "--bind",
                                     "127.0.0.1", "--save", "", "--appendonly", "no",
                                     "--loglevel", "warning"};
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    // Its output goes to /dev/null: a test runner that reads this process's
    // output must not wait for the server's copy of the pipe.
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    const int spawned = posix_spawn(&pid_, binary, &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (spawned != 0) {
      error_ = "cannot start redis-server";
      pid_ = 0;
      return;
    }
    RedisClient::Options options;
    options.url.host = "127.0.0.1";
    options.url.port = port_;
    options.initial_backoff = absl::Milliseconds(20);
    options.max_backoff = absl::Milliseconds(20);
    client_ = *RedisClient::Create(options);
    // Wait until it answers (it starts in milliseconds; give it 10 s).
    for (int i = 0; i < 500; ++i) {
      if (client_->Command({"PING"}).ok()) return;
      absl::SleepFor(absl::Milliseconds(20));
    }
    error_ = "redis-server did not answer PING";
  }
  ~RedisTestServer() {
    client_.reset();
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      waitpid(pid_, &status, 0);
    }
  }
  RedisTestServer(const RedisTestServer&) = delete;
  RedisTestServer& operator=(const RedisTestServer&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }
  int port() const { return port_; }
  RedisUrl url() const {
    RedisUrl url;
    url.host = "127.0.0.1";
    url.port = port_;
    return url;
  }
  // A client of this server (connected).
  RedisClient* client() { return client_.get(); }

 private:
  static int FreePort() {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    int port = ntohs(addr.sin_port);
    close(fd);
    return port;
  }

  pid_t pid_ = 0;
  int port_ = 0;
  std::string error_;
  std::unique_ptr<RedisClient> client_;
};

}  // namespace inferd::redis::testing
