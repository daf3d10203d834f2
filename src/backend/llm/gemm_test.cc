#include "backend/llm/gemm.h"

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/llm/ggml_type.h"
#include "backend/llm/kernel_set.h"
#include "backend/llm/kernels.h"
#include "backend/llm/testing/quantize.h"
#include "gtest/gtest.h"
#include "tensor/half.h"

namespace inferd::llm {
namespace {

// A weight of `type` holding `rows` x `n` random values, quantised.
struct TestWeight {
  std::string bytes;
  Weight w;
};

TestWeight RandomWeight(GgmlType type, int64_t rows, int64_t n,
                        std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> values(rows * n);
  for (float& v : values) v = normal(rng);
  TestWeight t;
  for (int64_t r = 0; r < rows; ++r) {
    t.bytes += Quantize(type, values.data() + r * n, n);
  }
  t.w.type = type;
  t.w.data = reinterpret_cast<const uint8_t*>(t.bytes.data());
  t.w.rows = rows;
  t.w.cols = n;
  t.w.row_bytes = RowBytes(type, n);
  return t;
}

std::vector<float> RandomTokens(int64_t n_tokens, int64_t n,
                                std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> x(n_tokens * n);
  for (float& v : x) v = normal(rng);
  return x;
}

// y = w . x through `set`, all rows in one call.
std::vector<float> Product(
    const KernelSet& set, const Weight& w, const std::vector<float>& x,
    int64_t n_tokens, Gemm::Activations which = Gemm::Activations::kFloat) {
  Gemm gemm(1, set);
  gemm.Pack(x.data(), n_tokens, w.cols, which);
  std::vector<float> y(n_tokens * w.rows, NAN);
  gemm.Rows(w, 0, w.rows, 0, y.data());
  return y;
}

struct Shape {
  GgmlType type;
  int64_t rows;
  int64_t n;
  int64_t tokens;
};

// Checks y (tokens x w.rows) against a float64 product of the rows the
// scalar set decodes with the activations `activation(token, k)` gives, to
// 1e-5 of the sum of the products' magnitudes.
template <typename Activation>
void ExpectMatchesDecodedRows(const Weight& w, int64_t tokens,
                              const std::vector<float>& y,
                              Activation activation) {
  const KernelSet& scalar = *FindKernelSet("scalar");
  std::vector<float> row(w.cols);
  for (int64_t r = 0; r < w.rows; ++r) {
    scalar.dequantize_row(w.type, w.row(r), w.cols, row.data());
    for (int64_t tok = 0; tok < tokens; ++tok) {
      double want = 0, scale = 0;
      for (int64_t k = 0; k < w.cols; ++k) {
        const double v = static_cast<double>(row[k]) * activation(tok, k);
        want += v;
        scale += std::fabs(v);
      }
      ASSERT_NEAR(y[tok * w.rows + r], want, 1e-5 * scale + 1e-6)
          << "row " << r << " token " << tok;
    }
  }
}

// Checks that each token's outputs are bit-for-bit the same in the batch,
// alone, and at the other end of the reversed batch, and that the rows are
// the same when two calls split them at a ragged row. Leaves x packed in
// `gemm` (two scratch slots).
void ExpectBatchInvariant(const KernelSet& set, const Weight& w,
                          const std::vector<float>& x, int64_t tokens,
                          Gemm::Activations which, Gemm& gemm) {
  const int64_t n = w.cols;
  const std::vector<float> batch = Product(set, w, x, tokens, which);
  std::vector<float> reversed(x.size());
  for (int64_t tok = 0; tok < tokens; ++tok) {
    std::memcpy(&reversed[(tokens - 1 - tok) * n], &x[tok * n],
                n * sizeof(float));
  }
  const std::vector<float> backwards = Product(set, w, reversed, tokens, which);
  for (int64_t tok = 0; tok < tokens; ++tok) {
    const std::vector<float> one(x.begin() + tok * n,
                                 x.begin() + (tok + 1) * n);
    const std::vector<float> alone = Product(set, w, one, 1, which);
    for (int64_t r = 0; r < w.rows; ++r) {
      const float b = batch[tok * w.rows + r];
      ASSERT_EQ(std::memcmp(&b, &alone[r], 4), 0) << tok << " " << r;
      const float v = backwards[(tokens - 1 - tok) * w.rows + r];
      ASSERT_EQ(std::memcmp(&b, &v, 4), 0) << tok << " " << r;
    }
  }
  gemm.Pack(x.data(), tokens, n, which);
  std::vector<float> split(tokens * w.rows, NAN);
  const int64_t cut = w.rows / 2 + 1;
  gemm.Rows(w, cut, w.rows, 1, split.data());
  gemm.Rows(w, 0, cut, 0, split.data());
  ASSERT_EQ(std::memcmp(split.data(), batch.data(), batch.size() * 4), 0);
}

// Ragged on purpose: rows not a multiple of any set's register block, token
// counts across panel boundaries, n not a multiple of the k-block (and for
// the float types not of 32).
const Shape kShapes[] = {
    {GgmlType::kF32, 13, 40, 5},    {GgmlType::kF16, 37, 77, 17},
    {GgmlType::kF16, 50, 300, 33},  {GgmlType::kBF16, 7, 64, 1},
    {GgmlType::kQ8_0, 29, 288, 40}, {GgmlType::kQ4_0, 25, 544, 9},
    {GgmlType::kQ5_1, 11, 96, 16},  {GgmlType::kIQ4_NL, 9, 64, 3},
    {GgmlType::kQ4_K, 26, 512, 12}, {GgmlType::kQ5_K, 14, 256, 31},
    {GgmlType::kQ6_K, 31, 768, 48},
};

class GemmTest : public ::testing::TestWithParam<const KernelSet*> {};

// Every set against a float64 product of the rows the scalar set decodes.
TEST_P(GemmTest, MatchesDequantizedReference) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(3);
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(TypeName(s.type) + " rows " + std::to_string(s.rows) + " n " +
                 std::to_string(s.n) + " tokens " + std::to_string(s.tokens));
    const TestWeight t = RandomWeight(s.type, s.rows, s.n, rng);
    const std::vector<float> x = RandomTokens(s.tokens, s.n, rng);
    const std::vector<float> y = Product(set, t.w, x, s.tokens);
    ASSERT_NO_FATAL_FAILURE(
        ExpectMatchesDecodedRows(t.w, s.tokens, y, [&](int64_t tok, int64_t k) {
          return static_cast<double>(x[tok * s.n + k]);
        }));
  }
}

