#pragma once

// Block-allocated key/value cache shared by all sequences of one model.
//
// The cache is a pool of fixed-size blocks (block_tokens positions x all
// layers x keys and values); each sequence holds a table of the blocks it
// uses and takes a new one only when it crosses a block boundary, so memory
// follows the tokens actually cached instead of a maximum context per
// sequence. The pool is reserved as virtual memory (an anonymous mapping
// without swap reservation); pages are touched only when a block is first
// written. Values are f32.
//
// Thread-safety: not thread-safe; owned and used by the engine's step thread.
// During a forward pass, threads read and write disjoint positions.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

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
  };
  // ResourceExhausted when the address space for the pool cannot be mapped.
  static absl::StatusOr<std::unique_ptr<KvCache>> Create(Options options);
  ~KvCache();
  KvCache(const KvCache&) = delete;
  KvCache& operator=(const KvCache&) = delete;

  const Options& options() const { return options_; }
  int64_t free_blocks() const { return static_cast<int64_t>(free_.size()); }
  int64_t block_bytes() const { return block_floats_ * sizeof(float); }

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
    return block;
  }
  void ReturnBlock(int32_t block) { free_.push_back(block); }

  // Key/value vector (kv_dim floats) of `layer` at `position` of `seq`.
  float* Key(const SequenceKv& seq, int64_t layer, int64_t position) {
    return Slot(seq, layer, position, 0);
  }
  float* Value(const SequenceKv& seq, int64_t layer, int64_t position) {
    return Slot(seq, layer, position, 1);
  }

 private:
  float* Slot(const SequenceKv& seq, int64_t layer, int64_t position,
              int which) {
    const int64_t block = seq.blocks[position / options_.block_tokens];
    const int64_t in_block = position % options_.block_tokens;
    return storage_ + block * block_floats_ +
           ((layer * 2 + which) * options_.block_tokens + in_block) *
               options_.kv_dim;
  }

  explicit KvCache(Options options) : options_(options) {}

  Options options_;
  int64_t block_floats_ = 0;
  float* storage_ = nullptr;  // mapped, storage_bytes_ long
  size_t storage_bytes_ = 0;
  std::vector<int32_t> free_;
};

}  // namespace inferd::llm
