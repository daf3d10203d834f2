#pragma once

// RedisScript: a Lua script run with EVALSHA, so each call sends the
// script's 40-character digest instead of its text (which Redis would
// otherwise hash again on every EVAL). The digest comes from SCRIPT LOAD on
// first use; a server that no longer has the script (restarted, SCRIPT
// FLUSH, failover) answers NOSCRIPT, and the script is loaded again and the
// call repeated once: NOSCRIPT means it did not run, so repeating is safe.
//
// Thread-safe: one RedisScript may be shared by every thread.

#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
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

 private:
  // SCRIPT LOAD; the digest, or Command()'s error.
  absl::StatusOr<std::string> Load(RedisClient& client);

  const std::string_view source_;
  absl::Mutex mu_;
  std::string sha_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd::redis
