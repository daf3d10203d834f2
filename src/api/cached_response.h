#pragma once

// The response cache as an inference route uses it: Cache-Control, the
// X-Cache header, and single flight over a route's compute step. Route
// agnostic: v2 infer and v1 :predict both answer through RespondThroughCache.

#include <functional>

#include "absl/time/time.h"
#include "api/cache_metrics.h"
#include "cache/response_cache.h"
#include "http/http_message.h"

namespace inferd {

// What the client allowed (Cache-Control request directives; Pragma:
// no-cache counts as Cache-Control: no-cache).
struct CacheDirectives {
  bool no_cache = false;  // do not answer from the cache
  bool no_store = false;  // do not store this answer
};
CacheDirectives ParseCacheDirectives(const HttpRequest& request);

// Adds X-Cache: hit|miss|bypass.
void TagCache(HttpResponse& response, std::string_view outcome);

// Computes the answer (`compute` calls its Responder once) or takes it from
// `cache`:
//   no-cache          compute; X-Cache: bypass (stored unless no-store)
//   a stored entry    its exact bytes; X-Cache: hit
//   identical request in flight: wait for it; X-Cache: hit (when it fails,
//                     compute alone; X-Cache: miss)
//   otherwise         compute; X-Cache: miss; a 200 answer is stored
//                     unless no-store
// `started` is when the route began, for the hit-latency metric.
void RespondThroughCache(cache::ResponseCache* cache, const CacheMetrics* metrics,
                         const cache::CacheKey& key, CacheDirectives directives,
                         absl::Time started, std::function<void(Responder)> compute,
                         Responder respond);

}  // namespace inferd
