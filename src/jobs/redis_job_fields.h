#pragma once

// The Redis job store's constants and small encodings, shared by its two
// source files (redis_job_store.cc: submissions, reads, state changes;
// redis_job_store_upkeep.cc: requeues, takeover and purges). Internal to
// the store.

#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "redis/redis_client.h"

namespace inferd::jobs::redis_job_fields {

inline constexpr char kGroup[] = "workers";  // the workers' consumer group
inline constexpr int kBatch = 500;           // ids per purge/requeue round
inline constexpr int kMaxRaces = 64;  // compare-and-set retries before giving up

// A time as Redis scores and documents keep it: Unix microseconds.
inline std::string Us(absl::Time t) { return std::to_string(absl::ToUnixMicros(t)); }

// "<priority>|<entry id>" -> its parts; false when empty or malformed.
inline bool SplitEntry(std::string_view entry, int& priority, std::string& eid) {
  size_t bar = entry.find('|');
  if (bar != 1 || entry[0] < '0' || entry[0] > '2') return false;
  priority = entry[0] - '0';
  eid = std::string(entry.substr(2));
  return !eid.empty();
}

// The stream entry field list [k, v, k, v...] -> v of `name`.
inline std::string Field(const redis::Reply& fields, std::string_view name) {
  for (size_t k = 0; k + 1 < fields.elements.size(); k += 2) {
    if (fields.elements[k].str == name) return fields.elements[k + 1].str;
  }
  return "";
}

}  // namespace inferd::jobs::redis_job_fields
