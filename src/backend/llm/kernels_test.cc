#include "backend/llm/kernels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "backend/llm/kernel_set.h"
#include "backend/llm/testing/quantize.h"
#include "gtest/gtest.h"
#include "tensor/half.h"

namespace inferd::llm {
namespace {

const GgmlType kWeightTypes[] = {
    GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ8_0,
    GgmlType::kQ4_0, GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kIQ4_NL,
    GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K};

// Random bytes of `type` rows (every bit pattern of the payload) with sane
// f16 scales where the format keeps them.
std::string RandomBlocks(GgmlType type, int64_t n, std::mt19937& rng) {
  std::string bytes(RowBytes(type, n), '\0');
  for (char& c : bytes) c = static_cast<char>(rng());
  const GgmlTypeInfo* info = FindGgmlType(static_cast<uint32_t>(type));
  const uint16_t scale = FloatToHalf(0.01f);
  std::vector<int> at;  // byte offsets of f16 scales in a block
  switch (type) {
    case GgmlType::kQ8_0:
    case GgmlType::kQ4_0:
    case GgmlType::kQ5_0:
    case GgmlType::kIQ4_NL:
      at = {0};
      break;
    case GgmlType::kQ5_1:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
      at = {0, 2};
      break;
    case GgmlType::kQ6_K:
      at = {208};
      break;
    default:
      break;
  }
  for (int64_t b = 0; b < n / info->block_size; ++b) {
    for (int off : at) {
      std::memcpy(bytes.data() + b * info->type_size + off, &scale, 2);
    }
  }
  return bytes;
}

std::string RandomRow(GgmlType type, int64_t n, bool raw, std::mt19937& rng) {
  if (raw && type != GgmlType::kF32 && type != GgmlType::kF16 &&
      type != GgmlType::kBF16) {
    return RandomBlocks(type, n, rng);
  }
  std::normal_distribution<float> normal;
  std::vector<float> v(n);
  for (float& f : v) f = normal(rng);
  return Quantize(type, v.data(), n);
}

// n_tokens random activation vectors of n values (token t at x[t * n]) and
// their 8-bit blocks (at xq[t * n / 32]).
std::pair<std::vector<float>, std::vector<BlockQ8Act>> RandomTokens(
    int64_t n, int64_t n_tokens, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> x(n * n_tokens);
  for (float& v : x) v = normal(rng);
  std::vector<BlockQ8Act> xq(n_tokens * n / 32);
  for (int64_t t = 0; t < n_tokens; ++t) {
    QuantizeActivations(x.data() + t * n, n, xq.data() + t * n / 32);
  }
  return {std::move(x), std::move(xq)};
}

const KernelSet& Scalar() { return *FindKernelSet("scalar"); }

class KernelSetTest : public ::testing::TestWithParam<const KernelSet*> {};

// Every set decodes every type as the scalar reference does.
TEST_P(KernelSetTest, DequantizeMatchesScalar) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(3);
  const int64_t n = 512;
  for (GgmlType type : kWeightTypes) {
    for (bool raw : {false, true}) {
      const std::string row = RandomRow(type, n, raw, rng);
      std::vector<float> want(n), got(n);
      Scalar().dequantize_row(type, row.data(), n, want.data());
      set.dequantize_row(type, row.data(), n, got.data());
      for (int64_t i = 0; i < n; ++i) {
        ASSERT_NEAR(got[i], want[i], 1e-6f * (1 + std::fabs(want[i])))
            << TypeName(type) << " value " << i << (raw ? " (raw)" : "");
      }
    }
  }
}

// Every set's dot products equal the scalar dequantise-then-dot reference,
// for one token (DotRow) and for batches of 1..11 tokens (DotRows).
TEST_P(KernelSetTest, DotsMatchDequantizedReference) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(5);
  const int64_t n = 512, tokens = 11;
  auto [x, xq] = RandomTokens(n, tokens, rng);
  for (GgmlType type : kWeightTypes) {
    for (bool raw : {false, true}) {
      const std::string row = RandomRow(type, n, raw, rng);
      std::vector<float> w(n);
      Scalar().dequantize_row(type, row.data(), n, w.data());
      const bool q = UsesQuantizedActivations(type);
      std::vector<double> want(tokens), tolerance(tokens);
      for (int64_t t = 0; t < tokens; ++t) {
        for (int64_t i = 0; i < n; ++i) {
          const BlockQ8Act& b = xq[t * n / 32 + i / 32];
          const double xi = q ? b.d * b.qs[i % 32] : x[t * n + i];
          want[t] += w[i] * xi;
          tolerance[t] += std::fabs(w[i] * xi);
        }
        tolerance[t] = 1e-5 * tolerance[t] + 1e-6;
      }
      const std::string what = TypeName(type) + (raw ? " (raw)" : "");
      EXPECT_NEAR(set.dot_row(type, row.data(), x.data(), xq.data(), n),
                  want[0], tolerance[0])
          << what;
      for (int64_t count = 1; count <= tokens; ++count) {
        std::vector<float> out(2 * count, -1.0f);
        set.dot_rows(type, row.data(), x.data(), xq.data(), n, count,
                     out.data(), 2);
        for (int64_t t = 0; t < count; ++t) {
          EXPECT_NEAR(out[2 * t], want[t], tolerance[t])
              << what << ", token " << t << " of " << count;
          EXPECT_EQ(out[2 * t + 1], -1.0f) << "wrote outside its stride";
        }
      }
    }
  }
}