// A token's outputs are bit-for-bit the same alone, in a batch, and at
// another place in the batch; rows the same whichever range holds them.
TEST_P(GemmTest, TokenResultDoesNotDependOnItsBatch) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(5);
  for (const Shape& s : kShapes) {
    SCOPED_TRACE(TypeName(s.type));
    const TestWeight t = RandomWeight(s.type, s.rows, s.n, rng);
    const int64_t tokens = 37;  // two and a bit panels in every set
    Gemm gemm(2, set);
    ASSERT_NO_FATAL_FAILURE(
        ExpectBatchInvariant(set, t.w, RandomTokens(tokens, s.n, rng), tokens,
                             Gemm::Activations::kFloat, gemm));
  }
}

// Row blocks of several register blocks and k-blocks, through the two-panel
// and one-panel variants of the micro-kernel.
TEST_P(GemmTest, LargeProductMatchesReference) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(7);
  const int64_t rows = Gemm::kRowPanels * set.gemm_rows * 2 + 5;
  const int64_t n = 2 * kGemmDepth + 64;
  const int64_t tokens = 3 * set.gemm_lanes + 2;
  const TestWeight t = RandomWeight(GgmlType::kF16, rows, n, rng);
  const std::vector<float> x = RandomTokens(tokens, n, rng);
  const std::vector<float> y = Product(set, t.w, x, tokens);
  const std::vector<float> want =
      Product(*FindKernelSet("scalar"), t.w, x, tokens);
  for (size_t i = 0; i < y.size(); ++i) {
    ASSERT_NEAR(y[i], want[i], 1e-3f * (1 + std::fabs(want[i]))) << i;
  }
}

