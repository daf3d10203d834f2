#include "http/access_log.h"

#include <sstream>
#include <string>

#include "common/logging.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "spdlog/sinks/ostream_sink.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::Not;

TEST(RequestIdTest, UsableClientIdIsKept) {
  EXPECT_EQ(RequestIdFor("abc-123_XYZ"), "abc-123_XYZ");
  EXPECT_EQ(RequestIdFor(std::string(128, 'a')), std::string(128, 'a'));
}

TEST(RequestIdTest, MissingOrUnusableClientIdGetsANewOne) {
  for (std::optional<std::string_view> bad :
       {std::optional<std::string_view>(), std::optional<std::string_view>(""),
        std::optional<std::string_view>("two words"),
        std::optional<std::string_view>("tab\there"),
        std::optional<std::string_view>(std::string_view("nul\0", 4)),
        std::optional<std::string_view>(std::string(129, 'a'))}) {
    const std::string id = RequestIdFor(bad);
    EXPECT_THAT(id, MatchesRegex("[0-9a-f]{16}"));
  }
  EXPECT_NE(RequestIdFor(std::nullopt), RequestIdFor(std::nullopt));
}

TEST(ErrorCauseTest, ReadsTheErrorMessageOfEitherShape) {
  EXPECT_EQ(ErrorCauseOf(JsonError(503, "model \"x\" is loading")), "model \"x\" is loading");
  EXPECT_EQ(ErrorCauseOf(JsonBody(500, R"({"error":{"message":"boom","type":"server"}})")),
            "boom");
  EXPECT_EQ(ErrorCauseOf(JsonBody(502, "upstream said no")), "upstream said no");
}

class AccessLogTest : public ::testing::Test {
 protected:
  void Configure(std::string format) {
    LoggingOptions options;
    options.format = std::move(format);
    options.sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out_);
    ASSERT_TRUE(ConfigureLogging(options).ok());
  }
  ~AccessLogTest() override { (void)ConfigureLogging(LoggingOptions{}); }

  static AccessRecord Record(int status) {
    AccessRecord record;
    record.method = "POST";
    record.path = "/v2/models/simple/infer";
    record.request_id = "req-1";
    record.status = status;
    record.bytes = 42;
    record.started = absl::FromUnixSeconds(100);
    record.error = "the model failed";
    return record;
  }

  std::ostringstream out_;
};

TEST_F(AccessLogTest, TextLineHasEveryField) {
  Configure("text");
  LogAccess(Record(200), true, absl::FromUnixSeconds(100) + absl::Microseconds(2500));
  EXPECT_THAT(out_.str(), MatchesRegex(R"([0-9T:.-]+ info access method=POST )"
                                       R"(path=/v2/models/simple/infer status=200 bytes=42 )"
                                       R"(duration_ms=2.500 request_id=req-1
)"));
}

TEST_F(AccessLogTest, JsonLineOfA5xxCarriesItsCauseAtErrorLevel) {
  Configure("json");
  LogAccess(Record(500), true, absl::FromUnixSeconds(101));
  EXPECT_THAT(out_.str(), MatchesRegex(R"(\{"time":"[^"]+","level":"error","msg":"access",)"
                                       R"("method":"POST","path":"/v2/models/simple/infer",)"
                                       R"("status":500,"bytes":42,"duration_ms":1000.000,)"
                                       R"("request_id":"req-1","error":"the model failed"\}
)"));
}

TEST_F(AccessLogTest, WithTheAccessLogOffOnly5xxAreLogged) {
  Configure("text");
  LogAccess(Record(200), false, absl::FromUnixSeconds(100));
  LogAccess(Record(404), false, absl::FromUnixSeconds(100));
  EXPECT_EQ(out_.str(), "");
  LogAccess(Record(503), false, absl::FromUnixSeconds(100));
  EXPECT_THAT(out_.str(), HasSubstr("status=503"));
  EXPECT_THAT(out_.str(), HasSubstr("error=\"the model failed\""));
  EXPECT_THAT(out_.str(), Not(HasSubstr("status=200")));
}

}  // namespace
}  // namespace inferd
