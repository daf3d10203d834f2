#include "text/grammar_matcher.h"

#include <algorithm>
#include <utility>

namespace inferd::text {

using Kind = Grammar::Kind;

GrammarMatcher::GrammarMatcher(std::shared_ptr<const Grammar> grammar)
    : grammar_(std::move(grammar)) {
  start_ = BuildStart();
}

GrammarMatcher::StateId GrammarMatcher::BuildStart() {
  State start;
  ++generation_;
  size_t steps = 0;
  for (int32_t alt : grammar_->alternatives(grammar_->root())) {
    if (!Expand(NodeId(alt, -1), &start.stacks, &start.accepting, &steps)) return kDead;
  }
  return Intern(std::move(start));
}

int32_t GrammarMatcher::NodeId(int32_t pos, int32_t parent) {
  const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(pos)) << 32) |
                       static_cast<uint32_t>(parent);
  auto [it, added] = node_ids_.try_emplace(key, static_cast<int32_t>(nodes_.size()));
  if (added) {
    nodes_.push_back({pos, parent});
    seen_mark_.push_back(0);
  }
  return it->second;
}

bool GrammarMatcher::Expand(int32_t node, std::vector<int32_t>* out, bool* accepting,
                            size_t* steps) {
  // Callers bump generation_ once per state they build, so a node reached
  // twice (through two alternatives, or an x* loop over a nullable x) is
  // expanded once.
  const auto& elements = grammar_->elements();
  todo_.clear();
  todo_.push_back(node);
  while (!todo_.empty()) {
    const int32_t n = todo_.back();
    todo_.pop_back();
    if (n < 0) {
      *accepting = true;
      continue;
    }
    if (seen_mark_[n] == generation_) continue;
    seen_mark_[n] = generation_;
    if (++*steps > kMaxExpandSteps || nodes_.size() > kMaxNodes) {
      too_complex_ = true;
      return false;
    }
    const Node at = nodes_[n];
    const Grammar::Element& e = elements[at.pos];
    switch (e.kind) {
      case Kind::kChars:
        if (out->size() >= kMaxStacks) {
          too_complex_ = true;
          return false;
        }
        out->push_back(n);
        break;
      case Kind::kEnd:
        todo_.push_back(at.parent);
        break;
      case Kind::kRule: {
        // A call in tail position returns straight to our caller.
        const int32_t cont = elements[at.pos + 1].kind == Kind::kEnd
                                 ? at.parent
                                 : NodeId(at.pos + 1, at.parent);
        for (int32_t alt : grammar_->alternatives(e.value)) {
          todo_.push_back(NodeId(alt, cont));
        }
        break;
      }
    }
  }
  return true;
}

GrammarMatcher::StateId GrammarMatcher::Intern(State state) {
  std::sort(state.stacks.begin(), state.stacks.end());
  state.stacks.erase(std::unique(state.stacks.begin(), state.stacks.end()), state.stacks.end());
  if (state.stacks.empty() && !state.accepting) return kDead;
  std::vector<int32_t> key = state.stacks;
  key.push_back(state.accepting ? 1 : 0);
  key.push_back(static_cast<int32_t>(state.partial));
  key.push_back(state.partial_left | (state.partial_len << 8));
  auto [it, added] = state_ids_.try_emplace(std::move(key), static_cast<StateId>(states_.size()));
  if (added) states_.push_back(std::move(state));
  return it->second;
}

int32_t* GrammarMatcher::TransitionSlot(StateId state, uint8_t byte) {
  auto& next = states_[state].next;
  if (next == nullptr) {
    next = std::make_unique<std::array<int32_t, 256>>();
    next->fill(kUnknown);
  }
  return &(*next)[byte];
}

GrammarMatcher::StateId GrammarMatcher::AdvanceBytes(StateId state, std::string_view bytes) {
  for (char b : bytes) {
    if (state == kDead) return kDead;
    state = Advance(state, static_cast<uint8_t>(b));
  }
  return state;
}

