#include "redis/redis_auto_pipeline.h"

#include <utility>

namespace inferd::redis {

RedisAutoPipeline::RedisAutoPipeline(RedisClient* client, int max_batch)
    : client_(client), max_batch_(max_batch < 1 ? 1 : static_cast<size_t>(max_batch)) {
  thread_ = std::thread([this] { Loop(); });
}

RedisAutoPipeline::~RedisAutoPipeline() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  thread_.join();
}

void RedisAutoPipeline::Send(std::vector<std::string> args, Callback done) {
  absl::MutexLock lock(&mu_);
  queue_.push_back(Pending{std::move(args), std::move(done)});
}

uint64_t RedisAutoPipeline::round_trips() const {
  absl::MutexLock lock(&mu_);
  return round_trips_;
}

void RedisAutoPipeline::Loop() {
  std::vector<Pending> batch;
  std::vector<std::vector<std::string>> commands;
  while (true) {
    batch.clear();
    commands.clear();
    {
      absl::MutexLock lock(&mu_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return stopping_ || !queue_.empty();
      };
      mu_.Await(absl::Condition(&ready));
      if (queue_.empty()) return;  // stopping, and everything sent
      while (!queue_.empty() && batch.size() < max_batch_) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      ++round_trips_;
    }
    for (Pending& p : batch) commands.push_back(std::move(p.args));
    absl::StatusOr<std::vector<Reply>> replies = client_->Pipeline(commands);
    for (size_t i = 0; i < batch.size(); ++i) {
      if (!replies.ok()) {
        batch[i].done(replies.status());
        continue;
      }
      const std::string_view command = commands[i].empty() ? "" : commands[i][0];
      batch[i].done(CheckReply(command, std::move((*replies)[i])));
    }
  }
}

}  // namespace inferd::redis
