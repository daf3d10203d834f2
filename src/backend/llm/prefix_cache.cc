#include "backend/llm/prefix_cache.h"

#include <algorithm>

#include "common/strings.h"
#include "xxhash.h"

namespace inferd::llm {

PrefixCache::PrefixCache(KvCache* cache, bool enabled)
    : cache_(cache),
      enabled_(enabled),
      block_tokens_(cache->options().block_tokens),
      blocks_(cache->options().num_blocks) {
  if (enabled_) tokens_.resize(cache->options().num_blocks * block_tokens_);
}

uint64_t PrefixCache::ChainHash(uint64_t parent,
                                absl::Span<const int32_t> tokens) const {
  return XXH3_64bits_withSeed(tokens.data(), tokens.size() * sizeof(int32_t),
                              parent);
}

int32_t PrefixCache::Find(uint64_t parent, uint64_t hash,
                          absl::Span<const int32_t> tokens) const {
  auto it = published_.find(hash);
  if (it == published_.end()) return kNone;
  const int32_t block = it->second;
  if (blocks_[block].parent != parent) return kNone;
  const int32_t* own = tokens_.data() + block * block_tokens_;
  if (!std::equal(tokens.begin(), tokens.end(), own)) return kNone;
  return block;
}

absl::StatusOr<int64_t> PrefixCache::Admit(SequenceKv& kv, PrefixChain& chain,
                                           absl::Span<const int32_t> prompt,
                                           int64_t positions) {
  kv.blocks.clear();
  chain = PrefixChain{};
  // Longest published prefix, leaving the last prompt token to compute.
  int64_t unreferenced = 0;  // matched blocks that would leave the LRU
  const int64_t reusable =
      enabled_ ? (static_cast<int64_t>(prompt.size()) - 1) / block_tokens_ : 0;
  uint64_t hash = 0;
  for (int64_t b = 0; b < reusable; ++b) {
    const auto tokens = prompt.subspan(b * block_tokens_, block_tokens_);
    const uint64_t next = ChainHash(hash, tokens);
    const int32_t block = Find(hash, next, tokens);
    if (block == kNone) break;
    kv.blocks.push_back(block);
    unreferenced += blocks_[block].refs == 0;
    hash = next;
  }
  const int64_t matched = static_cast<int64_t>(kv.blocks.size());
  const int64_t needed = std::max<int64_t>(
      0, (positions + block_tokens_ - 1) / block_tokens_ - matched);
  if (needed > available_blocks() - unreferenced) {
    kv.blocks.clear();
    return absl::ResourceExhaustedError(ToAbsl(StrCat(
        "KV cache full: ", positions, " positions need ", needed,
        " more blocks, ", available_blocks() - unreferenced, " available")));
  }
  for (int32_t block : kv.blocks) Retain(block);
  for (int64_t k = 0; k < needed; ++k) kv.blocks.push_back(Take());
  kv.length = matched * block_tokens_;
  chain.blocks = matched;
  chain.hash = hash;
  return kv.length;
}

absl::Status PrefixCache::Reserve(SequenceKv& kv, int64_t positions) {
  const int64_t needed = (positions + block_tokens_ - 1) / block_tokens_;
  const int64_t extra = needed - static_cast<int64_t>(kv.blocks.size());
  if (extra <= 0) return absl::OkStatus();
  if (extra > available_blocks()) {
    return absl::ResourceExhaustedError(
        ToAbsl(StrCat("KV cache full: ", positions, " positions need ", extra,
                      " more blocks, ", available_blocks(), " available")));
  }
  for (int64_t k = 0; k < extra; ++k) kv.blocks.push_back(Take());
  return absl::OkStatus();
}

void PrefixCache::Publish(const SequenceKv& kv, PrefixChain& chain,
                          absl::Span<const int32_t> tokens) {
  if (!enabled_) return;
  const int64_t full =
      std::min<int64_t>(kv.length, static_cast<int64_t>(tokens.size())) /
      block_tokens_;
  for (; chain.blocks < full; ++chain.blocks) {
    const auto own =
        tokens.subspan(chain.blocks * block_tokens_, block_tokens_);
    const uint64_t hash = ChainHash(chain.hash, own);
    const int32_t block = kv.blocks[chain.blocks];
    Block& info = blocks_[block];
    // A prefix already published by another sequence (or, vanishingly
    // rarely, a hash collision) keeps the first block; this one stays
    // private and returns to the pool when the sequence ends.
    if (!info.published && published_.emplace(hash, block).second) {
      info.published = true;
      info.hash = hash;
      info.parent = chain.hash;
      std::copy(own.begin(), own.end(),
                tokens_.begin() + block * block_tokens_);
    }
    chain.hash = hash;
  }
}

void PrefixCache::Release(SequenceKv& kv, PrefixChain& chain) {
  // Tail first, so that the head of the sequence is the most recently used.
  for (auto it = kv.blocks.rbegin(); it != kv.blocks.rend(); ++it) {
    Block& info = blocks_[*it];
    if (--info.refs > 0) continue;
    if (info.published) {
      LruPushBack(*it);
    } else {
      cache_->ReturnBlock(*it);
    }
  }
  kv.blocks.clear();
  kv.length = 0;
  chain = PrefixChain{};
}

int32_t PrefixCache::Take() {
  int32_t block;
  if (cache_->free_blocks() > 0) {
    block = cache_->TakeBlock();
  } else {
    block = lru_head_;
    LruRemove(block);
    Unpublish(block);
  }
  blocks_[block].refs = 1;
  return block;
}

void PrefixCache::Retain(int32_t block) {
  if (blocks_[block].refs++ == 0) LruRemove(block);
}

void PrefixCache::LruRemove(int32_t block) {
  Block& info = blocks_[block];
  (info.prev == kNone ? lru_head_ : blocks_[info.prev].next) = info.next;
  (info.next == kNone ? lru_tail_ : blocks_[info.next].prev) = info.prev;
  info.prev = info.next = kNone;
  --cached_unreferenced_;
}

void PrefixCache::LruPushBack(int32_t block) {
  Block& info = blocks_[block];
  info.prev = lru_tail_;
  info.next = kNone;
  (lru_tail_ == kNone ? lru_head_ : blocks_[lru_tail_].next) = block;
  lru_tail_ = block;
  ++cached_unreferenced_;
}

void PrefixCache::Unpublish(int32_t block) {
  Block& info = blocks_[block];
  auto it = published_.find(info.hash);
  if (it != published_.end() && it->second == block) published_.erase(it);
  info.published = false;
}

}  // namespace inferd::llm
