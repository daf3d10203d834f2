#pragma once

// Metrics of the response cache (inferd_cache_*), documented in
// docs/metrics.md: counters and sizes read from the cache at scrape time,
// and the latency of answering a hit. Thread-safe.

#include "cache/response_cache.h"
#include "metrics/metrics_registry.h"

namespace inferd {

class CacheMetrics {
 public:
  // `cache` is not owned and must outlive the registry's scrapes.
  CacheMetrics(MetricsRegistry* registry, const cache::ResponseCache* cache);

  // Seconds from the request reaching its handler to a hit's answer.
  void HitServed(double seconds) const { hit_seconds_->Observe(seconds); }

 private:
  Histogram* hit_seconds_;
};

}  // namespace inferd