// The dot of row `row` (n values of `type`) with one token's activations
// as the kernels see them (x, or its 8-bit blocks xq for the integer
// types), in double, and a tolerance for a float kernel's result.
void ReferenceDot(GgmlType type, const char* row, int64_t n, const float* x,
                  const BlockQ8Act* xq, double* want, double* tol) {
  std::vector<float> w(n);
  Scalar().dequantize_row(type, row, n, w.data());
  const bool q = UsesQuantizedActivations(type);
  double sum = 0, mag = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double xi = q ? xq[i / 32].d * xq[i / 32].qs[i % 32] : x[i];
    sum += w[i] * xi;
    mag += std::fabs(w[i] * xi);
  }
  *want = sum;
  *tol = 1e-5 * mag + 1e-6;
}

// DotWeightRows over ragged row and token counts: each (row, token) equals
// the dequantised reference, and each token's results are bit for bit the
// ones it gets alone (a decode batch does not change a token's arithmetic).
TEST_P(KernelSetTest, WeightRowsMatchReferenceAndDoNotDependOnTheBatch) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(17);
  const int64_t max_rows = 9, max_tokens = 17;
  for (GgmlType type : kWeightTypes) {
    const int64_t block = FindGgmlType(static_cast<uint32_t>(type))->block_size;
    // 512: the row tiles (AVX-512: 512 values a step, Q6_K 256; AVX2: 256,
    // Q6_K 128); 192 and 96: Q4_0 and Q8_0 end on a short step (6 and 3
    // blocks) in both sets' tiles.
    for (int64_t n : {int64_t{512}, int64_t{192}, int64_t{96}}) {
      if (n % block != 0) continue;
      const int64_t row_bytes = RowBytes(type, n);
      std::string rows;
      for (int64_t r = 0; r < max_rows; ++r) {
        rows += RandomRow(type, n, /*raw=*/r % 2 == 1, rng);
      }
      auto [x, xq] = RandomTokens(n, max_tokens, rng);
      std::vector<double> want(max_rows * max_tokens), tol(want.size());
      for (int64_t r = 0; r < max_rows; ++r) {
        for (int64_t t = 0; t < max_tokens; ++t) {
          ReferenceDot(type, rows.data() + r * row_bytes, n, x.data() + t * n,
                       xq.data() + t * n / 32, &want[t * max_rows + r],
                       &tol[t * max_rows + r]);
        }
      }
      // Each token alone, rows 0..max_rows: the values batches must repeat.
      std::vector<float> alone(max_tokens * max_rows);
      for (int64_t t = 0; t < max_tokens; ++t) {
        set.dot_weight_rows(type, rows.data(), row_bytes, max_rows,
                            x.data() + t * n, xq.data() + t * n / 32, n, 1,
                            alone.data() + t * max_rows, max_rows, 0);
      }
      const std::string what = TypeName(type) + " n=" + std::to_string(n);
      for (int64_t r = 0; r < max_rows; ++r) {
        for (int64_t t = 0; t < max_tokens; ++t) {
          ASSERT_NEAR(alone[t * max_rows + r], want[t * max_rows + r],
                      tol[t * max_rows + r])
              << what << " row " << r << " token " << t;
        }
      }
      for (int64_t n_rows : {int64_t{1}, int64_t{3}, int64_t{4}, max_rows}) {
        for (int64_t count : {int64_t{1}, int64_t{2}, int64_t{4}, int64_t{5},
                              int64_t{16}, max_tokens}) {
          const int64_t stride = n_rows + 1;  // one guard value per token
          std::vector<float> out(count * stride, -1.0f);
          set.dot_weight_rows(type, rows.data(), row_bytes, n_rows, x.data(),
                              xq.data(), n, count, out.data(), stride, 0);
          for (int64_t t = 0; t < count; ++t) {
            for (int64_t r = 0; r < n_rows; ++r) {
              ASSERT_EQ(out[t * stride + r], alone[t * max_rows + r])
                  << what << " row " << r << " token " << t << " of " << count
                  << ", " << n_rows << " rows";
            }
            ASSERT_EQ(out[t * stride + n_rows], -1.0f)
                << "wrote outside its rows";
          }
        }
      }
    }
  }
}

