#include "redis/redis_subscriber.h"

#include <hiredis/hiredis.h>
#include <poll.h>

#include <algorithm>
#include <utility>

#include "spdlog/spdlog.h"

namespace inferd::redis {
namespace {

// How often the thread looks at `stopping_` while no message arrives.
constexpr int kPollMs = 200;

}  // namespace

RedisSubscriber::RedisSubscriber(RedisClient* client, std::string channel, Callback callback)
    : client_(client), channel_(std::move(channel)), callback_(std::move(callback)) {}

RedisSubscriber::~RedisSubscriber() { Stop(); }

void RedisSubscriber::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void RedisSubscriber::Stop() {
  stopping_.store(true, std::memory_order_release);
  if (thread_.joinable()) thread_.join();
}

void RedisSubscriber::Loop() {
  absl::Duration backoff = client_->options().initial_backoff;
  bool warned = false;
  while (!stopping_.load(std::memory_order_acquire)) {
    absl::StatusOr<redisContext*> connected = client_->ConnectRaw(absl::Seconds(5));
    if (!connected.ok()) {
      if (!warned) spdlog::warn("redis subscriber: {}", std::string(connected.status().message()));
      warned = true;
      // Sleep in small steps so Stop() is not held up by a long backoff.
      for (absl::Time until = absl::Now() + backoff;
           absl::Now() < until && !stopping_.load(std::memory_order_acquire);) {
        absl::SleepFor(absl::Milliseconds(std::min<int64_t>(
            kPollMs, absl::ToInt64Milliseconds(until - absl::Now()) + 1)));
      }
      backoff = std::min(backoff * 2, client_->options().max_backoff);
      continue;
    }
    redisContext* c = *connected;
    redisReply* r = static_cast<redisReply*>(
        redisCommand(c, "SUBSCRIBE %b", channel_.data(), channel_.size()));
    if (r == nullptr) {
      redisFree(c);
      continue;
    }
    freeReplyObject(r);
    if (warned) spdlog::info("redis subscriber: subscribed again to {}", channel_);
    warned = false;
    backoff = client_->options().initial_backoff;
    subscribed_.store(true, std::memory_order_release);
    // Read replies without blocking past kPollMs, so Stop() is seen.
    bool broken = false;
    while (!broken && !stopping_.load(std::memory_order_acquire)) {
      void* raw = nullptr;
      if (redisGetReplyFromReader(c, &raw) != REDIS_OK) break;
      if (raw == nullptr) {
        pollfd p{c->fd, POLLIN, 0};
        int ready = ::poll(&p, 1, kPollMs);
        if (ready < 0) continue;  // EINTR
        if (ready == 0) continue;
        if (redisBufferRead(c) != REDIS_OK) broken = true;
        continue;
      }
      Reply reply = ConvertReply(raw);
      freeReplyObject(raw);
      // ["message", channel, payload]
      if (reply.is_array() && reply.elements.size() == 3 && reply.elements[0].str == "message") {
        callback_(reply.elements[2].str);
      }
    }
    subscribed_.store(false, std::memory_order_release);
    redisFree(c);
    if (broken && !stopping_.load(std::memory_order_acquire)) {
      spdlog::warn("redis subscriber: connection to {} lost; reconnecting",
                   client_->options().url.Describe());
      warned = true;
    }
  }
}

}  // namespace inferd::redis
