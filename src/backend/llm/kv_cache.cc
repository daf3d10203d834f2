#include "backend/llm/kv_cache.h"

#include <sys/mman.h>

#include "common/strings.h"

namespace inferd::llm {

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(Options options) {
  if (options.n_layers <= 0 || options.kv_dim <= 0 ||
      options.block_tokens <= 0 || options.num_blocks <= 0) {
    return absl::InvalidArgumentError("KV cache dimensions must be positive");
  }
  std::unique_ptr<KvCache> cache(new KvCache(options));
  cache->block_floats_ =
      options.n_layers * 2 * options.block_tokens * options.kv_dim;
  cache->storage_bytes_ = static_cast<size_t>(cache->block_floats_) *
                          options.num_blocks * sizeof(float);
  void* m = mmap(nullptr, cache->storage_bytes_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    return absl::ResourceExhaustedError(ToAbsl(
        StrCat("cannot reserve ", cache->storage_bytes_ >> 20,
            " MiB of address space for the KV cache (", options.num_blocks,
            " blocks); lower the context or KV cache size")));
  }
  cache->storage_ = static_cast<float*>(m);
  cache->free_.reserve(options.num_blocks);
  for (int64_t b = options.num_blocks - 1; b >= 0; --b) {
    cache->free_.push_back(static_cast<int32_t>(b));
  }
  return cache;
}

KvCache::~KvCache() {
  if (storage_ != nullptr) munmap(storage_, storage_bytes_);
}

absl::Status KvCache::Reserve(SequenceKv& seq, int64_t positions) {
  const int64_t needed =
      (positions + options_.block_tokens - 1) / options_.block_tokens;
  const int64_t extra = needed - static_cast<int64_t>(seq.blocks.size());
  if (extra <= 0) return absl::OkStatus();
  if (extra > free_blocks()) {
    return absl::ResourceExhaustedError(
        ToAbsl(StrCat("KV cache full: ", positions, " positions need ", extra,
                     " more blocks, ", free_blocks(), " free")));
  }
  for (int64_t k = 0; k < extra; ++k) seq.blocks.push_back(TakeBlock());
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
