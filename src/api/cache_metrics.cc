#include "api/cache_metrics.h"

namespace inferd {

CacheMetrics::CacheMetrics(MetricsRegistry* registry, const cache::ResponseCache* cache) {
  struct Reading {
    const char* name;
    const char* help;
    bool is_counter;
    uint64_t cache::CacheStats::*field;
  };
  static constexpr Reading kReadings[] = {
      {"inferd_cache_hits_total", "Responses answered from the cache.", true,
       &cache::CacheStats::hits},
      {"inferd_cache_misses_total", "Cache lookups that found nothing.", true,
       &cache::CacheStats::misses},
      {"inferd_cache_coalesced_total",
       "Requests that waited for an identical request in flight instead of computing.", true,
       &cache::CacheStats::coalesced},
      {"inferd_cache_insertions_total", "Responses stored in the cache.", true,
       &cache::CacheStats::insertions},
      {"inferd_cache_evictions_total", "Entries removed to stay within --cache-bytes.", true,
       &cache::CacheStats::evictions},
      {"inferd_cache_expirations_total", "Entries removed because --cache-ttl passed.", true,
       &cache::CacheStats::expirations},
      {"inferd_cache_bytes", "Bytes held by cache entries.", false, &cache::CacheStats::bytes},
      {"inferd_cache_entries", "Entries in the cache.", false, &cache::CacheStats::entries},
  };
  for (const Reading& reading : kReadings) {
    registry->AddCallback(reading.name, reading.help, reading.is_counter,
                          [cache, field = reading.field] {
                            return static_cast<double>(cache->stats().*field);
                          });
  }
  hit_seconds_ = registry
                     ->AddHistogram("inferd_cache_hit_seconds",
                                    "Time to answer a request from the cache.", {},
                                    MetricsRegistry::LatencyBounds())
                     ->WithLabels({});
}

}  // namespace inferd
