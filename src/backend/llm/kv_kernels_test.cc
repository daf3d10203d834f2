#include "backend/llm/kv_kernels.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/llm/kernel_set.h"
#include "gtest/gtest.h"
#include "tensor/half.h"

namespace inferd::llm {
namespace {

const GgmlType kKvTypes[] = {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0};

const KernelSet& Scalar() { return *FindKernelSet("scalar"); }

// Normal values at several magnitudes, with exact zeros, f16 subnormals,
// values past f16's range and halfway cases of f16 rounding.
std::vector<float> Values(int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) {
    const float scale[] = {1.0f, 1e-6f, 300.0f, 1e5f};
    v[i] = normal(rng) * scale[(i / 32) % 4];
  }
  v[0] = 0;
  v[1] = 1.0f + 1.0f / 2048;  // halfway between two halves: to even (1.0)
  v[2] = 65520.0f;            // rounds to infinity in f16
  v[3] = 3e-8f;               // f16 subnormal range
  return v;
}

class KvKernelsTest : public ::testing::TestWithParam<const KernelSet*> {};

// A row stored by any set has the bytes the scalar set writes, so a cache's
// contents do not depend on the CPU.
TEST_P(KvKernelsTest, StoresAsScalar) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(21);
  const int64_t n = 160;  // 5 Q8_0 blocks; not a multiple of 64 for f16
  const std::vector<float> x = Values(n, rng);
  for (GgmlType type : kKvTypes) {
    std::string want(RowBytes(type, n), '\0'), got(RowBytes(type, n), '\1');
    Scalar().kv_store(type, x.data(), n, want.data());
    set.kv_store(type, x.data(), n, got.data());
    EXPECT_EQ(got, want) << TypeName(type);
  }
}

// The scalar f16 conversion rounds as tensor/half.h does (to nearest even),
// over every magnitude.
TEST(KvKernelsScalarTest, F16StoreRoundsToNearestEven) {
  std::mt19937 rng(5);
  std::vector<float> x = Values(4096, rng);
  for (int e = -30; e <= 17; ++e) x.push_back(std::ldexp(1.337f, e));
  std::vector<uint16_t> h(x.size());
  Scalar().kv_store(GgmlType::kF16, x.data(), x.size(), h.data());
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_EQ(h[i], FloatToHalf(x[i])) << x[i];
  }
}

// Q8_0 keeps each value within half a step of its block's scale.
TEST_P(KvKernelsTest, Q8_0StoreKeepsValuesWithinHalfAStep) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(8);
  std::normal_distribution<float> normal;
  const int64_t n = 128;
  std::vector<float> x(n), y(n);
  for (float& v : x) v = normal(rng);
  std::string row(RowBytes(GgmlType::kQ8_0, n), '\0');
  set.kv_store(GgmlType::kQ8_0, x.data(), n, row.data());
  Scalar().dequantize_row(GgmlType::kQ8_0, row.data(), n, y.data());
  for (int64_t b = 0; b < n / 32; ++b) {
    float amax = 0;
    for (int j = 0; j < 32; ++j)
      amax = std::max(amax, std::fabs(x[32 * b + j]));
    // The step is amax / 127, itself rounded to f16 (relative 2^-11).
    const float half_step = amax / 127 * 0.5f + amax * 1e-3f;
    for (int j = 0; j < 32; ++j) {
      EXPECT_NEAR(y[32 * b + j], x[32 * b + j], half_step) << b << " " << j;
    }
  }
}

// Rows of every KV type, `stride` bytes apart, and their decoded values.
struct Rows {
  std::string bytes;
  std::vector<float> decoded;  // n_rows x n
  int64_t stride;
};

Rows MakeRows(GgmlType type, int64_t n_rows, int64_t n, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  Rows r;
  r.stride = RowBytes(type, n) + 64;  // rows of a KV block are not adjacent
  r.bytes.assign(r.stride * n_rows, '\x7f');
  r.decoded.resize(n_rows * n);
  std::vector<float> x(n);
  for (int64_t i = 0; i < n_rows; ++i) {
    for (float& v : x) v = normal(rng);
    Scalar().kv_store(type, x.data(), n, r.bytes.data() + i * r.stride);
    Scalar().dequantize_row(type, r.bytes.data() + i * r.stride, n,
                            r.decoded.data() + i * n);
  }
  return r;
}

// Scores and weighted sums of every set equal a float64 computation on the
// decoded rows, for head sizes with and without vector tails.
TEST_P(KvKernelsTest, DotsAndAccumulateMatchDecodedRows) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(34);
  std::normal_distribution<float> normal;
  for (GgmlType type : kKvTypes) {
    for (int64_t n : {16, 32, 64, 72, 128, 256}) {
      if (type == GgmlType::kQ8_0 && n % 32 != 0) continue;
      const int64_t n_rows = 19;
      const Rows rows = MakeRows(type, n_rows, n, rng);
      const auto* base = reinterpret_cast<const uint8_t*>(rows.bytes.data());
      std::vector<float> q(n), w(n_rows);
      for (float& v : q) v = normal(rng);
      for (float& v : w) v = std::fabs(normal(rng));
      std::vector<float> scores(n_rows + 1, -1.0f);
      set.kv_dots(type, q.data(), base, rows.stride, n_rows, n, scores.data());
      const std::string what = TypeName(type) + " n=" + std::to_string(n);
      for (int64_t r = 0; r < n_rows; ++r) {
        double want = 0, mag = 0;
        for (int64_t i = 0; i < n; ++i) {
          want += double{q[i]} * rows.decoded[r * n + i];
          mag += std::fabs(double{q[i]} * rows.decoded[r * n + i]);
        }
        EXPECT_NEAR(scores[r], want, 1e-5 * mag + 1e-6) << what << " row " << r;
      }
      EXPECT_EQ(scores[n_rows], -1.0f) << what << ": wrote past n_rows";
      std::vector<float> acc(n + 1);
      for (int64_t i = 0; i <= n; ++i) acc[i] = 0.25f * i;
      set.kv_accumulate(type, w.data(), base, rows.stride, n_rows, n,
                        acc.data());
      for (int64_t i = 0; i < n; ++i) {
        double want = 0.25 * i, mag = 0.25 * i;
        for (int64_t r = 0; r < n_rows; ++r) {
          want += double{w[r]} * rows.decoded[r * n + i];
          mag += std::fabs(double{w[r]} * rows.decoded[r * n + i]);
        }
        EXPECT_NEAR(acc[i], want, 1e-5 * mag + 1e-6) << what << " value " << i;
      }
      EXPECT_EQ(acc[n], 0.25f * n) << what << ": wrote past n";
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AvailableSets, KvKernelsTest, ::testing::ValuesIn(AvailableKernelSets()),
    [](const ::testing::TestParamInfo<const KernelSet*>& info) {
      return std::string(info.param->name);
    });

}  // namespace
}  // namespace inferd::llm
