#include "src/backend/llm/kv_cache.h"

#include "src/backend/llm/str_cat.h"

namespace inferd::llm {

KvCache::KvCache(Options options) : options_(options) {
  block_floats_ =
      options_.n_layers * 2 * options_.block_tokens * options_.kv_dim;
  // Default-initialised: the pages stay untouched until a block is written.
  storage_.reset(new float[block_floats_ * options_.num_blocks]);
  free_.reserve(options_.num_blocks);
  for (int64_t b = options_.num_blocks - 1; b >= 0; --b) {
    free_.push_back(static_cast<int32_t>(b));
  }
}

absl::Status KvCache::Reserve(SequenceKv& seq, int64_t positions) {
  const int64_t needed =
      (positions + options_.block_tokens - 1) / options_.block_tokens;
  const int64_t extra = needed - static_cast<int64_t>(seq.blocks.size());
  if (extra <= 0) return absl::OkStatus();
  if (extra > free_blocks()) {
    return absl::ResourceExhaustedError(AbslView(
        Cat("KV cache full: ", positions, " positions need ", extra,
            " more blocks, ", free_blocks(), " free")));
  }
  for (int64_t k = 0; k < extra; ++k) {
    seq.blocks.push_back(free_.back());
    free_.pop_back();
  }
  return absl::OkStatus();
}

void KvCache::Release(SequenceKv& seq) {
  for (auto it = seq.blocks.rbegin(); it != seq.blocks.rend(); ++it) {
    free_.push_back(*it);
  }
  seq.blocks.clear();
  seq.length = 0;
}

}  // namespace inferd::llm
