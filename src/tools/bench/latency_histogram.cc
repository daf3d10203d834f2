#include "tools/bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace inferd::bench {
namespace {

// Values below 2^kExactBits are their own bucket. Above, each power of two
// [2^e, 2^(e+1)) has kSubBuckets buckets of width 2^(e - kSubBucketBits).
constexpr int kExactBits = 8;
constexpr int kSubBucketBits = kExactBits - 1;
constexpr int kSubBuckets = 1 << kSubBucketBits;
constexpr int kExactBuckets = 1 << kExactBits;
// 2^40 us is about 12.7 days; nothing an HTTP benchmark measures gets close.
constexpr int kMaxExponent = 39;
constexpr int64_t kMaxValue = (int64_t{1} << (kMaxExponent + 1)) - 1;
constexpr int kBucketCount =
    kExactBuckets + (kMaxExponent - kExactBits + 1) * kSubBuckets;

}  // namespace

LatencyHistogram::LatencyHistogram() : counts_(kBucketCount, 0) {}

int LatencyHistogram::BucketIndex(int64_t micros) {
  if (micros < kExactBuckets) return static_cast<int>(micros);
  const int exponent = std::bit_width(static_cast<uint64_t>(micros)) - 1;
  const int shift = exponent - kSubBucketBits;
  const int sub = static_cast<int>(micros >> shift) - kSubBuckets;
  return kExactBuckets + (exponent - kExactBits) * kSubBuckets + sub;
}

int64_t LatencyHistogram::BucketUpperBound(int index) {
  if (index < kExactBuckets) return index;
  const int octave = (index - kExactBuckets) / kSubBuckets;
  const int sub = (index - kExactBuckets) % kSubBuckets;
  const int shift = octave + kExactBits - kSubBucketBits;
  const int64_t lower = static_cast<int64_t>(kSubBuckets + sub) << shift;
  return lower + (int64_t{1} << shift) - 1;
}

void LatencyHistogram::Record(int64_t micros) {
  micros = std::clamp<int64_t>(micros, 0, kMaxValue);
  ++counts_[BucketIndex(micros)];
  if (count_ == 0 || micros < min_) min_ = micros;
  max_ = std::max(max_, micros);
  sum_ += static_cast<double>(micros);
  ++count_;
}

void LatencyHistogram::Merge(const LatencyHistogram& other) {
  if (other.count_ == 0) return;
  for (int i = 0; i < kBucketCount; ++i) counts_[i] += other.counts_[i];
  min_ = count_ == 0 ? other.min_ : std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  sum_ += other.sum_;
  count_ += other.count_;
}

void LatencyHistogram::Clear() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = 0;
  min_ = 0;
  max_ = 0;
  sum_ = 0;
}

double LatencyHistogram::mean() const {
  return count_ == 0 ? 0.0 : sum_ / static_cast<double>(count_);
}

int64_t LatencyHistogram::ValueAtPercentile(double percentile) const {
  if (count_ == 0) return 0;
  percentile = std::clamp(percentile, 0.0, 100.0);
  // The rank of the value asked for, 1-based: the smallest value with at
  // least `percentile` percent of the counts at or below it.
  // The small slack keeps 99.9% of 1000 at rank 999 despite rounding.
  int64_t rank = static_cast<int64_t>(
      std::ceil(percentile / 100.0 * static_cast<double>(count_) - 1e-9));
  rank = std::clamp<int64_t>(rank, 1, count_);
  int64_t seen = 0;
  for (int i = 0; i < kBucketCount; ++i) {
    seen += counts_[i];
    if (seen >= rank) {
      return std::clamp(BucketUpperBound(i), min(), max_);
    }
  }
  return max_;
}

}  // namespace inferd::bench
