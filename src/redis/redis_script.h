#pragma once

// RedisScript: a Lua script run with EVALSHA, so each call sends the
// script's 40-character digest instead of its text (which Redis would
// otherwise hash again on every EVAL). The digest comes from SCRIPT LOAD on
// first use; a server that no longer has the script (restarted, SCRIPT
// FLUSH, failover) answers NOSCRIPT, and the script is loaded again and the
// call repeated once: NOSCRIPT means it did not run, so repeating is safe.
//
// Thread-safe: one RedisScript may be shared by every thread.

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "redis/redis_auto_pipeline.h"
#include "redis/redis_client.h"

namespace inferd::redis {

class RedisScript {
 public:
  // `source` must outlive this object (the scripts are string constants).
  explicit RedisScript(std::string_view source) : source_(source) {}

  // EVALSHA <digest> <keys.size()> keys... args..., with Command()'s
  // errors (and "redis EVALSHA: ..." for an error the script raised).
  absl::StatusOr<Reply> Run(RedisClient& client,
                            const std::vector<std::string>& keys,
                            std::vector<std::string> args);

  // Run() through `pipeline` (which must outlive the call), without
  // blocking: `done` gets the reply on the pipeline's thread. The digest is
  // loaded through the pipeline too when it is missing.
  void RunAsync(RedisAutoPipeline& pipeline, const std::vector<std::string>& keys,
                std::vector<std::string> args, RedisAutoPipeline::Callback done);

 private:
  // EVALSHA with an empty digest at [1].
  static std::vector<std::string> EvalSha(const std::vector<std::string>& keys,
                                          std::vector<std::string> args);
  // SCRIPT LOAD; the digest, or Command()'s error.
  absl::StatusOr<std::string> Load(RedisClient& client);
  // Keeps the digest of a SCRIPT LOAD reply.
  absl::StatusOr<std::string> Loaded(absl::StatusOr<Reply> reply);
  std::string digest();
  // SCRIPT LOAD through the pipeline, then `command` with the new digest.
  void LoadThenSend(RedisAutoPipeline& pipeline, std::vector<std::string> command,
                    RedisAutoPipeline::Callback done);

  const std::string_view source_;
  absl::Mutex mu_;
  std::string sha_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd::redis
