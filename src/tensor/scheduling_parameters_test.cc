#include "tensor/scheduling_parameters.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

absl::Status Read(const char* json, SchedulingParameters* out) {
  return ReadSchedulingParameters(boost::json::parse(json).as_object(), out);
}

TEST(SchedulingParametersTest, ReadsPriorityAndTimeout) {
  SchedulingParameters p;
  ASSERT_TRUE(Read(R"({"priority": 4294967295, "timeout": 250, "other": 1})", &p).ok());
  EXPECT_EQ(p.priority, 4294967295u);
  EXPECT_EQ(p.timeout_us, 250u);
  SchedulingParameters none;
  ASSERT_TRUE(Read("{}", &none).ok());
  EXPECT_FALSE(none.priority.has_value());
  EXPECT_FALSE(none.timeout_us.has_value());
}

// 0 is no per-request limit, as Triton and the config's timeout_seconds
// take it, not a deadline that has already passed.
TEST(SchedulingParametersTest, ZeroTimeoutSetsNoLimit) {
  SchedulingParameters p;
  ASSERT_TRUE(Read(R"({"priority": 2, "timeout": 0})", &p).ok());
  EXPECT_FALSE(p.timeout_us.has_value());
  EXPECT_EQ(p.priority, 2u);
  SchedulingParameters one;
  ASSERT_TRUE(Read(R"({"timeout": 1})", &one).ok());
  EXPECT_EQ(one.timeout_us, 1u);
}

TEST(SchedulingParametersTest, PriorityPastUint32IsRefusedNotTruncated) {
  SchedulingParameters p;
  absl::Status status = Read(R"({"priority": 4294967297})", &p);  // 2^32 + 1
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_THAT(status.message(), HasSubstr("parameters.priority: must be at most 4294967295"));
  EXPECT_FALSE(p.priority.has_value());
}

TEST(SchedulingParametersTest, WrongTypesNameTheParameter) {
  for (const char* json : {R"({"priority": -1})", R"({"priority": 1.5})", R"({"priority": "1"})",
                           R"({"timeout": -5})", R"({"timeout": 18446744073709551615})"}) {
    SchedulingParameters p;
    absl::Status status = Read(json, &p);
    EXPECT_TRUE(absl::IsInvalidArgument(status)) << json;
    EXPECT_THAT(status.message(), HasSubstr("parameters.")) << json;
  }
}

}  // namespace
}  // namespace inferd
