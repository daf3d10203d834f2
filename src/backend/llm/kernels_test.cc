#include "backend/llm/kernels.h"

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tensor/half.h"

namespace inferd::llm {
namespace {

// Random bytes of `type` rows with sane f16 scales at the given offsets.
std::string RandomBlocks(GgmlType type, int64_t n, std::mt19937& rng) {
  std::string bytes(RowBytes(type, n), '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const GgmlTypeInfo* info = FindGgmlType(static_cast<uint32_t>(type));
  const uint16_t scale = FloatToHalf(0.01f);
  for (int64_t b = 0; b < n / info->block_size; ++b) {
    char* blk = bytes.data() + b * info->type_size;
    switch (type) {
      case GgmlType::kQ8_0:
      case GgmlType::kQ4_0:
        std::memcpy(blk, &scale, 2);
        break;
      case GgmlType::kQ4_K:
        std::memcpy(blk, &scale, 2);
        std::memcpy(blk + 2, &scale, 2);
        break;
      case GgmlType::kQ6_K:
        std::memcpy(blk + 208, &scale, 2);
        break;
      default:
        break;
    }
  }
  return bytes;
}

// The SIMD / integer dot products agree with dequantise-then-f32-dot.
TEST(KernelsTest, DotRowMatchesDequantizedDot) {
  std::mt19937 rng(5);
  std::normal_distribution<float> normal;
  const int64_t n = 512;
  std::vector<float> x(n);
  for (float& v : x) v = normal(rng);
  std::vector<BlockQ8Act> xq(n / 32);
  QuantizeActivations(x.data(), n, xq.data());
  std::vector<float> xd(n);  // what the quantised activations stand for
  for (int64_t i = 0; i < n; ++i) xd[i] = xq[i / 32].d * xq[i / 32].qs[i % 32];
  for (GgmlType type : {GgmlType::kF16, GgmlType::kBF16, GgmlType::kQ8_0,
                        GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    std::string row;
    if (type == GgmlType::kF16 || type == GgmlType::kBF16) {
      row.resize(n * 2);
      for (int64_t i = 0; i < n; ++i) {
        const uint16_t h = type == GgmlType::kF16 ? FloatToHalf(normal(rng))
                                                  : FloatToBfloat16(normal(rng));
        std::memcpy(&row[i * 2], &h, 2);
      }
    } else {
      row = RandomBlocks(type, n, rng);
    }
    std::vector<float> w(n);
    DequantizeRow(type, row.data(), n, w.data());
    const bool q = UsesQuantizedActivations(type);
    double want = 0, scale = 0;
    for (int64_t i = 0; i < n; ++i) {
      want += static_cast<double>(w[i]) * (q ? xd[i] : x[i]);
      scale += std::fabs(w[i] * x[i]);
    }
    const float got = DotRow(type, row.data(), x.data(), xq.data(), n);
    EXPECT_NEAR(got, want, 1e-4 * scale + 1e-6) << TypeName(type);
  }
}

TEST(KernelsTest, TileMatchesSingleDots) {
  std::mt19937 rng(9);
  std::normal_distribution<float> normal;
  const int64_t n = 77;  // not a multiple of 8: exercises the tails
  std::vector<float> w(3 * n), x(4 * n);
  for (float& v : w) v = normal(rng);
  for (float& v : x) v = normal(rng);
  float out[3][4];
  DotTile3x4(w.data(), x.data(), n, out);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      EXPECT_NEAR(out[r][c], DotF32(&w[r * n], &x[c * n], n), 1e-4);
    }
  }
}

}  // namespace
}  // namespace inferd::llm
