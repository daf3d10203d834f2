#pragma once

// The engine's KV block allocator, with reuse of blocks between sequences
// that share a token prefix (a system prompt, the earlier turns of a chat).
//
// Every block a sequence fills completely is published under a chained hash
// of its tokens: the hash of block i covers the tokens of blocks 0..i, so a
// published block stands for one exact prefix. A new sequence is admitted
// with the longest run of published blocks that matches its prompt (each
// match is also checked token by token, so a hash collision cannot hand out
// wrong keys and values), and only the rest of the prompt is computed. At
// most (prompt length - 1) / block_tokens blocks are reused, so at least one
// prompt token is always computed (its logits start the generation) and a
// sequence only ever writes into blocks of its own: shared blocks are full
// and read-only, no copy-on-write is needed.
//
// Blocks are reference-counted. When the last sequence holding a published
// block ends, the block stays cached, unreferenced, in least-recently-used
// order (a sequence's tail blocks before its head, since a later prompt is
// more likely to share the head); new blocks come from the free pool first
// and then by evicting the least recently used cached block. Unpublished
// blocks (partly filled, or a duplicate of a block published by another
// sequence that computed the same prefix at the same time) go straight back
// to the pool.
//
// With `enabled` false nothing is published or matched: a plain allocator.
//
// No library fits: the blocks, their counts and their order are the engine's
// own paged KV cache; a general LRU map would duplicate that bookkeeping.
//
// Thread-safety: not thread-safe; owned and used by the engine's step thread.

#include <cstdint>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backend/llm/kv_cache.h"

namespace inferd::llm {

// How far one sequence's blocks are published: its first `blocks` blocks,
// whose chained hash is `hash`. Kept beside the sequence's SequenceKv.
struct PrefixChain {
  int64_t blocks = 0;
  uint64_t hash = 0;
};

class PrefixCache {
 public:
  // `cache` is not owned and must outlive the PrefixCache; all of its
  // blocks must be free and are allocated through this object from now on.
  PrefixCache(KvCache* cache, bool enabled);
  PrefixCache(const PrefixCache&) = delete;
  PrefixCache& operator=(const PrefixCache&) = delete;

  bool enabled() const { return enabled_; }
  // Blocks a new sequence can get: free plus cached and unreferenced.
  int64_t available_blocks() const {
    return cache_->free_blocks() + cached_unreferenced_;
  }
  // Blocks held by at least one sequence.
  int64_t referenced_blocks() const {
    return cache_->options().num_blocks - available_blocks();
  }
  // Published blocks no sequence holds (kept for reuse, evictable).
  int64_t cached_blocks() const { return cached_unreferenced_; }

  // Starts sequence `kv` (no blocks yet): takes the longest published prefix
  // of `prompt` that leaves at least one token to compute, then blocks from
  // the pool up to `positions` positions. Returns the number of prompt
  // tokens whose keys and values are already there (kv.length).
  // ResourceExhausted, and no change, when the pool cannot supply the rest.
  absl::StatusOr<int64_t> Admit(SequenceKv& kv, PrefixChain& chain,
                                absl::Span<const int32_t> prompt,
                                int64_t positions);
  // Grows `kv` to hold `positions` positions, evicting cached blocks when
  // the pool is empty. ResourceExhausted, and no change, when short.
  absl::Status Reserve(SequenceKv& kv, int64_t positions);
  // Publishes the blocks of `kv` that are full (kv.length) and not yet
  // published; `tokens` are the sequence's tokens (at least kv.length).
  void Publish(const SequenceKv& kv, PrefixChain& chain,
               absl::Span<const int32_t> tokens);
  // Drops the sequence's references; `kv` and `chain` are reset.
  void Release(SequenceKv& kv, PrefixChain& chain);

 private:
  static constexpr int32_t kNone = -1;
  struct Block {
    int32_t refs = 0;
    bool published = false;
    uint64_t hash = 0;    // chained hash of the prefix ending here
    uint64_t parent = 0;  // chained hash of the prefix before it
    int32_t prev = kNone, next = kNone;  // LRU links while unreferenced
  };

  uint64_t ChainHash(uint64_t parent, absl::Span<const int32_t> tokens) const;
  // The published block for `tokens` after prefix `parent`, or kNone.
  int32_t Find(uint64_t parent, uint64_t hash,
               absl::Span<const int32_t> tokens) const;
  // A block for a sequence (refs = 1): free, else the least recently used
  // cached one. Requires available_blocks() > 0.
  int32_t Take();
  void Retain(int32_t block);
  void LruRemove(int32_t block);
  void LruPushBack(int32_t block);
  void Unpublish(int32_t block);

  KvCache* cache_;
  const bool enabled_;
  const int64_t block_tokens_;
  std::vector<Block> blocks_;
  std::vector<int32_t> tokens_;  // block_tokens per block, when published
  absl::flat_hash_map<uint64_t, int32_t> published_;  // hash -> block
  int32_t lru_head_ = kNone, lru_tail_ = kNone;       // head: evicted first
  int64_t cached_unreferenced_ = 0;
};

}  // namespace inferd::llm
