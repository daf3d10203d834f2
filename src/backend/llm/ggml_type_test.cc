#include "backend/llm/ggml_type.h"

#include <cmath>

#include "gtest/gtest.h"
#include "tensor/half.h"

namespace inferd::llm {
namespace {

TEST(GgmlTypeTest, HalfRoundTripsEveryFiniteValue) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const uint16_t bits = static_cast<uint16_t>(h);
    if ((bits & 0x7c00) == 0x7c00) continue;  // inf / nan
    EXPECT_EQ(FloatToHalf(HalfToFloat(bits)), bits) << h;
  }
}

TEST(GgmlTypeTest, HalfKnownValues) {
  EXPECT_EQ(HalfToFloat(0x3c00), 1.0f);
  EXPECT_EQ(HalfToFloat(0xc000), -2.0f);
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bff);
  EXPECT_EQ(FloatToHalf(1e6f), 0x7c00);
  EXPECT_EQ(FloatToHalf(1.0f + 1.0f / 4096), 0x3c00);  // ties to even
}

TEST(GgmlTypeTest, Bf16RoundsToNearest) {
  EXPECT_EQ(Bfloat16ToFloat(FloatToBfloat16(1.0f)), 1.0f);
  EXPECT_EQ(Bfloat16ToFloat(FloatToBfloat16(3.140625f)), 3.140625f);
  EXPECT_NEAR(Bfloat16ToFloat(FloatToBfloat16(0.1f)), 0.1f, 0.001f);
}

TEST(GgmlTypeTest, BlockGeometry) {
  EXPECT_EQ(RowBytes(GgmlType::kQ8_0, 64), 68);
  EXPECT_EQ(RowBytes(GgmlType::kQ4_0, 64), 36);
  EXPECT_EQ(RowBytes(GgmlType::kQ4_K, 256), 144);
  EXPECT_EQ(RowBytes(GgmlType::kQ6_K, 512), 420);
  EXPECT_EQ(FindGgmlType(99), nullptr);
}

}  // namespace
}  // namespace inferd::llm
