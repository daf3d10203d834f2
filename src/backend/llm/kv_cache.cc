#include "backend/llm/kv_cache.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "backend/llm/kv_kernels.h"
#include "common/strings.h"

namespace inferd::llm {

absl::StatusOr<std::unique_ptr<KvCache>> KvCache::Create(Options options) {
  if (options.n_layers <= 0 || options.kv_dim <= 0 ||
      options.block_tokens <= 0 || options.num_blocks <= 0) {
    return absl::InvalidArgumentError("KV cache dimensions must be positive");
  }
  if (options.head_dim == 0) options.head_dim = options.kv_dim;
  if (options.head_dim < 0 || options.kv_dim % options.head_dim != 0) {
    return absl::InvalidArgumentError("KV cache head_dim must divide kv_dim");
  }
  if (options.type != GgmlType::kF16 && options.type != GgmlType::kF32 &&
      options.type != GgmlType::kQ8_0) {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("KV cache type ", llm::TypeName(options.type),
                      " is not one of f16, f32, q8_0")));
  }
  if (options.type == GgmlType::kQ8_0 && options.head_dim % kQK8_0 != 0) {
    return absl::InvalidArgumentError(ToAbsl(StrCat(
        "kv_cache_type q8_0 needs a head dimension that is a multiple of 32; "
        "this model's is ",
        options.head_dim, " (use f16 or f32)")));
  }
  std::unique_ptr<KvCache> cache(new KvCache(options));
  cache->row_bytes_ = RowBytes(options.type, options.kv_dim);
  cache->block_bytes_ =
      options.n_layers * 2 * options.block_tokens * cache->row_bytes_;
  cache->storage_bytes_ =
      static_cast<size_t>(cache->block_bytes_) * options.num_blocks;
  void* m = mmap(nullptr, cache->storage_bytes_, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (m == MAP_FAILED) {
    return absl::ResourceExhaustedError(ToAbsl(
        StrCat("cannot reserve ", cache->storage_bytes_ >> 20,
               " MiB of address space for the KV cache (", options.num_blocks,
               " blocks); lower the context or KV cache size")));
  }
  cache->storage_ = static_cast<uint8_t*>(m);
  cache->populated_.assign(options.num_blocks, false);
  cache->free_.reserve(options.num_blocks);
  for (int64_t b = options.num_blocks - 1; b >= 0; --b) {
    cache->free_.push_back(static_cast<int32_t>(b));
  }
  return cache;
}

void KvCache::Populate(int32_t block) {
  populated_[block] = true;
#ifdef MADV_POPULATE_WRITE
  const auto page = static_cast<uintptr_t>(sysconf(_SC_PAGESIZE));
  const auto begin =
      reinterpret_cast<uintptr_t>(storage_ + block * block_bytes_);
  const uintptr_t first = begin / page * page;
  const uintptr_t end = (begin + block_bytes_ + page - 1) / page * page;
  // Errors (EINVAL before Linux 5.14, ENOMEM) leave the pages to be faulted
  // in on first write, as without this call.
  (void)madvise(reinterpret_cast<void*>(first), end - first,
                MADV_POPULATE_WRITE);
#endif
}

KvCache::~KvCache() {
  if (storage_ != nullptr) munmap(storage_, storage_bytes_);
}

int64_t KvCache::BytesPerToken(GgmlType type, int64_t n_layers,
                               int64_t kv_dim) {
  return 2 * n_layers * RowBytes(type, kv_dim);
}

absl::StatusOr<GgmlType> KvCache::ParseType(std::string_view name) {
  for (GgmlType type : {GgmlType::kF16, GgmlType::kF32, GgmlType::kQ8_0}) {
    if (name == TypeName(type)) return type;
  }
  return absl::InvalidArgumentError("must be f16, f32 or q8_0");
}

const char* KvCache::TypeName(GgmlType type) {
  switch (type) {
    case GgmlType::kF16:
      return "f16";
    case GgmlType::kF32:
      return "f32";
    case GgmlType::kQ8_0:
      return "q8_0";
    default:
      return "unsupported";
  }
}

void KvCache::StoreKey(const SequenceKv& seq, int64_t layer, int64_t position,
                       const float* k) {
  KvStore(options_.type, k, options_.kv_dim, Slot(seq, layer, position, 0));
}

void KvCache::StoreValue(const SequenceKv& seq, int64_t layer, int64_t position,
                         const float* v) {
  KvStore(options_.type, v, options_.kv_dim, Slot(seq, layer, position, 1));
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
