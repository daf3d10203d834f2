#include "tools/bench/latency_histogram.h"

#include <cmath>
#include <cstdint>

#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

TEST(LatencyHistogramTest, EmptyHistogramReportsZeros) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), 0);
  EXPECT_EQ(h.mean(), 0.0);
  EXPECT_EQ(h.ValueAtPercentile(50), 0);
}

TEST(LatencyHistogramTest, SmallValuesAreExact) {
  LatencyHistogram h;
  for (int64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.count(), 100);
  EXPECT_EQ(h.min(), 1);
  EXPECT_EQ(h.max(), 100);
  EXPECT_DOUBLE_EQ(h.mean(), 50.5);
  EXPECT_EQ(h.ValueAtPercentile(50), 50);
  EXPECT_EQ(h.ValueAtPercentile(90), 90);
  EXPECT_EQ(h.ValueAtPercentile(99), 99);
  EXPECT_EQ(h.ValueAtPercentile(100), 100);
  EXPECT_EQ(h.ValueAtPercentile(0), 1);
}

TEST(LatencyHistogramTest, LargeValuesStayWithinOnePartIn128) {
  // Uniform 1 ms .. 1 s in 1 ms steps: the true p-th percentile is p*10 ms.
  LatencyHistogram h;
  for (int64_t ms = 1; ms <= 1000; ++ms) h.Record(ms * 1000);
  for (double p : {50.0, 90.0, 95.0, 99.0}) {
    const double truth = std::ceil(p * 10.0) * 1000.0;
    const double got = static_cast<double>(h.ValueAtPercentile(p));
    EXPECT_NEAR(got, truth, truth / 128.0) << "p" << p;
    EXPECT_GE(got, truth) << "p" << p << " must not under-report";
  }
  EXPECT_EQ(h.max(), 1000000);
  EXPECT_EQ(h.ValueAtPercentile(100), 1000000);
}

TEST(LatencyHistogramTest, PercentileNeverExceedsMax) {
  LatencyHistogram h;
  h.Record(1001);  // lands in a bucket whose upper bound is above 1001
  EXPECT_EQ(h.ValueAtPercentile(50), 1001);
  EXPECT_EQ(h.ValueAtPercentile(100), 1001);
}

TEST(LatencyHistogramTest, ReportsTheTopOfTheBucketAValueLandsIn) {
  LatencyHistogram h;
  h.Record(1);
  h.Record(1000);  // bucket [1000, 1003]
  h.Record(5000);  // bucket [4992, 5023]
  EXPECT_EQ(h.ValueAtPercentile(50), 1003);
  EXPECT_EQ(h.ValueAtPercentile(100), 5000) << "clamped to the maximum";
}

TEST(LatencyHistogramTest, OutlierShowsOnlyAtTheTail) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.Record(511);  // the top of [510, 511]
  h.Record(2000000);
  EXPECT_EQ(h.ValueAtPercentile(50), 511);
  EXPECT_EQ(h.ValueAtPercentile(99.9), 511);
  EXPECT_EQ(h.ValueAtPercentile(99.95), 2000000);
  EXPECT_EQ(h.max(), 2000000);
}

TEST(LatencyHistogramTest, NegativeAndHugeValuesAreClamped) {
  LatencyHistogram h;
  h.Record(-5);
  h.Record(int64_t{1} << 62);
  EXPECT_EQ(h.count(), 2);
  EXPECT_EQ(h.min(), 0);
  EXPECT_EQ(h.max(), (int64_t{1} << 40) - 1);
}

TEST(LatencyHistogramTest, MergeAddsCountsAndExtremes) {
  LatencyHistogram a;
  LatencyHistogram b;
  for (int i = 0; i < 10; ++i) a.Record(100);
  for (int i = 0; i < 30; ++i) b.Record(300);
  b.Record(7);
  a.Merge(b);
  EXPECT_EQ(a.count(), 41);
  EXPECT_EQ(a.min(), 7);
  EXPECT_EQ(a.max(), 300);
  EXPECT_EQ(a.ValueAtPercentile(25), 100);
  EXPECT_EQ(a.ValueAtPercentile(75), 300);

  LatencyHistogram empty;
  empty.Merge(a);
  EXPECT_EQ(empty.count(), 41);
  EXPECT_EQ(empty.min(), 7);
}

TEST(LatencyHistogramTest, ClearForgetsEverything) {
  LatencyHistogram h;
  h.Record(12345);
  h.Clear();
  EXPECT_EQ(h.count(), 0);
  EXPECT_EQ(h.max(), 0);
  h.Record(3);
  EXPECT_EQ(h.min(), 3);
}

}  // namespace
}  // namespace inferd::bench
