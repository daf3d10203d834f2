#include "tools/bench/bench_options.h"

#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

TEST(ParseTargetUrlTest, ReadsHostPortAndPrefix) {
  auto url = ParseTargetUrl("http://127.0.0.1:8000");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "127.0.0.1");
  EXPECT_EQ(url->port, 8000);
  EXPECT_EQ(url->base_path, "");

  url = ParseTargetUrl("http://localhost/serving/");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "localhost");
  EXPECT_EQ(url->port, 80);
  EXPECT_EQ(url->base_path, "/serving");

  url = ParseTargetUrl("http://[::1]:9000");
  ASSERT_TRUE(url.ok()) << url.status();
  EXPECT_EQ(url->host, "::1");
}

TEST(ParseTargetUrlTest, RejectsWhatItCannotUse) {
  for (const char* bad :
       {"127.0.0.1:8000", "https://example.com", "http://", "http://h:0",
        "http://h:99999", "not a url", "http://h:8000/?q=1"}) {
    auto url = ParseTargetUrl(bad);
    EXPECT_FALSE(url.ok()) << bad;
    EXPECT_NE(std::string(url.status().message()).find("--url"),
              std::string::npos)
        << url.status();
  }
}

TEST(ParseBenchDurationTest, AcceptsUnitsAndBareSeconds) {
  EXPECT_EQ(*ParseBenchDuration("10s"), absl::Seconds(10));
  EXPECT_EQ(*ParseBenchDuration("500ms"), absl::Milliseconds(500));
  EXPECT_EQ(*ParseBenchDuration("1m30s"), absl::Seconds(90));
  EXPECT_EQ(*ParseBenchDuration("2.5"), absl::Milliseconds(2500));
  EXPECT_EQ(*ParseBenchDuration("0"), absl::ZeroDuration());
  EXPECT_FALSE(ParseBenchDuration("ten").ok());
  EXPECT_FALSE(ParseBenchDuration("-1s").ok());
  EXPECT_FALSE(ParseBenchDuration("").ok());
}

TEST(ParseConcurrencyListTest, ParsesASweep) {
  EXPECT_EQ(*ParseConcurrencyList("1,8,32"), (std::vector<int>{1, 8, 32}));
  EXPECT_EQ(*ParseConcurrencyList("4"), (std::vector<int>{4}));
  EXPECT_EQ(*ParseConcurrencyList("1, 2"), (std::vector<int>{1, 2}));
  EXPECT_FALSE(ParseConcurrencyList("1,,2").ok());
  EXPECT_FALSE(ParseConcurrencyList("0").ok());
  EXPECT_FALSE(ParseConcurrencyList("8x").ok());
}

TEST(ParseRateListTest, ParsesPositiveRates) {
  EXPECT_EQ(*ParseRateList("50,100.5"), (std::vector<double>{50, 100.5}));
  EXPECT_FALSE(ParseRateList("0").ok());
  EXPECT_FALSE(ParseRateList("-3").ok());
  EXPECT_FALSE(ParseRateList("fast").ok());
}

TEST(ParseShapeFlagTest, ReadsNameAndDims) {
  std::map<std::string, std::vector<int64_t>> shapes;
  ASSERT_TRUE(ParseShapeFlag("INPUT0:4,16", &shapes).ok());
  ASSERT_TRUE(ParseShapeFlag("ns:scope:2", &shapes).ok());
  EXPECT_EQ(shapes["INPUT0"], (std::vector<int64_t>{4, 16}));
  EXPECT_EQ(shapes["ns:scope"], (std::vector<int64_t>{2}));
  EXPECT_FALSE(ParseShapeFlag("INPUT0", &shapes).ok());
  EXPECT_FALSE(ParseShapeFlag("INPUT0:", &shapes).ok());
  EXPECT_FALSE(ParseShapeFlag("INPUT0:a,2", &shapes).ok());
  EXPECT_FALSE(ParseShapeFlag("INPUT0:-1", &shapes).ok());
}

TEST(ValidateBenchOptionsTest, DefaultsWithAModelAreValid) {
  BenchOptions o;
  o.model = "simple";
  EXPECT_TRUE(ValidateBenchOptions(o).ok());
}

TEST(ValidateBenchOptionsTest, NamesTheFlagThatIsWrong) {
  const auto message = [](const BenchOptions& o) {
    return std::string(ValidateBenchOptions(o).message());
  };
  BenchOptions o;
  EXPECT_NE(message(o).find("--model"), std::string::npos);

  o.model = "simple";
  o.route = "predict";
  EXPECT_NE(message(o).find("--body-file"), std::string::npos);
  o.body_file = "b.json";
  EXPECT_TRUE(ValidateBenchOptions(o).ok());
  o.input_file = "r.json";
  EXPECT_NE(message(o).find("exclusive"), std::string::npos);
  o.input_file.clear();
  o.body_lines = "b.jsonl";
  EXPECT_NE(message(o).find("exclusive"), std::string::npos);
  o.body_file.clear();
  EXPECT_TRUE(ValidateBenchOptions(o).ok());

  o = BenchOptions();
  o.model = "simple";
  o.route = "grpc";
  EXPECT_NE(message(o).find("--route"), std::string::npos);

  o = BenchOptions();
  o.path = "v1/x";
  o.body_file = "b";
  EXPECT_NE(message(o).find("--path"), std::string::npos);

  o = BenchOptions();
  o.model = "simple";
  o.duration = absl::ZeroDuration();
  EXPECT_NE(message(o).find("--duration"), std::string::npos);

  o = BenchOptions();
  o.model = "simple";
  o.arrival = "bursty";
  EXPECT_NE(message(o).find("--arrival"), std::string::npos);
}

}  // namespace
}  // namespace inferd::bench