// The integer GEMM: every weight type with 8-bit activations, ragged rows
// (not a multiple of any register block), tokens across panel boundaries,
// n with a short last k-block where the type allows.
const Shape kIntegerShapes[] = {
    {GgmlType::kQ8_0, 29, 288, 40}, {GgmlType::kQ4_0, 25, 544, 9},
    {GgmlType::kQ4_0, 3, 32, 1},    {GgmlType::kQ5_0, 18, 320, 17},
    {GgmlType::kQ5_1, 11, 96, 16},  {GgmlType::kIQ4_NL, 9, 64, 3},
    {GgmlType::kQ4_K, 26, 512, 12}, {GgmlType::kQ5_K, 14, 256, 31},
    {GgmlType::kQ6_K, 31, 768, 48}, {GgmlType::kQ6_K, 5, 256, 2},
};

// Every set that runs a type in the integer GEMM matches the product of
// the scalar set's decoded rows with the 8-bit activations (which every
// set rounds the same way), to float rounding: the quantisation of the
// activations is the only approximation, and decode makes it too.
TEST_P(GemmTest, IntegerMatchesQuantizedReference) {
  const KernelSet& set = *GetParam();
  const KernelSet& scalar = *FindKernelSet("scalar");
  std::mt19937 rng(11);
  for (const Shape& s : kIntegerShapes) {
    // Every set runs every quantised type here (AVX2 the wide-code ones,
    // Q8_0 and IQ4_NL, with the signs carried across).
    ASSERT_GT(set.qgemm_group(s.type), 0) << TypeName(s.type);
    SCOPED_TRACE(TypeName(s.type) + " rows " + std::to_string(s.rows) + " n " +
                 std::to_string(s.n) + " tokens " + std::to_string(s.tokens));
    const TestWeight t = RandomWeight(s.type, s.rows, s.n, rng);
    const std::vector<float> x = RandomTokens(s.tokens, s.n, rng);
    const std::vector<float> y =
        Product(set, t.w, x, s.tokens, Gemm::Activations::kInteger);
    std::vector<BlockQ8Act> xq(s.tokens * s.n / 32);
    for (int64_t tok = 0; tok < s.tokens; ++tok) {
      scalar.quantize_activations(x.data() + tok * s.n, s.n,
                                  xq.data() + tok * s.n / 32);
    }
    ASSERT_NO_FATAL_FAILURE(
        ExpectMatchesDecodedRows(t.w, s.tokens, y, [&](int64_t tok, int64_t k) {
          const BlockQ8Act& a = xq[tok * s.n / 32 + k / 32];
          return static_cast<double>(a.d) * a.qs[k % 32];
        }));
  }
}

// Q8_0 codes at the ends of the byte range, -128 included (a valid file
// may hold it, though the quantiser does not write it): every set's integer
// GEMM still matches the decoded rows (AVX2's maddubs of |q| must see 128).
TEST_P(GemmTest, IntegerQ8_0ExtremeCodesMatchReference) {
  const KernelSet& set = *GetParam();
  const KernelSet& scalar = *FindKernelSet("scalar");
  std::mt19937 rng(19);
  const int64_t rows = 9, n = 256, tokens = 11;
  TestWeight t = RandomWeight(GgmlType::kQ8_0, rows, n, rng);
  // Each 34-byte block: f16 scale, then 32 codes.
  for (size_t b = 0; b < t.bytes.size(); b += 34) {
    for (size_t i = 0; i < 32; i += 3) {
      t.bytes[b + 2 + i] = static_cast<char>(i % 2 == 0 ? -128 : 127);
    }
  }
  const std::vector<float> x = RandomTokens(tokens, n, rng);
  const std::vector<float> y =
      Product(set, t.w, x, tokens, Gemm::Activations::kInteger);
  std::vector<BlockQ8Act> xq(tokens * n / 32);
  for (int64_t tok = 0; tok < tokens; ++tok) {
    scalar.quantize_activations(x.data() + tok * n, n,
                                xq.data() + tok * n / 32);
  }
  ASSERT_NO_FATAL_FAILURE(
      ExpectMatchesDecodedRows(t.w, tokens, y, [&](int64_t tok, int64_t k) {
        const BlockQ8Act& a = xq[tok * n / 32 + k / 32];
        return static_cast<double>(a.d) * a.qs[k % 32];
      }));
}

