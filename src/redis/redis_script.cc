#include "redis/redis_script.h"

#include <utility>

namespace inferd::redis {
namespace {

bool IsNoScript(const absl::Status& status) {
  return status.message().find("NOSCRIPT") != std::string_view::npos;
}

}  // namespace

std::vector<std::string> RedisScript::EvalSha(const std::vector<std::string>& keys,
                                              std::vector<std::string> args) {
  std::vector<std::string> command = {"EVALSHA", "", std::to_string(keys.size())};
  command.reserve(3 + keys.size() + args.size());
  command.insert(command.end(), keys.begin(), keys.end());
  for (std::string& a : args) command.push_back(std::move(a));
  return command;
}

absl::StatusOr<std::string> RedisScript::Loaded(absl::StatusOr<Reply> reply) {
  if (!reply.ok()) return reply.status();
  if (reply->str.size() != 40) {
    return absl::InternalError("redis SCRIPT LOAD: the reply is not a digest");
  }
  absl::MutexLock lock(&mu_);
  sha_ = reply->str;
  return sha_;
}

absl::StatusOr<std::string> RedisScript::Load(RedisClient& client) {
  return Loaded(client.Command({"SCRIPT", "LOAD", std::string(source_)}));
}

std::string RedisScript::digest() {
  absl::MutexLock lock(&mu_);
  return sha_;
}

absl::StatusOr<Reply> RedisScript::Run(RedisClient& client,
                                       const std::vector<std::string>& keys,
                                       std::vector<std::string> args) {
  std::vector<std::string> command = EvalSha(keys, std::move(args));
  command[1] = digest();
  if (command[1].empty()) {
    absl::StatusOr<std::string> loaded = Load(client);
    if (!loaded.ok()) return loaded.status();
    command[1] = *std::move(loaded);
  }
  absl::StatusOr<Reply> reply = client.Command(command);
  if (reply.ok() || !IsNoScript(reply.status())) return reply;
  absl::StatusOr<std::string> loaded = Load(client);
  if (!loaded.ok()) return loaded.status();
  command[1] = *std::move(loaded);
  return client.Command(command);
}

void RedisScript::RunAsync(RedisAutoPipeline& pipeline, const std::vector<std::string>& keys,
                           std::vector<std::string> args, RedisAutoPipeline::Callback done) {
  std::vector<std::string> command = EvalSha(keys, std::move(args));
  command[1] = digest();
  if (command[1].empty()) return LoadThenSend(pipeline, std::move(command), std::move(done));
  // Kept for a NOSCRIPT answer, which means the script did not run.
  auto again = std::make_shared<std::vector<std::string>>(command);
  pipeline.Send(std::move(command), [this, &pipeline, again, done = std::move(done)](
                                        absl::StatusOr<Reply> reply) mutable {
    if (reply.ok() || !IsNoScript(reply.status())) return done(std::move(reply));
    LoadThenSend(pipeline, std::move(*again), std::move(done));
  });
}

void RedisScript::LoadThenSend(RedisAutoPipeline& pipeline, std::vector<std::string> command,
                               RedisAutoPipeline::Callback done) {
  auto pending = std::make_shared<std::vector<std::string>>(std::move(command));
  pipeline.Send({"SCRIPT", "LOAD", std::string(source_)},
                [this, &pipeline, pending, done = std::move(done)](
                    absl::StatusOr<Reply> reply) mutable {
                  absl::StatusOr<std::string> sha = Loaded(std::move(reply));
                  if (!sha.ok()) return done(sha.status());
                  (*pending)[1] = *std::move(sha);
                  pipeline.Send(std::move(*pending), std::move(done));
                });
}

}  // namespace inferd::redis