// Long rows and many of them: 16 tokens' activations for a 4096-value row
// (5 KiB a token in either set's tiles) overflow any L1 budget under 80 KiB,
// so the tiles of 16 tokens run each row in pieces, keeping their sums
// between pieces, and the rows in blocks, once per tile of tokens. Each
// token's results are the reference's (first rows) and bit for bit the ones
// it gets alone, where one token takes a row in one piece.
TEST_P(KernelSetTest, LongRowsInSeveralTilesDoNotDependOnTheBatch) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(29);
  const int64_t n = 4096, n_rows = 150, tokens = 19;
  for (GgmlType type :
       {GgmlType::kQ4_0, GgmlType::kQ8_0, GgmlType::kQ4_K, GgmlType::kQ6_K}) {
    const int64_t row_bytes = RowBytes(type, n);
    std::string rows;
    for (int64_t r = 0; r < n_rows; ++r) {
      rows += RandomRow(type, n, /*raw=*/false, rng);
    }
    auto [x, xq] = RandomTokens(n, tokens, rng);
    std::vector<float> alone(tokens * n_rows), batch(tokens * n_rows);
    for (int64_t t = 0; t < tokens; ++t) {
      set.dot_weight_rows(type, rows.data(), row_bytes, n_rows,
                          x.data() + t * n, xq.data() + t * n / 32, n, 1,
                          alone.data() + t * n_rows, n_rows, 0);
    }
    for (int64_t r = 0; r < 3; ++r) {
      for (int64_t t = 0; t < tokens; ++t) {
        double want, tol;
        ReferenceDot(type, rows.data() + r * row_bytes, n, x.data() + t * n,
                     xq.data() + t * n / 32, &want, &tol);
        ASSERT_NEAR(alone[t * n_rows + r], want, tol)
            << TypeName(type) << " row " << r << " token " << t;
      }
    }
    set.dot_weight_rows(type, rows.data(), row_bytes, n_rows, x.data(),
                        xq.data(), n, tokens, batch.data(), n_rows, 0);
    EXPECT_EQ(batch, alone) << TypeName(type);
  }
}

// Calls that name their activations (xq_id) give the results of calls
// that do not: pieces of rows sharing one id reuse the arrangement made for
// the first, and new activations written into the same buffer under a new
// id are arranged again.
TEST_P(KernelSetTest, WeightRowsWithAnActivationsIdMatchWithout) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(23);
  std::normal_distribution<float> normal;
  const int64_t n = 512, n_rows = 8, tokens = 5, rounds = 3;
  for (GgmlType type : kWeightTypes) {
    if (!UsesQuantizedActivations(type)) continue;
    const int64_t row_bytes = RowBytes(type, n);
    std::string rows;
    for (int64_t r = 0; r < n_rows; ++r) {
      rows += RandomRow(type, n, /*raw=*/false, rng);
    }
    for (int64_t count : {int64_t{1}, tokens}) {
      // Each round's activations and results, from calls without an id.
      std::vector<std::vector<BlockQ8Act>> xqs(rounds);
      std::vector<std::vector<float>> wants(rounds);
      std::vector<float> x(n * count);
      for (int round = 0; round < rounds; ++round) {
        for (float& v : x) v = normal(rng);
        xqs[round].resize(count * n / 32);
        for (int64_t t = 0; t < count; ++t) {
          QuantizeActivations(x.data() + t * n, n,
                              xqs[round].data() + t * n / 32);
        }
        wants[round].resize(count * n_rows);
        set.dot_weight_rows(type, rows.data(), row_bytes, n_rows, x.data(),
                            xqs[round].data(), n, count, wants[round].data(),
                            n_rows, 0);
      }
      // The rounds again, one after the other through one buffer, each
      // under its own id in pieces of two rows.
      std::vector<BlockQ8Act> xq(count * n / 32);
      for (int round = 0; round < rounds; ++round) {
        xq = xqs[round];
        const uint64_t id = NewActivationsId();
        std::vector<float> got(count * n_rows);
        for (int64_t r = 0; r < n_rows; r += 2) {
          set.dot_weight_rows(type, rows.data() + r * row_bytes, row_bytes, 2,
                              x.data(), xq.data(), n, count, got.data() + r,
                              n_rows, id);
        }
        EXPECT_EQ(got, wants[round]) << TypeName(type) << " round " << round
                                     << ", " << count << " tokens";
      }
    }
  }
}