// The integer GEMM keeps the f32 GEMM's contract: a token's outputs are
// bit-for-bit the same alone, in a batch, anywhere in the batch, and
// whichever row range holds them; and f32 weights in the same product
// (Activations::kBoth) keep the f32 path.
TEST_P(GemmTest, IntegerTokenResultDoesNotDependOnItsBatch) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(13);
  for (const Shape& s : kIntegerShapes) {
    SCOPED_TRACE(TypeName(s.type));
    const TestWeight t = RandomWeight(s.type, s.rows, s.n, rng);
    const int64_t tokens = 37;
    const std::vector<float> x = RandomTokens(tokens, s.n, rng);
    Gemm gemm(2, set);
    // The mixed check below needs `gemm` packed: stop at a failure.
    ASSERT_NO_FATAL_FAILURE(ExpectBatchInvariant(
        set, t.w, x, tokens, Gemm::Activations::kBoth, gemm));
    // An F16 weight beside it in the same packing runs in f32.
    const TestWeight f = RandomWeight(GgmlType::kF16, 7, s.n, rng);
    std::vector<float> mixed(tokens * 7, NAN);
    gemm.Rows(f.w, 0, 7, 0, mixed.data());
    const std::vector<float> floats = Product(set, f.w, x, tokens);
    ASSERT_EQ(std::memcmp(mixed.data(), floats.data(), floats.size() * 4), 0);
  }
}

// Many row blocks and k-blocks, both panel variants: the integer GEMM of
// every set against the scalar set's.
TEST_P(GemmTest, IntegerLargeProductMatchesScalar) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(17);
  for (GgmlType type : {GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K,
                        GgmlType::kQ8_0, GgmlType::kIQ4_NL}) {
    if (set.qgemm_group(type) == 0) continue;
    SCOPED_TRACE(TypeName(type));
    const int64_t rows = Gemm::kRowPanels * set.qgemm_rows * 2 + 5;
    const int64_t n = 3 * kGemmDepth;
    const int64_t tokens = 3 * set.qgemm_lanes + 2;
    const TestWeight t = RandomWeight(type, rows, n, rng);
    const std::vector<float> x = RandomTokens(tokens, n, rng);
    const auto kInteger = Gemm::Activations::kInteger;
    const std::vector<float> y = Product(set, t.w, x, tokens, kInteger);
    const std::vector<float> want =
        Product(*FindKernelSet("scalar"), t.w, x, tokens, kInteger);
    for (size_t i = 0; i < y.size(); ++i) {
      ASSERT_NEAR(y[i], want[i], 1e-3f * (1 + std::fabs(want[i]))) << i;
    }
  }
}

// An activation as the BF16 GEMM uses it: rounded to bf16, nearest even.
double RoundedToBf16(float f) { return Bfloat16ToFloat(FloatToBfloat16(f)); }

