#include "tools/bench/generation_report.h"

#include <string>

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

GenerationReport OneLevel() {
  GenerationReport report;
  report.url = "http://127.0.0.1:8080";
  report.path = "/v1/completions";
  report.model = "m";
  report.request = "completions";
  report.prompt_tokens = 128;
  report.max_tokens = 128;
  GenerationLevel l;
  l.concurrency = 16;
  l.succeeded = 31;
  l.failed = 1;
  l.errors["503"] = 1;
  l.first_error_detail = "{\"error\":\"queue full\"}";
  l.short_requests = 2;
  l.elapsed_seconds = 64;
  l.output_tokens = 4096;
  l.text_chunks = 4096;
  l.prompt_tokens = 31 * 129;
  l.requests_with_usage = 31;
  // Values at the top of their histogram bucket are reported exactly.
  for (int i = 0; i < 31; ++i) l.ttft.Record(i < 30 ? 1503 : 4000);
  for (int i = 0; i < 100; ++i) l.itl.Record(255);
  l.e2e.Record(255);
  l.stream_tokens_per_second_p50 = 4.25;
  report.levels.push_back(l);
  return report;
}

TEST(GenerationReportTest, TableRowHasTheFigures) {
  const std::string table = FormatGenerationTable(OneLevel());
  EXPECT_NE(table.find("concurrency"), std::string::npos);
  EXPECT_NE(table.find("TTFT p99"), std::string::npos);
  // concurrency, requests, prompt, output, tok/s, tok/s/strm, TTFT p50.
  EXPECT_NE(table.find("16       32   129.0     4096     64.00       4.25"
                       "     1.503"),
            std::string::npos)
      << table;
  EXPECT_NE(table.find("503:1"), std::string::npos);
  EXPECT_NE(table.find("2 request(s) generated fewer than 128 tokens"),
            std::string::npos);
  EXPECT_NE(table.find("first error: {\"error\":\"queue full\"}"),
            std::string::npos);
}

TEST(GenerationReportTest, JsonHasTheSameFigures) {
  json::value doc = json::parse(FormatGenerationJson(OneLevel()));
  EXPECT_EQ(doc.at("route").as_string(), "completions");
  EXPECT_EQ(doc.at("target").at("path").as_string(), "/v1/completions");
  EXPECT_EQ(doc.at("max_tokens").to_number<int>(), 128);
  const json::value& l = doc.at("levels").at(0);
  EXPECT_EQ(l.at("concurrency").to_number<int>(), 16);
  EXPECT_EQ(l.at("requests").to_number<int>(), 32);
  EXPECT_EQ(l.at("errors").at("503").to_number<int>(), 1);
  EXPECT_EQ(l.at("short_requests").to_number<int>(), 2);
  EXPECT_DOUBLE_EQ(l.at("output_tokens_per_s").to_number<double>(), 64);
  EXPECT_DOUBLE_EQ(l.at("stream_tokens_per_s_p50").to_number<double>(), 4.25);
  EXPECT_DOUBLE_EQ(l.at("prompt_tokens_mean").to_number<double>(), 129);
  EXPECT_DOUBLE_EQ(l.at("ttft_ms").at("p50").to_number<double>(), 1.503);
  EXPECT_DOUBLE_EQ(l.at("ttft_ms").at("max").to_number<double>(), 4.0);
  EXPECT_EQ(l.at("ttft_ms").at("count").to_number<int>(), 31);
  EXPECT_DOUBLE_EQ(l.at("itl_ms").at("p99").to_number<double>(), 0.255);
  EXPECT_EQ(l.at("first_error").as_string(), "{\"error\":\"queue full\"}");
}

}  // namespace
}  // namespace inferd::bench
