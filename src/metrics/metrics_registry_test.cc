#include "metrics/metrics_registry.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsRegistryTest, CounterFamilyRendersHelpTypeAndOneLinePerLabelSet) {
  MetricsRegistry registry;
  Family<Counter>* requests =
      registry.AddCounter("inferd_requests_total", "Requests answered.", {"model", "code"});
  requests->WithLabels({"simple", "200"})->Increment();
  requests->WithLabels({"simple", "200"})->Increment(2);
  requests->WithLabels({"digits", "400"})->Increment(0.5);
  EXPECT_EQ(requests->WithLabels({"simple", "200"})->value(), 3);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP inferd_requests_total Requests answered.\n"
            "# TYPE inferd_requests_total counter\n"
            "inferd_requests_total{model=\"digits\",code=\"400\"} 0.5\n"
            "inferd_requests_total{model=\"simple\",code=\"200\"} 3\n");
}

TEST(MetricsRegistryTest, WithLabelsReturnsTheSameChildForTheSameValues) {
  MetricsRegistry registry;
  Family<Gauge>* gauges = registry.AddGauge("g", "A gauge.", {"a"});
  Gauge* first = gauges->WithLabels({"x"});
  EXPECT_EQ(gauges->WithLabels({"x"}), first);
  EXPECT_NE(gauges->WithLabels({"y"}), first);
  // Adding a family again returns the one already there.
  EXPECT_EQ(registry.AddGauge("g", "Another help.", {"a"}), gauges);
}

TEST(MetricsRegistryTest, GaugeSetsAndAddsAndUnlabelledFamiliesHaveNoBraces) {
  MetricsRegistry registry;
  Gauge* queued = registry.AddGauge("inferd_queue_size", "Queued requests.")->WithLabels({});
  queued->Set(5);
  queued->Add(-2);
  queued->Add(0.25);
  EXPECT_EQ(queued->value(), 3.25);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP inferd_queue_size Queued requests.\n"
            "# TYPE inferd_queue_size gauge\n"
            "inferd_queue_size 3.25\n");
}

TEST(MetricsRegistryTest, FamilyWithoutChildrenRendersOnlyItsHeader) {
  MetricsRegistry registry;
  registry.AddCounter("c_total", "Nothing yet.", {"model"});
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP c_total Nothing yet.\n# TYPE c_total counter\n");
}

TEST(MetricsRegistryTest, LabelValuesAreEscaped) {
  MetricsRegistry registry;
  registry.AddCounter("c_total", "Escaping.", {"model"})
      ->WithLabels({"a\\b\"c\nd"})
      ->Increment();
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("c_total{model=\"a\\\\b\\\"c\\nd\"} 1\n"));
}

TEST(HistogramTest, BucketsAreCumulativeAndBoundsInclusive) {
  const std::vector<double> bounds = {1, 2, 5};
  Histogram histogram(&bounds);
  for (double value : {0.5, 1.0, 1.5, 2.0, 4.0, 7.0}) histogram.Observe(value);
  EXPECT_THAT(histogram.CumulativeCounts(), ElementsAre(2, 4, 5, 6));
  EXPECT_EQ(histogram.count(), 6u);
  EXPECT_DOUBLE_EQ(histogram.sum(), 16.0);
}

TEST(MetricsRegistryTest, HistogramRendersBucketsSumAndCountWithLabels) {
  MetricsRegistry registry;
  Family<Histogram>* latency = registry.AddHistogram(
      "inferd_latency_seconds", "Request latency.", {"model"}, {0.1, 0.5});
  Histogram* simple = latency->WithLabels({"simple"});
  simple->Observe(0.05);
  simple->Observe(0.5);
  simple->Observe(2);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP inferd_latency_seconds Request latency.\n"
            "# TYPE inferd_latency_seconds histogram\n"
            "inferd_latency_seconds_bucket{model=\"simple\",le=\"0.1\"} 1\n"
            "inferd_latency_seconds_bucket{model=\"simple\",le=\"0.5\"} 2\n"
            "inferd_latency_seconds_bucket{model=\"simple\",le=\"+Inf\"} 3\n"
            "inferd_latency_seconds_sum{model=\"simple\"} 2.55\n"
            "inferd_latency_seconds_count{model=\"simple\"} 3\n");
}

