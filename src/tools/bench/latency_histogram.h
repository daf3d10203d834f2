#pragma once

// A log-linear latency histogram with bounded memory, in the style of
// HdrHistogram: values below 256 us are counted exactly, larger ones in
// buckets that split every power of two into 128 parts, so a reported
// percentile is within 1/128 (0.8%) of the true value. Values are recorded in
// microseconds up to about 12 days; larger values are clamped.
//
// Why not a library: Debian 12 packages no HdrHistogram for C++, and sorted
// samples grow without bound under a long, fast run. This is ~35 KB per
// histogram no matter how many requests it counts.
//
// Not thread-safe: a caller that records from several threads guards it
// (see LevelStats).

#include <cstdint>
#include <vector>

namespace inferd::bench {

class LatencyHistogram {
 public:
  LatencyHistogram();

  // Counts one value, in microseconds. Negative values count as 0.
  void Record(int64_t micros);

  // Adds every count of `other` to this histogram.
  void Merge(const LatencyHistogram& other);

  void Clear();

  int64_t count() const { return count_; }
  // Exact minimum and maximum recorded; 0 when empty.
  int64_t min() const { return count_ == 0 ? 0 : min_; }
  int64_t max() const { return max_; }
  // Exact mean of recorded values; 0 when empty.
  double mean() const;

  // The value at or below which `percentile` percent (0..100) of the
  // recorded values lie, within the bucket precision and never above max().
  // 0 when empty.
  int64_t ValueAtPercentile(double percentile) const;

 private:
  static int BucketIndex(int64_t micros);
  // The largest value that lands in bucket `index`.
  static int64_t BucketUpperBound(int index);

  std::vector<int64_t> counts_;
  int64_t count_ = 0;
  int64_t min_ = 0;
  int64_t max_ = 0;
  double sum_ = 0;
};

}  // namespace inferd::bench
