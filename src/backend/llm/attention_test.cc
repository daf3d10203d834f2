#include "backend/llm/attention.h"

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "backend/llm/elementwise.h"
#include "backend/llm/kernels.h"
#include "backend/llm/kv_cache.h"
#include "gtest/gtest.h"

namespace inferd::llm {
namespace {

constexpr int64_t kHeadDim = 64, kKvHeads = 2, kGroup = 3;
constexpr int64_t kLayer = 1;  // of 2: the layer offset is exercised

// One sequence's cache holding random keys and values of layer kLayer for
// positions [0, length), with the f32 values that were stored (`keys`,
// `values`: length x kv_dim) and the values the cache decodes them to.
struct Filled {
  std::unique_ptr<KvCache> cache;
  SequenceKv seq, other;
  std::vector<float> keys, values, stored_keys, stored_values;
};

Filled Fill(GgmlType type, int64_t length, int64_t block_tokens,
            std::mt19937& rng, float key_scale = 1) {
  const int64_t kv_dim = kKvHeads * kHeadDim;
  Filled f;
  f.cache = *KvCache::Create({.n_layers = 2,
                              .kv_dim = kv_dim,
                              .block_tokens = block_tokens,
                              .num_blocks = 2 * (length / block_tokens + 1),
                              .type = type,
                              .head_dim = kHeadDim});
  // Blocks alternate with another sequence's: the table is not contiguous.
  for (int64_t p = 0; p < length; p += block_tokens) {
    EXPECT_TRUE(f.cache->Reserve(f.seq, p + block_tokens).ok());
    EXPECT_TRUE(f.cache->Reserve(f.other, p + block_tokens).ok());
  }
  std::normal_distribution<float> normal;
  f.keys.resize(length * kv_dim);
  f.values.resize(length * kv_dim);
  f.stored_keys.resize(length * kv_dim);
  f.stored_values.resize(length * kv_dim);
  for (float& v : f.keys) v = key_scale * normal(rng);
  for (float& v : f.values) v = normal(rng);
  for (int64_t p = 0; p < length; ++p) {
    f.cache->StoreKey(f.seq, kLayer, p, &f.keys[p * kv_dim]);
    f.cache->StoreValue(f.seq, kLayer, p, &f.values[p * kv_dim]);
    DequantizeRow(type, f.cache->Key(f.seq, kLayer, p), kv_dim,
                  &f.stored_keys[p * kv_dim]);
    DequantizeRow(type, f.cache->Value(f.seq, kLayer, p), kv_dim,
                  &f.stored_values[p * kv_dim]);
  }
  return f;
}

// The three-pass attention the engine used before (all scores of the
// context in one buffer, then max/exp/sum, then the weighted sum of values),
// over f32 rows.
std::vector<float> ThreePass(const std::vector<float>& keys,
                             const std::vector<float>& values, const float* q,
                             int64_t kv_head, int64_t first, int64_t last,
                             const AttentionParams& params) {
  const int64_t kv_dim = kKvHeads * kHeadDim, d = params.head_dim;
  const int64_t n_pos = last + 1 - first;
  std::vector<float> scores(n_pos);
  for (int64_t p = 0; p < n_pos; ++p) {
    scores[p] =
        DotF32(q, &keys[(first + p) * kv_dim + kv_head * d], d) * params.scale;
  }
  if (params.softcap > 0) SoftCap(scores.data(), n_pos, params.softcap);
  const float max_score = *std::max_element(scores.begin(), scores.end());
  float sum = 0;
  for (float& s : scores) {
    s = std::exp(s - max_score);
    sum += s;
  }
  std::vector<float> out(d, 0.0f);
  for (int64_t p = 0; p < n_pos; ++p) {
    const float a = scores[p] / sum;
    const float* v = &values[(first + p) * kv_dim + kv_head * d];
    for (int64_t j = 0; j < d; ++j) out[j] += a * v[j];
  }
  return out;
}

// Largest |AttendHeads - three-pass| over every head of both kv heads,
// the three-pass run on (`keys`, `values`).
double MaxError(const Filled& f, const std::vector<float>& keys,
                const std::vector<float>& values, const std::vector<float>& q,
                int64_t first, int64_t last, const AttentionParams& params) {
  double worst = 0;
  std::vector<float> out(kGroup * kHeadDim);
  for (int64_t kv_head = 0; kv_head < kKvHeads; ++kv_head) {
    const float* qh = &q[kv_head * kGroup * kHeadDim];
    AttendHeads(*f.cache, f.seq, kLayer, kv_head, qh, kGroup, first, last,
                params, out.data());
    for (int64_t h = 0; h < kGroup; ++h) {
      const std::vector<float> want = ThreePass(keys, values, qh + h * kHeadDim,
                                                kv_head, first, last, params);
      for (int64_t j = 0; j < kHeadDim; ++j) {
        worst =
            std::max<double>(worst, std::fabs(out[h * kHeadDim + j] - want[j]));
      }
    }
  }
  return worst;
}

std::vector<float> RandomQuery(std::mt19937& rng, float scale = 1) {
  std::normal_distribution<float> normal;
  std::vector<float> q(kKvHeads * kGroup * kHeadDim);
  for (float& v : q) v = scale * normal(rng);
  return q;
}

const AttentionParams kPlain{kHeadDim, 0.125f, 0};       // 1/sqrt(64)
const AttentionParams kSoftCapped{kHeadDim, 0.125f, 2};  // gemma2-style

// With an f32 cache the one-pass result is the old three-pass one up to
// float rounding: whole context, a sliding window that starts mid-block,
// soft-capped scores, KV blocks smaller and larger than a tile.
TEST(AttentionTest, F32CacheMatchesThreePass) {
  std::mt19937 rng(1);
  for (int64_t block_tokens : {16, 48}) {
    const Filled f = Fill(GgmlType::kF32, 150, block_tokens, rng);
    const std::vector<float> q = RandomQuery(rng, 2);
    for (const AttentionParams& params : {kPlain, kSoftCapped}) {
      for (int64_t first : {0, 37}) {
        for (int64_t last : {first, first + 9, int64_t{149}}) {
          EXPECT_LE(MaxError(f, f.keys, f.values, q, first, last, params), 1e-5)
              << "block " << block_tokens << " softcap " << params.softcap
              << " positions " << first << ".." << last;
        }
      }
    }
  }
}

// F16 and Q8_0 caches: the same agreement on the values the cache holds,
// and a bounded distance from the f32 values they were given. Bounds: f16
// keeps 11 significant bits (relative error <= 2^-11 per value), Q8_0 keeps
// each value within amax/254 of its 32-value block, about 1% of a normal
// block's amax (~2.5); outputs here are about 0.1-1 in size.
TEST(AttentionTest, F16AndQ8_0CachesMatchThreePass) {
  std::mt19937 rng(2);
  const std::pair<GgmlType, double> cases[] = {{GgmlType::kF16, 2e-3},
                                               {GgmlType::kQ8_0, 3e-2}};
  for (auto [type, tolerance] : cases) {
    const Filled f = Fill(type, 150, 16, rng);
    const std::vector<float> q = RandomQuery(rng, 2);
    for (const AttentionParams& params : {kPlain, kSoftCapped}) {
      const std::string what = KvCache::TypeName(type);
      EXPECT_LE(MaxError(f, f.stored_keys, f.stored_values, q, 0, 149, params),
                1e-5)
          << what;
      const double vs_f32 = MaxError(f, f.keys, f.values, q, 0, 149, params);
      EXPECT_LE(vs_f32, tolerance) << what;
      EXPECT_GT(vs_f32, 0) << what << ": stored values should differ";
    }
  }
}

// 4096 positions (the old code sized a scores buffer by the context): the
// running maximum grows many times, from keys that align ever better with
// the query, and the result still matches.
TEST(AttentionTest, LongContextMatchesThreePass) {
  std::mt19937 rng(3);
  const int64_t length = 4096;
  for (auto [type, tolerance] :
       {std::pair{GgmlType::kF32, 1e-5}, std::pair{GgmlType::kF16, 2e-3}}) {
    Filled f = Fill(type, length, 16, rng);
    const std::vector<float> q = RandomQuery(rng, 1);
    const int64_t kv_dim = kKvHeads * kHeadDim;
    for (int64_t p = 0; p < length; p += 97) {
      for (int64_t i = 0; i < kv_dim; ++i) {
        // The first head of each group scores these keys about
        // 0.02 * (p / 97) * |q|^2 / 8 higher: up to ~7 at the end.
        f.keys[p * kv_dim + i] +=
            0.02f * p / 97 *
            q[(i / kHeadDim) * kGroup * kHeadDim + i % kHeadDim];
      }
      f.cache->StoreKey(f.seq, kLayer, p, &f.keys[p * kv_dim]);
      DequantizeRow(type, f.cache->Key(f.seq, kLayer, p), kv_dim,
                    &f.stored_keys[p * kv_dim]);
    }
    const std::string what = KvCache::TypeName(type);
    EXPECT_LE(
        MaxError(f, f.stored_keys, f.stored_values, q, 0, length - 1, kPlain),
        1e-5)
        << what;
    EXPECT_LE(MaxError(f, f.keys, f.values, q, 0, length - 1, kPlain),
              tolerance)
        << what;
  }
}

// Heads attended together give what each gives alone, bit for bit: the
// transformer may group them differently by batch size.
TEST(AttentionTest, GroupedHeadsEqualSingleHeads) {
  std::mt19937 rng(4);
  const Filled f = Fill(GgmlType::kF16, 70, 16, rng);
  const std::vector<float> q = RandomQuery(rng);
  std::vector<float> together(kGroup * kHeadDim), alone(kHeadDim);
  AttendHeads(*f.cache, f.seq, kLayer, 1, &q[kGroup * kHeadDim], kGroup, 5, 69,
              kSoftCapped, together.data());
  for (int64_t h = 0; h < kGroup; ++h) {
    AttendHeads(*f.cache, f.seq, kLayer, 1, &q[(kGroup + h) * kHeadDim], 1, 5,
                69, kSoftCapped, alone.data());
    for (int64_t j = 0; j < kHeadDim; ++j) {
      ASSERT_EQ(together[h * kHeadDim + j], alone[j]) << h << " " << j;
    }
  }
}

TEST(KvCacheTest, TypesNamesAndBytes) {
  EXPECT_EQ(*KvCache::ParseType("f16"), GgmlType::kF16);
  EXPECT_EQ(*KvCache::ParseType("f32"), GgmlType::kF32);
  EXPECT_EQ(*KvCache::ParseType("q8_0"), GgmlType::kQ8_0);
  EXPECT_FALSE(KvCache::ParseType("q4_0").ok());
  EXPECT_FALSE(KvCache::ParseType("F16").ok());
  // 2 (keys, values) x 20 layers x 512 values.
  EXPECT_EQ(KvCache::BytesPerToken(GgmlType::kF32, 20, 512), 81920);
  EXPECT_EQ(KvCache::BytesPerToken(GgmlType::kF16, 20, 512), 40960);
  EXPECT_EQ(KvCache::BytesPerToken(GgmlType::kQ8_0, 20, 512), 21760);
  auto cache = KvCache::Create({.n_layers = 20,
                                .kv_dim = 512,
                                .block_tokens = 16,
                                .num_blocks = 4,
                                .type = GgmlType::kQ8_0,
                                .head_dim = 128});
  ASSERT_TRUE(cache.ok()) << cache.status();
  EXPECT_EQ((*cache)->block_bytes(), 16 * 21760);
  EXPECT_EQ((*cache)->row_bytes(), 544);
}

TEST(KvCacheTest, Q8_0NeedsHeadsOfWholeBlocks) {
  auto cache = KvCache::Create({.n_layers = 1,
                                .kv_dim = 64,
                                .block_tokens = 16,
                                .num_blocks = 4,
                                .type = GgmlType::kQ8_0,
                                .head_dim = 16});
  ASSERT_FALSE(cache.ok());
  EXPECT_NE(cache.status().message().find("kv_cache_type q8_0"),
            std::string::npos)
      << cache.status();
  EXPECT_FALSE(KvCache::Create({.n_layers = 1,
                                .kv_dim = 64,
                                .block_tokens = 16,
                                .num_blocks = 4,
                                .type = GgmlType::kQ4_0})
                   .ok());
}

}  // namespace
}  // namespace inferd::llm
