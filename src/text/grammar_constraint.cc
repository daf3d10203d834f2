#include "text/grammar_constraint.h"

#include <utility>

namespace inferd::text {

GrammarConstraint::GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                                     std::shared_ptr<const TokenTrie> trie)
    : trie_(std::move(trie)), matcher_(std::move(grammar)), state_(matcher_.start()) {
  depth_states_.resize(trie_->max_depth() + 1);
}

const std::vector<uint64_t>& GrammarConstraint::AllowedTokens() {
  // Too complex: nothing is allowed any more, whatever was cached before.
  // kDead is never a state's key otherwise; its mask stays all zero.
  const GrammarMatcher::StateId key = too_complex() ? GrammarMatcher::kDead : state_;
  if (auto it = masks_.find(key); it != masks_.end()) {
    ++mask_hits_;
    return it->second;
  }
  ++masks_computed_;
  if (key == GrammarMatcher::kDead) {
    return masks_.emplace(key, std::vector<uint64_t>((trie_->vocab_size() + 63) / 64, 0))
        .first->second;
  }
  if (masks_.size() * ((trie_->vocab_size() + 63) / 64) * 8 > kMaxMaskBytes) masks_.clear();
  std::vector<uint64_t> mask((trie_->vocab_size() + 63) / 64, 0);
  const auto& nodes = trie_->nodes();
  const auto& ids = trie_->token_ids();
  depth_states_[0] = state_;
  const int32_t n = static_cast<int32_t>(nodes.size());
  for (int32_t i = 0; i < n;) {
    const TokenTrie::Node& node = nodes[i];
    const GrammarMatcher::StateId next = matcher_.Advance(depth_states_[node.depth - 1], node.byte);
    if (next == GrammarMatcher::kDead) {
      i = node.subtree_end;
      continue;
    }
    depth_states_[node.depth] = next;
    for (int32_t t = node.tokens_begin; t < node.tokens_end; ++t) {
      mask[ids[t] >> 6] |= uint64_t{1} << (ids[t] & 63);
    }
    ++i;
  }
  return masks_.emplace(state_, std::move(mask)).first->second;
}

bool GrammarConstraint::IsAllowed(int32_t id) {
  if (too_complex()) return false;
  if (id < 0 || id >= trie_->vocab_size() || trie_->bytes(id).empty()) return false;
  return matcher_.AdvanceBytes(state_, trie_->bytes(id)) != GrammarMatcher::kDead;
}

bool GrammarConstraint::Accept(int32_t id) {
  if (too_complex()) return false;
  if (id < 0 || id >= trie_->vocab_size() || trie_->bytes(id).empty()) return false;
  const GrammarMatcher::StateId next = matcher_.AdvanceBytes(state_, trie_->bytes(id));
  if (next == GrammarMatcher::kDead) return false;
  state_ = next;
  if (matcher_.state_count() > kMaxStates || matcher_.node_count() > kCompactNodes) {
    masks_.clear();
    state_ = matcher_.Compact(state_);
  }
  return true;
}

}  // namespace inferd::text