// SiLU and GELU (tanh form) times up, against double precision, over the
// whole float range the feed-forward sees and beyond (where the exponential
// saturates): within a few float ulps of the value (or of the larger term
// for results near 0).
TEST_P(KernelSetTest, GatedMulMatchesDoublePrecision) {
  const KernelSet& set = *GetParam();
  std::vector<float> g, up;
  std::mt19937 rng(29);
  std::normal_distribution<float> normal;
  for (int i = 0; i < 4000; ++i) {
    g.push_back(normal(rng) * (i % 4 == 0 ? 20.0f : 3.0f));
    up.push_back(normal(rng));
  }
  for (float v : {0.0f, -0.0f, 1e-30f, -1e-30f, 87.5f, -87.5f, 88.5f, -88.5f,
                  200.0f, -200.0f, 1e30f, -1e30f}) {
    g.push_back(v);
    up.push_back(1.5f);
  }
  for (bool gelu : {false, true}) {
    std::vector<float> got = g;
    set.gated_mul(gelu, got.data(), up.data(), static_cast<int64_t>(g.size()));
    for (size_t i = 0; i < g.size(); ++i) {
      const double x = g[i];
      const double z =
          gelu ? 2 * std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x) : x;
      const double want = x / (1 + std::exp(-z)) * up[i];
      const double scale = std::fabs(x * up[i]);
      ASSERT_NEAR(got[i], want, 4e-7 * scale + 1e-37)
          << (gelu ? "gelu" : "silu") << " of " << g[i] << " times " << up[i];
    }
  }
}

// Softmax weights e^(v - shift) and their sum, against double precision,
// for scores from far below the shift (weights that underflow towards 0) up
// to it, and lengths with and without a tail past the vector width.
TEST_P(KernelSetTest, ExpSumMatchesDoublePrecision) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(31);
  std::uniform_real_distribution<float> uniform(-120.0f, 0.0f);
  for (int64_t n : {int64_t{1}, int64_t{7}, int64_t{64}, int64_t{203}}) {
    const float shift = 3.5f;
    std::vector<float> v(n);
    for (float& x : v) x = shift + uniform(rng) * (n % 2 == 0 ? 1.0f : 0.1f);
    v[0] = shift;  // the maximum itself: weight 1
    std::vector<float> got = v;
    const float sum = set.exp_sum(got.data(), n, shift);
    double want_sum = 0;
    for (int64_t i = 0; i < n; ++i) {
      const double want = std::exp(static_cast<double>(v[i]) - shift);
      want_sum += want;
      ASSERT_NEAR(got[i], want, 3e-7 * want + 1e-37) << "n " << n << " i " << i;
    }
    EXPECT_NEAR(sum, want_sum, 1e-6 * want_sum) << "n " << n;
  }
}

// A token's 8-bit activations are the same on every CPU.
TEST_P(KernelSetTest, QuantizesActivationsAsScalar) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(13);
  std::normal_distribution<float> normal;
  const int64_t n = 256;
  std::vector<float> x(n);
  for (float& v : x) v = 3 * normal(rng);
  for (int i = 32; i < 64; ++i) x[i] = 0;  // an all-zero block
  std::vector<BlockQ8Act> want(n / 32), got(n / 32);
  Scalar().quantize_activations(x.data(), n, want.data());
  set.quantize_activations(x.data(), n, got.data());
  for (int64_t b = 0; b < n / 32; ++b) {
    EXPECT_EQ(got[b].d, want[b].d) << "block " << b;
    EXPECT_EQ(got[b].sum, want[b].sum) << "block " << b;
    int32_t sum = 0;
    for (int j = 0; j < 32; ++j) {
      EXPECT_EQ(got[b].qs[j], want[b].qs[j]) << "block " << b << " value " << j;
      sum += want[b].qs[j];
      EXPECT_NEAR(want[b].d * want[b].qs[j], x[b * 32 + j],
                  want[b].d / 2 + 1e-6);
    }
    EXPECT_EQ(want[b].sum, sum);
  }
}

