#pragma once

// What the endpoint handlers share: the model repository, a pool for
// blocking control work, and facts about the server. Not owned.

#include <string>

#include "absl/time/time.h"
#include "common/thread_pool.h"
#include "repository/model_repository.h"
#include "serving/inference_service.h"

namespace inferd {

class JobsApi;
class CacheMetrics;
class SharedMemoryRegistry;
namespace cache {
class ResponseCache;
}  // namespace cache
namespace redis {
class RedisClient;
}  // namespace redis

struct ApiContext {
  ModelRepository* repository = nullptr;
  // Every inference goes through it (routes and async jobs).
  const InferenceService* service = nullptr;
  // Decoding and encoding of bodies that must not run on an I/O thread or a
  // model executor; task pre/post-processing.
  ThreadPool* codec_pool = nullptr;
  ThreadPool* control_pool = nullptr;  // loads and unloads run here
  // Optional: `Prefer: respond-async` turns inference into a job.
  const JobsApi* jobs = nullptr;
  // Optional: the response cache, for models that enable it.
  cache::ResponseCache* cache = nullptr;
  const CacheMetrics* cache_metrics = nullptr;
  // Optional: registered system shared memory regions (Triton's extension).
  SharedMemoryRegistry* shared_memory = nullptr;
  // Optional: the Redis server that jobs and the cache share (--redis);
  // /health reports its state.
  const redis::RedisClient* redis = nullptr;
  absl::Time started = absl::Now();
  std::string server_version = "0.1.0";
};

}  // namespace inferd
