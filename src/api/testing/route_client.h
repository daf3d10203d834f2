#pragma once

// Calls a route table the way the HTTP server does, without sockets, for
// handler tests: finds the route, runs its handler and waits for the one
// answer. A miss (404/405) comes back as a response with that status and
// the Allow list in its body. Header-only; for tests.

#include <string>
#include <utility>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "http/route_table.h"

namespace inferd::testing {

inline HttpResponse SendThroughRoutes(
    const RouteTable& routes, std::string method, std::string path, std::string body = "",
    std::vector<std::pair<std::string, std::string>> headers = {},
    absl::Duration hang = absl::Seconds(20)) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  request.body = std::move(body);
  request.headers = std::move(headers);
  RouteTable::Match match = routes.Find(request);
  if (match.handler == nullptr) {
    HttpResponse miss;
    miss.status = match.status;
    miss.body = match.allow;
    return miss;
  }
  absl::Notification done;
  absl::Mutex mu;
  int calls = 0;
  HttpResponse out;
  (*match.handler)(std::move(request), [&](HttpResponse response) {
    absl::MutexLock lock(&mu);
    if (++calls == 1) {
      out = std::move(response);
      done.Notify();
    }
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(hang)) << "no response";
  absl::MutexLock lock(&mu);
  EXPECT_EQ(calls, 1) << "the handler answered more than once";
  return out;
}

}  // namespace inferd::testing