// Sets with a BF16 dot product: BF16 weights against bf16-rounded
// activations, to 1e-5 of the products' magnitudes (each product is exact in
// f32, the sums are f32), across register blocks, k-blocks and panels; and a
// token's result the same alone and in any batch.
TEST_P(GemmTest, Bf16MatchesRoundedActivationsAndDoesNotDependOnTheBatch) {
  const KernelSet& set = *GetParam();
  if (set.gemm_bf16_block == nullptr) {
    GTEST_SKIP() << set.name << " has no BF16 GEMM";
  }
  std::mt19937 rng(41);
  const auto kBf16 = Gemm::Activations::kBf16;
  for (const Shape& s : {Shape{GgmlType::kBF16, 7, 64, 1},
                         Shape{GgmlType::kBF16, 37, 78, 17},
                         Shape{GgmlType::kBF16,
                               Gemm::kRowPanels * kGemmRowsBf16 + 5,
                               2 * kGemmDepth + 64, 35}}) {
    SCOPED_TRACE("rows " + std::to_string(s.rows) + " n " +
                 std::to_string(s.n) + " tokens " + std::to_string(s.tokens));
    const TestWeight t = RandomWeight(s.type, s.rows, s.n, rng);
    const std::vector<float> x = RandomTokens(s.tokens, s.n, rng);
    Gemm gemm(1, set);
    ASSERT_TRUE(gemm.Bf16(GgmlType::kBF16, s.n));
    ASSERT_FALSE(gemm.Bf16(GgmlType::kF16, s.n));
    const std::vector<float> y = Product(set, t.w, x, s.tokens, kBf16);
    ASSERT_NO_FATAL_FAILURE(
        ExpectMatchesDecodedRows(t.w, s.tokens, y, [&](int64_t tok, int64_t k) {
          return RoundedToBf16(x[tok * s.n + k]);
        }));
    Gemm two(2, set);
    ASSERT_NO_FATAL_FAILURE(
        ExpectBatchInvariant(set, t.w, x, s.tokens, kBf16, two));
  }
}

// The bf16 panels hold pairs of values: BF16 rows of an odd length take the
// f32 GEMM even when bf16 panels are asked for, with the f32 path's results
// bit for bit.
TEST_P(GemmTest, Bf16RowsOfOddLengthKeepTheFloatPath) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(43);
  const int64_t rows = 37, n = 63, tokens = 17;
  const TestWeight t = RandomWeight(GgmlType::kBF16, rows, n, rng);
  const std::vector<float> x = RandomTokens(tokens, n, rng);
  ASSERT_FALSE(Gemm(1, set).Bf16(GgmlType::kBF16, n));
  using A = Gemm::Activations;
  const std::vector<float> want = Product(set, t.w, x, tokens, A::kFloat);
  const std::vector<float> got =
      Product(set, t.w, x, tokens, A::kFloat | A::kBf16);
  EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * 4), 0);
}

// The AVX-VNNI set's integer GEMM gives the AVX2 set's results bit for bit
// (exact integer sums, the same float steps), every type it runs there.
TEST(GemmSetsTest, AvxVnniGivesTheAvx2SetsResultsBitForBit) {
  const KernelSet* avx2 = FindKernelSet("avx2");
  const KernelSet* vnni = FindKernelSet("avxvnni");
  if (avx2 == nullptr || vnni == nullptr) {
    GTEST_SKIP() << "this CPU or build lacks AVX2 or AVX-VNNI";
  }
  std::mt19937 rng(31);
  for (GgmlType type :
       {GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ5_1,
        GgmlType::kIQ4_NL, GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K}) {
    SCOPED_TRACE(TypeName(type));
    ASSERT_GT(vnni->qgemm_group(type), 0);
    const TestWeight t = RandomWeight(type, 37, 2 * kGemmDepth, rng);
    const std::vector<float> x = RandomTokens(21, 2 * kGemmDepth, rng);
    const auto kInteger = Gemm::Activations::kInteger;
    const std::vector<float> want = Product(*avx2, t.w, x, 21, kInteger);
    const std::vector<float> got = Product(*vnni, t.w, x, 21, kInteger);
    EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * 4), 0);
  }
}

INSTANTIATE_TEST_SUITE_P(
    AvailableSets, GemmTest, ::testing::ValuesIn(AvailableKernelSets()),
    [](const ::testing::TestParamInfo<const KernelSet*>& info) {
      return std::string(info.param->name);
    });

}  // namespace
}  // namespace inferd::llm