TEST_P(KernelSetTest, F32DotsMatchReference) {
  const KernelSet& set = *GetParam();
  std::mt19937 rng(9);
  std::normal_distribution<float> normal;
  const int64_t n = 77;  // not a multiple of 8: exercises the tails
  std::vector<float> w(3 * n), x(4 * n);
  for (float& v : w) v = normal(rng);
  for (float& v : x) v = normal(rng);
  for (int r = 0; r < 3; ++r) {
    for (int c = 0; c < 4; ++c) {
      double want = 0;
      for (int64_t i = 0; i < n; ++i) want += w[r * n + i] * x[c * n + i];
      EXPECT_NEAR(set.dot_f32(&w[r * n], &x[c * n], n), want, 1e-4);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    AvailableSets, KernelSetTest, ::testing::ValuesIn(AvailableKernelSets()),
    [](const ::testing::TestParamInfo<const KernelSet*>& info) {
      return std::string(info.param->name);
    });

// The quantisers the tests and benchmarks use keep values close: a broken
// block layout would decode to noise.
TEST(QuantizeTest, RoundTripsWithinTheTypesResolution) {
  std::mt19937 rng(11);
  std::normal_distribution<float> normal;
  const int64_t n = 1024;
  std::vector<float> x(n), y(n);
  for (float& v : x) v = normal(rng);
  const std::pair<GgmlType, double> cases[] = {
      {GgmlType::kF16, 1e-3},    {GgmlType::kBF16, 8e-3},
      {GgmlType::kQ8_0, 0.012},  {GgmlType::kQ6_K, 0.04},
      {GgmlType::kQ5_0, 0.08},   {GgmlType::kQ5_1, 0.08},
      {GgmlType::kQ5_K, 0.08},   {GgmlType::kQ4_0, 0.16},
      {GgmlType::kIQ4_NL, 0.16}, {GgmlType::kQ4_K, 0.16}};
  for (auto [type, max_rms] : cases) {
    const std::string row = Quantize(type, x.data(), n);
    ASSERT_EQ(static_cast<int64_t>(row.size()), RowBytes(type, n));
    Scalar().dequantize_row(type, row.data(), n, y.data());
    double err = 0;
    for (int64_t i = 0; i < n; ++i) err += (x[i] - y[i]) * (x[i] - y[i]);
    EXPECT_LT(std::sqrt(err / n), max_rms) << TypeName(type);
  }
}

// AVX-VNNI only fuses AVX2's integer steps, and integer sums are exact: the
// two sets must agree bit for bit, so a machine's VNNI never changes a
// greedy completion.
TEST(KernelSetChoiceTest, AvxVnniGivesTheAvx2SetsResultsBitForBit) {
  const KernelSet* avx2 = FindKernelSet("avx2");
  const KernelSet* vnni = FindKernelSet("avxvnni");
  if (avx2 == nullptr || vnni == nullptr) {
    GTEST_SKIP() << "this CPU or build lacks AVX2 or AVX-VNNI";
  }
  std::mt19937 rng(29);
  const int64_t rows = 7, tokens = 19;
  for (GgmlType type : kWeightTypes) {
    const int64_t block = FindGgmlType(static_cast<uint32_t>(type))->block_size;
    for (int64_t n : {int64_t{1536}, int64_t{96}}) {
      if (n % block != 0) continue;
      std::string bytes;
      for (int64_t r = 0; r < rows; ++r) {
        bytes += RandomRow(type, n, /*raw=*/r % 2 == 1, rng);
      }
      auto [x, xq] = RandomTokens(n, tokens, rng);
      for (int64_t batch : {int64_t{1}, int64_t{4}, tokens}) {
        std::vector<float> want(rows * tokens), got(rows * tokens);
        for (int64_t t = 0; t < tokens; t += batch) {
          const int64_t here = std::min(batch, tokens - t);
          for (const auto& [set, out] :
               {std::pair{avx2, want.data()}, std::pair{vnni, got.data()}}) {
            set->dot_weight_rows(type, bytes.data(), RowBytes(type, n), rows,
                                 x.data() + t * n, xq.data() + t * n / 32, n,
                                 here, out + t * rows, rows, 0);
          }
        }
        EXPECT_EQ(std::memcmp(want.data(), got.data(), want.size() * 4), 0)
            << TypeName(type) << " n=" << n << " batch " << batch;
      }
    }
  }
}

TEST(KernelSetChoiceTest, ScalarIsAlwaysThereAndTheActiveSetIsListed) {
  ASSERT_NE(FindKernelSet("scalar"), nullptr);
  EXPECT_EQ(FindKernelSet("sse9"), nullptr);
  bool listed = false;
  for (const KernelSet* set : AvailableKernelSets()) {
    listed |= set == &ActiveKernels();
  }
  EXPECT_TRUE(listed);
}

}  // namespace
}  // namespace inferd::llm