TEST(MetricsRegistryTest, UnlabelledHistogramPutsLeAlone) {
  MetricsRegistry registry;
  registry.AddHistogram("batch_size", "Batch sizes.", {}, {1, 2})->WithLabels({})->Observe(2);
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP batch_size Batch sizes.\n"
            "# TYPE batch_size histogram\n"
            "batch_size_bucket{le=\"1\"} 0\n"
            "batch_size_bucket{le=\"2\"} 1\n"
            "batch_size_bucket{le=\"+Inf\"} 1\n"
            "batch_size_sum 2\n"
            "batch_size_count 1\n");
}

TEST(MetricsRegistryTest, CallbacksAreReadAtEveryScrape) {
  MetricsRegistry registry;
  double open = 2;
  registry.AddCallback("open_connections", "Open connections.", false, [&open] { return open; });
  registry.AddCallback("cpu_seconds_total", "CPU time.", true, [] { return 1.5; });
  EXPECT_EQ(registry.RenderPrometheus(),
            "# HELP cpu_seconds_total CPU time.\n"
            "# TYPE cpu_seconds_total counter\n"
            "cpu_seconds_total 1.5\n"
            "# HELP open_connections Open connections.\n"
            "# TYPE open_connections gauge\n"
            "open_connections 2\n");
  open = 7;
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("open_connections 7\n"));
}

TEST(MetricsRegistryTest, ScrapeHooksRunBeforeTheRender) {
  MetricsRegistry registry;
  Gauge* jobs = registry.AddGauge("jobs", "Jobs by status.", {"status"})->WithLabels({"queued"});
  int runs = 0;
  registry.AddScrapeHook([&] { jobs->Set(++runs * 10); });
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("jobs{status=\"queued\"} 10\n"));
  EXPECT_THAT(registry.RenderPrometheus(), HasSubstr("jobs{status=\"queued\"} 20\n"));
  EXPECT_EQ(runs, 2);
}

TEST(MetricsRegistryTest, FamiliesOfEveryKindRenderInNameOrder) {
  MetricsRegistry registry;
  registry.AddGauge("b_gauge", "B.")->WithLabels({})->Set(1);
  registry.AddCallback("a_callback", "A.", false, [] { return 0; });
  registry.AddHistogram("c_histogram", "C.", {}, {1});
  registry.AddCounter("d_total", "D.")->WithLabels({})->Increment();
  const std::string text = registry.RenderPrometheus();
  const size_t a = text.find("# HELP a_callback");
  const size_t b = text.find("# HELP b_gauge");
  const size_t c = text.find("# HELP c_histogram");
  const size_t d = text.find("# HELP d_total");
  ASSERT_NE(a, std::string::npos);
  ASSERT_NE(b, std::string::npos);
  ASSERT_NE(c, std::string::npos);
  ASSERT_NE(d, std::string::npos);
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_LT(c, d);
}

TEST(MetricsRegistryTest, SpecialValuesUsePrometheusSpelling) {
  MetricsRegistry registry;
  Family<Gauge>* gauges = registry.AddGauge("g", "Special.", {"v"});
  gauges->WithLabels({"nan"})->Set(std::numeric_limits<double>::quiet_NaN());
  gauges->WithLabels({"pos"})->Set(std::numeric_limits<double>::infinity());
  gauges->WithLabels({"neg"})->Set(-std::numeric_limits<double>::infinity());
  gauges->WithLabels({"big"})->Set(1e21);
  const std::string text = registry.RenderPrometheus();
  EXPECT_THAT(text, HasSubstr("g{v=\"nan\"} NaN\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"pos\"} +Inf\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"neg\"} -Inf\n"));
  EXPECT_THAT(text, HasSubstr("g{v=\"big\"} 1e+21\n"));
  EXPECT_THAT(text, Not(HasSubstr("inf\n")));
}

TEST(MetricsRegistryTest, BoundsAreSortedAndCoverTheirRanges) {
  const std::vector<double> latency = MetricsRegistry::LatencyBounds();
  EXPECT_TRUE(std::is_sorted(latency.begin(), latency.end()));
  EXPECT_EQ(latency.front(), 0.0001);
  EXPECT_EQ(latency.back(), 60);
  EXPECT_THAT(MetricsRegistry::BatchSizeBounds(),
              ElementsAre(1, 2, 4, 8, 16, 32, 64, 128, 256));
}

}  // namespace
}  // namespace inferd
