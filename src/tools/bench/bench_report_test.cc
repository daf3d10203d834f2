#include "tools/bench/bench_report.h"

#include <string>

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

BenchReport TwoLevels() {
  BenchReport report;
  report.url = "http://127.0.0.1:8000";
  report.path = "/v2/models/simple/infer";
  report.model = "simple";
  report.request = "generated";
  report.body_bytes = 300;
  report.duration_seconds = 2;
  report.warmup_seconds = 0.5;

  LevelResult one;
  one.concurrency = 1;
  one.connections = 1;
  one.succeeded = 1000;
  one.elapsed_seconds = 2;
  // 1503 us is the top of its histogram bucket, so it is reported exactly.
  for (int i = 0; i < 1000; ++i) one.latency.Record(i < 995 ? 1503 : 4000);
  report.levels.push_back(std::move(one));

  LevelResult eight;
  eight.concurrency = 8;
  eight.connections = 8;
  eight.succeeded = 4000;
  eight.failed = 15;
  eight.http_errors[503] = 12;
  eight.transport_errors["timeout"] = 3;
  eight.elapsed_seconds = 2.5;
  for (int i = 0; i < 4000; ++i) eight.latency.Record(2000);
  report.levels.push_back(std::move(eight));
  return report;
}

TEST(BenchReportTest, TableHasOneRowPerLevelWithFigures) {
  const std::string table = FormatTable(TwoLevels());
  EXPECT_NE(table.find("concurrency"), std::string::npos);
  EXPECT_NE(table.find("p99(ms)"), std::string::npos);
  // Level 1: 1000 requests in 2 s; p50 1.503 ms, max 4 ms.
  EXPECT_NE(table.find("500.0"), std::string::npos) << table;
  EXPECT_NE(table.find("1.503"), std::string::npos) << table;
  EXPECT_NE(table.find("4.000"), std::string::npos) << table;
  EXPECT_NE(table.find("none"), std::string::npos) << table;
  // Level 8: 4015 requests, 1600 ok/s, errors by kind.
  EXPECT_NE(table.find("4015"), std::string::npos) << table;
  EXPECT_NE(table.find("1600.0"), std::string::npos) << table;
  EXPECT_NE(table.find("503:12 timeout:3"), std::string::npos) << table;
  EXPECT_EQ(std::count(table.begin(), table.end(), '\n'), 3);
}

TEST(BenchReportTest, JsonCarriesTheSameFigures) {
  const json::value doc = json::parse(FormatJson(TwoLevels()));
  EXPECT_EQ(doc.at("mode").as_string(), "concurrency");
  EXPECT_EQ(doc.at("target").at("model").as_string(), "simple");
  EXPECT_EQ(doc.at("target").at("path").as_string(), "/v2/models/simple/infer");
  const json::array& levels = doc.at("levels").as_array();
  ASSERT_EQ(levels.size(), 2u);
  EXPECT_EQ(levels[0].at("concurrency").to_number<int>(), 1);
  EXPECT_EQ(levels[0].at("requests").to_number<int>(), 1000);
  EXPECT_DOUBLE_EQ(levels[0].at("throughput_rps").to_number<double>(), 500);
  EXPECT_DOUBLE_EQ(levels[0].at("latency_ms").at("p50").to_number<double>(),
                   1.503);
  EXPECT_DOUBLE_EQ(levels[0].at("latency_ms").at("p99").to_number<double>(),
                   1.503);
  EXPECT_DOUBLE_EQ(levels[0].at("latency_ms").at("max").to_number<double>(),
                   4.0);
  EXPECT_EQ(levels[1].at("errors_by_status").at("503").to_number<int>(), 12);
  EXPECT_EQ(levels[1].at("transport_errors").at("timeout").to_number<int>(), 3);
  EXPECT_EQ(levels[1].at("failed").to_number<int>(), 15);
}

TEST(BenchReportTest, JsonNumbersArePlainDecimals) {
  const std::string text = FormatJson(TwoLevels());
  EXPECT_EQ(text.find("E-"), std::string::npos) << text;
  EXPECT_EQ(text.find("E3"), std::string::npos) << text;
  EXPECT_NE(text.find("\"p50\": 1.503"), std::string::npos) << text;
}

TEST(BenchReportTest, OpenLoopShowsRateAndMissedRequests) {
  BenchReport report = TwoLevels();
  report.open_loop = true;
  report.arrival = "poisson";
  report.levels.resize(1);
  report.levels[0].concurrency = 0;
  report.levels[0].request_rate = 250;
  report.levels[0].missed = 7;
  const std::string table = FormatTable(report);
  EXPECT_NE(table.find("rate(req/s)"), std::string::npos) << table;
  EXPECT_NE(table.find("missed"), std::string::npos) << table;
  const json::value doc = json::parse(FormatJson(report));
  EXPECT_EQ(doc.at("mode").as_string(), "request_rate");
  EXPECT_EQ(doc.at("arrival").as_string(), "poisson");
  EXPECT_EQ(doc.at("levels").at(0).at("missed").to_number<int>(), 7);
  EXPECT_DOUBLE_EQ(
      doc.at("levels").at(0).at("request_rate").to_number<double>(), 250);
}

TEST(BenchReportTest, ProgressLineShowsPhase) {
  LevelProgress progress;
  progress.warming_up = true;
  progress.phase_elapsed_seconds = 1.0;
  progress.phase_seconds = 2;
  progress.stats.warmup_requests = 42;
  EXPECT_EQ(FormatProgressLine("concurrency 8", progress),
            "concurrency 8 | warm-up 1.0/2s | 42 requests");
  progress.warming_up = false;
  progress.phase_elapsed_seconds = 2.0;
  progress.phase_seconds = 10;
  progress.stats.succeeded = 200;
  progress.stats.failed = 1;
  progress.stats.p50_micros = 1250;
  progress.stats.p99_micros = 20500;
  EXPECT_EQ(FormatProgressLine("concurrency 8", progress),
            "concurrency 8 | measuring 2.0/10s | 200 ok 1 err | 100.0 req/s "
            "| p50 1.250 ms p99 20.50 ms");
}

}  // namespace
}  // namespace inferd::bench
