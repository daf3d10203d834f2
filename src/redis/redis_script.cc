#include "redis/redis_script.h"

#include <utility>

namespace inferd::redis {

absl::StatusOr<std::string> RedisScript::Load(RedisClient& client) {
  absl::StatusOr<Reply> reply =
      client.Command({"SCRIPT", "LOAD", std::string(source_)});
  if (!reply.ok()) return reply.status();
  if (reply->str.size() != 40) {
    return absl::InternalError("redis SCRIPT LOAD: the reply is not a digest");
  }
  absl::MutexLock lock(&mu_);
  sha_ = reply->str;
  return sha_;
}

absl::StatusOr<Reply> RedisScript::Run(RedisClient& client,
                                       const std::vector<std::string>& keys,
                                       std::vector<std::string> args) {
  std::string sha;
  {
    absl::MutexLock lock(&mu_);
    sha = sha_;
  }
  if (sha.empty()) {
    absl::StatusOr<std::string> loaded = Load(client);
    if (!loaded.ok()) return loaded.status();
    sha = *std::move(loaded);
  }
  std::vector<std::string> command = {"EVALSHA", sha, std::to_string(keys.size())};
  command.reserve(3 + keys.size() + args.size());
  command.insert(command.end(), keys.begin(), keys.end());
  for (std::string& a : args) command.push_back(std::move(a));
  absl::StatusOr<Reply> reply = client.Command(command);
  if (reply.ok() || reply.status().message().find("NOSCRIPT") ==
                        std::string_view::npos) {
    return reply;
  }
  absl::StatusOr<std::string> loaded = Load(client);
  if (!loaded.ok()) return loaded.status();
  command[1] = *std::move(loaded);
  return client.Command(command);
}

}  // namespace inferd::redis
