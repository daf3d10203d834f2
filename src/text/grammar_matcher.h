#pragma once

// Runs a compiled Grammar over UTF-8 bytes, one byte at a time, as a
// pushdown automaton whose states are interned and whose transitions are
// memoized: the second time a state sees a byte costs one array lookup.
//
// A state is the set of parse stacks that can still continue (each stack's
// top is a character set to match next; below it, where to resume in the
// rules that called it) plus a possibly incomplete UTF-8 character. Stacks
// are hash-consed linked lists, so equal stacks are equal ids and a state's
// key is a short list of ints; a call in tail position pushes nothing, so
// `x*` loops return to the same state instead of growing the stack.
//
// States are ids (StateId); kDead means no continuation. Memory grows with
// the states seen; Compact() forgets everything but the one state kept.
//
// An ambiguous grammar can need very many stacks at once: nested counted
// repetitions such as ((x{0,1000}){0,1000}){0,1000} reach millions before
// the first character. Building one state visits at most kMaxExpandSteps
// nodes and keeps at most kMaxStacks stacks, and all states together hold
// at most kMaxNodes nodes; past any of these the matcher is too_complex():
// the state being built, and every one after, is kDead.
//
// Thread-safety: not thread-safe (the memo tables grow on every call); one
// matcher per sequence. The Grammar is shared and immutable.

#include <array>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "text/grammar.h"

namespace inferd::text {

class GrammarMatcher {
 public:
  using StateId = int32_t;
  static constexpr StateId kDead = -1;

  static constexpr size_t kMaxStacks = 4096;
  static constexpr size_t kMaxExpandSteps = 1 << 16;
  static constexpr size_t kMaxNodes = 1 << 19;

  explicit GrammarMatcher(std::shared_ptr<const Grammar> grammar);

  // A limit above was passed; the matcher refuses everything from then on.
  bool too_complex() const { return too_complex_; }
  // Why, for error messages.
  static constexpr char kTooComplexReason[] =
      "more parses at once than the matcher follows (4,096 stacks or 65,536 expansion steps "
      "per character; nested repetitions such as ((x{0,100}){0,100}) multiply them)";

  // The state before any input.
  StateId start() const { return start_; }
  // The state after `byte`, or kDead when the grammar cannot read it.
  StateId Advance(StateId state, uint8_t byte) {
    int32_t* slot = TransitionSlot(state, byte);
    if (*slot == kUnknown) *slot = ComputeAdvance(state, byte);
    return *slot;
  }
  // The state after all of `bytes` (kDead as soon as one is refused).
  StateId AdvanceBytes(StateId state, std::string_view bytes);

  // True when the input so far is a complete sentence of the grammar.
  bool IsAccepting(StateId state) const {
    return states_[state].accepting && states_[state].partial_left == 0;
  }
  // True when more input may follow (some stack still expects a character).
  bool CanContinue(StateId state) const { return !states_[state].stacks.empty(); }

  // States and stack nodes interned so far (memory grows with them).
  size_t state_count() const { return states_.size(); }
  size_t node_count() const { return nodes_.size(); }
  // Drops every state but `keep`; returns `keep`'s id afterwards. Ids held
  // by the caller other than the returned one become invalid.
  StateId Compact(StateId keep);

  const Grammar& grammar() const { return *grammar_; }

 private:
  static constexpr int32_t kUnknown = -2;
  struct Node {
    int32_t pos;     // element index; the top of the stack
    int32_t parent;  // node below, -1 for none
  };
  struct State {
    std::vector<int32_t> stacks;  // node ids whose element is kChars; sorted
    bool accepting = false;       // some stack has finished
    uint32_t partial = 0;         // bits of an incomplete UTF-8 character
    uint8_t partial_left = 0;     // its continuation bytes still to come
    uint8_t partial_len = 0;      // its length in bytes (overlong forms are refused)
    std::unique_ptr<std::array<int32_t, 256>> next;  // memoized Advance
  };

  int32_t NodeId(int32_t pos, int32_t parent);
  // Adds the stacks reachable from `node` without reading a character to
  // `out` (kChars tops only); sets *accepting when one empties. `steps`
  // counts the nodes visited for the state being built; false (and
  // too_complex_ set) when a limit is passed.
  bool Expand(int32_t node, std::vector<int32_t>* out, bool* accepting, size_t* steps);
  // The start state: the root's alternatives expanded (kDead when too complex).
  StateId BuildStart();
  StateId Intern(State state);
  int32_t* TransitionSlot(StateId state, uint8_t byte);
  StateId ComputeAdvance(StateId state, uint8_t byte);
  // The state reached from the stacks of `from` on code point `c`.
  StateId AdvanceChar(const State& from, uint32_t c);

  std::shared_ptr<const Grammar> grammar_;
  std::vector<Node> nodes_;
  absl::flat_hash_map<uint64_t, int32_t> node_ids_;
  std::vector<State> states_;
  absl::flat_hash_map<std::vector<int32_t>, StateId> state_ids_;  // key: see Intern
  std::vector<uint32_t> seen_mark_;  // per node: last Expand generation
  uint32_t generation_ = 0;
  std::vector<int32_t> todo_;  // Expand's work list
  StateId start_ = kDead;
  bool too_complex_ = false;
};

static_assert(GrammarMatcher::kMaxStacks == 4096 && GrammarMatcher::kMaxExpandSteps == 65536,
              "kTooComplexReason states these limits");

}  // namespace inferd::text