GrammarMatcher::StateId GrammarMatcher::ComputeAdvance(StateId id, uint8_t byte) {
  if (too_complex_) return kDead;
  // The smallest code point of each encoded length: a shorter form would be
  // an overlong encoding, which no UTF-8 decoder accepts.
  static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  uint32_t partial = states_[id].partial;
  uint8_t left = states_[id].partial_left;
  uint8_t len = states_[id].partial_len;
  if (left == 0) {
    if (byte < 0x80) return AdvanceChar(states_[id], byte);
    if ((byte & 0xe0) == 0xc0) {
      partial = byte & 0x1f;
      left = 1;
    } else if ((byte & 0xf0) == 0xe0) {
      partial = byte & 0x0f;
      left = 2;
    } else if ((byte & 0xf8) == 0xf0) {
      partial = byte & 0x07;
      left = 3;
    } else {
      return kDead;  // a continuation byte, or not UTF-8
    }
    len = left + 1;
  } else {
    if ((byte & 0xc0) != 0x80) return kDead;
    partial = (partial << 6) | (byte & 0x3f);
    if (--left == 0) {
      if (partial < kMin[len] || partial > 0x10FFFF || (partial >= 0xD800 && partial <= 0xDFFF)) {
        return kDead;
      }
      return AdvanceChar(states_[id], partial);
    }
  }
  // Inside a character: keep the stacks whose set holds some character
  // that starts with these bytes (and is encoded in its shortest form).
  const uint32_t lo = std::max(partial << (6 * left), kMin[len]);
  const uint32_t hi = std::min((partial << (6 * left)) | ((1u << (6 * left)) - 1), uint32_t{0x10FFFF});
  if (lo > hi) return kDead;
  State next;
  next.partial = partial;
  next.partial_left = left;
  next.partial_len = len;
  for (int32_t n : states_[id].stacks) {
    const Grammar::Element& e = grammar_->elements()[nodes_[n].pos];
    if (grammar_->charset(e.value).IntersectsRange(lo, hi)) next.stacks.push_back(n);
  }
  if (next.stacks.empty()) return kDead;
  return Intern(std::move(next));
}

GrammarMatcher::StateId GrammarMatcher::AdvanceChar(const State& from, uint32_t c) {
  State next;
  ++generation_;
  size_t steps = 0;
  // `from` may move when NodeId grows nodes_ (not states_), so it stays valid.
  for (int32_t n : from.stacks) {
    const Node at = nodes_[n];
    const Grammar::Element& e = grammar_->elements()[at.pos];
    if (grammar_->charset(e.value).Contains(c) &&
        !Expand(NodeId(at.pos + 1, at.parent), &next.stacks, &next.accepting, &steps)) {
      return kDead;
    }
  }
  return Intern(std::move(next));
}

GrammarMatcher::StateId GrammarMatcher::Compact(StateId keep) {
  // Each kept stack as its positions, bottom first.
  State old = std::move(states_[keep]);
  std::vector<std::vector<int32_t>> stacks;
  for (int32_t n : old.stacks) {
    std::vector<int32_t> positions;
    for (int32_t at = n; at >= 0; at = nodes_[at].parent) positions.push_back(nodes_[at].pos);
    std::reverse(positions.begin(), positions.end());
    stacks.push_back(std::move(positions));
  }
  nodes_.clear();
  node_ids_.clear();
  seen_mark_.clear();
  states_.clear();
  state_ids_.clear();
  generation_ = 0;
  State kept;
  kept.accepting = old.accepting;
  kept.partial = old.partial;
  kept.partial_left = old.partial_left;
  kept.partial_len = old.partial_len;
  for (const std::vector<int32_t>& positions : stacks) {
    int32_t parent = -1;
    for (int32_t pos : positions) parent = NodeId(pos, parent);
    kept.stacks.push_back(parent);
  }
  const StateId id = Intern(std::move(kept));
  start_ = BuildStart();
  return id;
}

}  // namespace inferd::text
