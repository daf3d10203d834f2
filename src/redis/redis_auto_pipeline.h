#pragma once

// RedisAutoPipeline: runs Redis commands without blocking the caller. The
// commands that callers queue while a round trip is in flight go together in
// the next one (auto-pipelining), so under load many commands share one
// write, one read and one thread wake-up instead of parking a thread on a
// synchronous call each.
//
// For request paths that answer from a callback (the job store's reads and
// submissions, on behalf of HTTP handlers). Commands run in the order they
// were sent; each gets its reply, or the batch's error when the connection
// fails (Unavailable: the command may or may not have run, as with
// RedisClient::Pipeline, which does the round trips on a pooled connection).
//
// Thread-safe: Send() may be called from any thread, callbacks included.
// Callbacks run on the pipeline's own thread, one after another: they must
// not block (no synchronous Redis calls); post longer work elsewhere. The
// destructor sends what is still queued, runs those callbacks, then joins.

#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "redis/redis_client.h"

namespace inferd::redis {

class RedisAutoPipeline {
 public:
  // A reply as RedisClient::Command() gives it: an error reply is a Status.
  using Callback = std::function<void(absl::StatusOr<Reply>)>;

  // `client` (not owned) must outlive this object. `max_batch` bounds the
  // commands in one round trip.
  explicit RedisAutoPipeline(RedisClient* client, int max_batch = 256);
  ~RedisAutoPipeline();

  RedisAutoPipeline(const RedisAutoPipeline&) = delete;
  RedisAutoPipeline& operator=(const RedisAutoPipeline&) = delete;

  void Send(std::vector<std::string> args, Callback done);

  // Round trips made so far (tests: commands sent together share one).
  uint64_t round_trips() const;

 private:
  struct Pending {
    std::vector<std::string> args;
    Callback done;
  };

  void Loop();

  RedisClient* const client_;
  const size_t max_batch_;

  mutable absl::Mutex mu_;
  std::deque<Pending> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t round_trips_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread thread_;
};

}  // namespace inferd::redis
