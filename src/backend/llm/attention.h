#pragma once

// Attention of query heads over one sequence's cached keys and values, in
// one pass with an online softmax.
//
// Positions are read in tiles of at most kAttentionTile (never across a KV
// block, whose rows are contiguous): the tile's scores are dotted, the
// running maximum moves once per tile, and the accumulated output and
// running sum are rescaled by exp(old max - new max) when it grows. Memory
// is a few stack arrays whatever the context, and each key/value row is
// read once for all the query heads that share it (grouped-query
// attention). The result equals softmax(q.K * scale) . V up to float
// rounding.
//
// Pure function of its inputs; callers run disjoint heads on several
// threads.

#include <cstdint>

#include "backend/llm/kv_cache.h"

namespace inferd::llm {

// Positions per tile: the scores of one tile and head live on the stack.
inline constexpr int64_t kAttentionTile = 32;
// Query heads attended together (one kv head's group, or part of it).
inline constexpr int64_t kMaxHeadsPerPass = 8;

struct AttentionParams {
  int64_t head_dim = 0;
  float scale = 1;    // applied to q.k before soft-capping
  float softcap = 0;  // > 0: scores become softcap * tanh(score / softcap)
};

// For each of `n_heads` (<= kMaxHeadsPerPass) query heads, q + h * head_dim,
// all reading kv head `kv_head` of `layer`: writes softmax-weighted values
// over positions [first, last] of `seq` to out + h * head_dim.
void AttendHeads(const KvCache& cache, const SequenceKv& seq, int64_t layer,
                 int64_t kv_head, const float* q, int64_t n_heads,
                 int64_t first, int64_t last, const AttentionParams& params,
                 float* out);

}  // namespace inferd::llm
