#pragma once

// RedisSubscriber: one dedicated connection SUBSCRIBEd to one Pub/Sub
// channel, read by its own thread, handing each message to a callback.
//
// On connection loss it reconnects with the client's backoff and subscribes
// again; messages published while it was away are lost (Pub/Sub keeps
// nothing), so consumers must not depend on every message: the job store's
// subscribers use them as wake-ups and re-read the document.
//
// Thread-safe: Start() once, Stop() (or the destructor) joins the thread.
// The callback runs on the subscriber's thread and must not block for long.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "redis/redis_client.h"

namespace inferd::redis {

class RedisSubscriber {
 public:
  using Callback = std::function<void(const std::string& message)>;

  // `client` (not owned) gives the server address and credentials.
  RedisSubscriber(RedisClient* client, std::string channel, Callback callback);
  ~RedisSubscriber();

  void Start();
  void Stop();

  // Whether the subscription is live now (tests, /health).
  bool subscribed() const { return subscribed_.load(std::memory_order_acquire); }

 private:
  void Loop();

  RedisClient* const client_;
  const std::string channel_;
  const Callback callback_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::thread thread_;
};

}  // namespace inferd::redis
