#pragma once

// Block-allocated key/value cache shared by all sequences of one model.
//
// The cache is a pool of fixed-size blocks (block_tokens positions x all
// layers x keys and values); each sequence holds a table of the blocks it
// uses and takes a new one only when it crosses a block boundary, so memory
// follows the tokens actually cached instead of a maximum context per
// sequence. The pool is reserved as virtual memory (an anonymous mapping
// without swap reservation); a block's pages are populated in one system
// call when the block is first taken, rather than by a page fault per 4 KiB
// as positions are written (about 10 per decoded token, at the step thread's
// expense, in a model of 20 layers). Values are stored as F16 by default, or
// F32, or Q8_0 (blocks of 32 int8 with an f16 scale, GGUF's layout):
// Options::type. Writers hand in f32 rows (StoreKey/StoreValue convert them);
// attention reads the stored rows in place with the kernels of kv_kernels.h.
//
// Thread-safety: not thread-safe; owned and used by the engine's step thread.
// During a forward pass, threads read and write disjoint positions.

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "backend/llm/ggml_type.h"

namespace inferd::llm {

// One sequence's view of the cache: its blocks in position order.
struct SequenceKv {
  std::vector<int32_t> blocks;
  int64_t length = 0;  // positions written and valid
};

class KvCache {
 public:
  struct Options {
    int64_t n_layers = 0;
    int64_t kv_dim = 0;         // n_kv_heads * head_dim
    int64_t block_tokens = 16;  // positions per block
    int64_t num_blocks = 0;     // pool size
    // Element type: kF16, kF32 or kQ8_0.
    GgmlType type = GgmlType::kF16;
    // Values read together (one attention head's); 0: kv_dim. Q8_0 blocks
    // must not straddle heads, so it needs a multiple of 32.
    int64_t head_dim = 0;
  };
  // InvalidArgument for a type the cache cannot hold or a head dimension
  // Q8_0 cannot split; ResourceExhausted when the address space for the
  // pool cannot be mapped.
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(Options options);

  // Bytes one position takes in every layer (keys and values).
  static int64_t BytesPerToken(GgmlType type, int64_t n_layers, int64_t kv_dim);
  // "f16", "f32", "q8_0" (the kv_cache_type parameter's values) -> type;
  // InvalidArgument listing the values otherwise.
  static absl::StatusOr<GgmlType> ParseType(std::string_view name);
  static const char* TypeName(GgmlType type);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  const Options& options() const { return options_; }
  int64_t free_blocks() const { return static_cast<int64_t>(free_.size()); }
  int64_t block_bytes() const { return block_bytes_; }
  // Bytes of one position's keys (or values) of one layer: the stride
  // between consecutive positions of a block.
  int64_t row_bytes() const { return row_bytes_; }

  // Makes `seq` able to hold `positions` positions, taking blocks from the
  // pool. ResourceExhausted (and no change) when the pool is short.
  absl::Status Reserve(SequenceKv& seq, int64_t positions);
  // Returns all of `seq`'s blocks to the pool.
  void Release(SequenceKv& seq);

  // Single blocks, for allocators that share blocks between sequences
  // (PrefixCache): TakeBlock() requires free_blocks() > 0; a block given
  // back must have been taken and not given back since.
  int32_t TakeBlock() {
    const int32_t block = free_.back();
    free_.pop_back();
    if (!populated_[block]) Populate(block);
    return block;
  }
  void ReturnBlock(int32_t block) { free_.push_back(block); }

  // Key/value row (kv_dim values of options().type) of `layer` at
  // `position` of `seq`; positions of one block follow each other
  // row_bytes() apart.
  const uint8_t* Key(const SequenceKv& seq, int64_t layer,
                     int64_t position) const {
    return Slot(seq, layer, position, 0);
  }
  const uint8_t* Value(const SequenceKv& seq, int64_t layer,
                       int64_t position) const {
    return Slot(seq, layer, position, 1);
  }
  // Writes f32 keys/values (kv_dim each) in the cache's type.
  void StoreKey(const SequenceKv& seq, int64_t layer, int64_t position,
                const float* k);
  void StoreValue(const SequenceKv& seq, int64_t layer, int64_t position,
                  const float* v);

 private:
  uint8_t* Slot(const SequenceKv& seq, int64_t layer, int64_t position,
                int which) const {
    const int64_t block = seq.blocks[position / options_.block_tokens];
    const int64_t in_block = position % options_.block_tokens;
    return storage_ + block * block_bytes_ +
           ((layer * 2 + which) * options_.block_tokens + in_block) *
               row_bytes_;
  }

  explicit KvCache(Options options) : options_(options) {}

  // Backs `block`'s pages with memory now (best effort: where the kernel
  // cannot, they are faulted in as they are written).
  void Populate(int32_t block);

  Options options_;
  int64_t row_bytes_ = 0, block_bytes_ = 0;
  uint8_t* storage_ = nullptr;  // mapped, storage_bytes_ long
  size_t storage_bytes_ = 0;
  std::vector<int32_t> free_;
  std::vector<bool> populated_;  // per block: Populate() has run
};

}  // namespace inferd::llm
