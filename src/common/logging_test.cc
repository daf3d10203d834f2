#include "common/logging.h"

#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;

// Points the process logger at a string for one test, then back at stderr.
class LoggingTest : public ::testing::Test {
 protected:
  void Configure(std::string format, std::string level = "info") {
    LoggingOptions options;
    options.format = std::move(format);
    options.level = std::move(level);
    options.sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    ASSERT_TRUE(ConfigureLogging(options).ok());
  }
  ~LoggingTest() override { (void)ConfigureLogging(LoggingOptions{}); }

  std::string Lines() {
    spdlog::default_logger()->flush();
    return out_.str();
  }

  std::ostringstream out_;
};

TEST_F(LoggingTest, JsonLinesEscapeThePlainMessage) {
  Configure("json");
  spdlog::info("model \"a\"\nloaded");
  EXPECT_THAT(Lines(),
              MatchesRegex(R"(\{"time":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z",)"
                           R"("level":"info","msg":"model \\"a\\"\\nloaded"\}
)"));
}

TEST_F(LoggingTest, JsonEventsCarryTheirFieldsAsMembers) {
  Configure("json");
  LogEvent(spdlog::level::err, "access",
           {{"method", "GET"}, {"status", 503}, {"duration_ms", 1.5}, {"path", "/a\"b"}});
  EXPECT_THAT(Lines(), MatchesRegex(R"(\{"time":"[^"]*","level":"error","msg":"access",)"
                                    R"("method":"GET","status":503,"duration_ms":1.500,)"
                                    R"("path":"/a\\"b"\}
)"));
}

TEST_F(LoggingTest, TextEventsAreKeyValuePairsQuotedWhenNeeded) {
  Configure("text");
  LogEvent(spdlog::level::info, "access",
           {{"method", "GET"}, {"status", 200}, {"error", "two words"}, {"empty", ""}});
  EXPECT_THAT(Lines(), MatchesRegex(R"([0-9T:.-]+ info access method=GET status=200 )"
                                    R"(error="two words" empty=""
)"));
}

TEST_F(LoggingTest, EventsBelowTheLevelAreDropped) {
  Configure("text", "warn");
  LogEvent(spdlog::level::info, "access", {{"status", 200}});
  spdlog::info("hidden");
  LogEvent(spdlog::level::err, "access", {{"status", 500}});
  EXPECT_EQ(Lines().find("status=200"), std::string::npos);
  EXPECT_EQ(Lines().find("hidden"), std::string::npos);
  EXPECT_THAT(Lines(), HasSubstr("status=500"));
}

TEST_F(LoggingTest, BadLevelOrFormatIsRefusedByName) {
  LoggingOptions options;
  options.format = "yaml";
  absl::Status status = ConfigureLogging(options);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(status.message()), HasSubstr("--log-format \"yaml\""));
  options.format = "text";
  options.level = "loud";
  EXPECT_EQ(ConfigureLogging(options).code(), absl::StatusCode::kInvalidArgument);
}

TEST(JsonEscapeTest, ControlCharactersAndInvalidUtf8StayValidJson) {
  std::string out;
  AppendJsonEscaped(std::string_view("a\0b\x01\t\xc3\xa9\xff", 8), &out);
  EXPECT_EQ(out, "a\\u0000b\\u0001\\t\xc3\xa9\\ufffd");
}

}  // namespace
}  // namespace inferd
