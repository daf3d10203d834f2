#pragma once

// Constrained decoding for one sequence: which tokens of the vocabulary may
// come next under a Grammar, and the grammar's state as tokens are accepted.
//
// AllowedTokens() walks the vocabulary's TokenTrie against the current
// grammar state (a subtree is skipped as soon as its prefix is refused) and
// caches the mask per state, so a state seen again (inside a JSON string,
// between array items) costs a lookup. Tokens with no bytes (end of
// sequence, control tokens) are never in the mask: the caller allows the end
// of sequence when accepting() is true.
//
// Thread-safety: not thread-safe; one per sequence. The Grammar and the
// TokenTrie are shared and immutable.

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "text/grammar.h"
#include "text/grammar_matcher.h"
#include "text/token_trie.h"

namespace inferd::text {

class GrammarConstraint {
 public:
  GrammarConstraint(std::shared_ptr<const Grammar> grammar,
                    std::shared_ptr<const TokenTrie> trie);

  // Bit `id % 64` of word `id / 64` is set when token `id` may come next.
  // Valid until the next call to Accept().
  const std::vector<uint64_t>& AllowedTokens();
  // True when token `id` may come next (without building the whole mask).
  bool IsAllowed(int32_t id);
  // Moves past token `id`; false (state unchanged) when it is not allowed.
  bool Accept(int32_t id);

  // The text so far is a complete sentence of the grammar.
  bool accepting() const {
    return !too_complex() && matcher_.IsAccepting(state_);
  }
  // Some token may still follow.
  bool can_continue() const {
    return !too_complex() && matcher_.CanContinue(state_);
  }
  // The grammar needed more parse stacks than GrammarMatcher allows: no
  // token is allowed any more, and the caller should end the output with
  // an error rather than as complete. (The state is kDead only then: a
  // compiled grammar's start always has a stack or accepts.)
  bool too_complex() const { return matcher_.too_complex(); }

  // Mask cache statistics, for benchmarks.
  int64_t masks_computed() const { return masks_computed_; }
  int64_t mask_hits() const { return mask_hits_; }

 private:
  // Memory limits per sequence (a batch may hold 64 constrained sequences):
  // past these the caches start over. A state costs ~1 KiB of transitions,
  // a mask vocab/8 bytes (19 KiB for a 150k vocabulary).
  static constexpr size_t kMaxStates = 16384;
  static constexpr size_t kMaxMaskBytes = 8 << 20;
  // Nodes kept before the matcher starts over (it refuses past
  // GrammarMatcher::kMaxNodes).
  static constexpr size_t kCompactNodes = GrammarMatcher::kMaxNodes / 2;

  std::shared_ptr<const TokenTrie> trie_;
  GrammarMatcher matcher_;
  GrammarMatcher::StateId state_;
  absl::flat_hash_map<GrammarMatcher::StateId, std::vector<uint64_t>> masks_;
  std::vector<GrammarMatcher::StateId> depth_states_;
  int64_t masks_computed_ = 0;
  int64_t mask_hits_ = 0;
};

}  // namespace inferd::text
