// CharSet and the checks Grammar::Compile() runs after parsing: every rule
// defined, no left recursion, every reachable rule able to finish.

#include "text/grammar.h"

#include <algorithm>

#include "common/strings.h"

namespace inferd::text {

bool CharSet::Contains(uint32_t c) const {
  auto it = std::upper_bound(
      ranges.begin(), ranges.end(), c,
      [](uint32_t v, const std::pair<uint32_t, uint32_t>& r) { return v < r.first; });
  const bool in = it != ranges.begin() && c <= std::prev(it)->second;
  return in != negated;
}

bool CharSet::IntersectsRange(uint32_t lo, uint32_t hi) const {
  if (!negated) {
    for (const auto& [a, b] : ranges) {
      if (a <= hi && b >= lo) return true;
    }
    return false;
  }
  // Negated: some point of [lo, hi] lies outside every range. The ranges are
  // sorted and disjoint, so walk them and look for a gap.
  uint32_t next = lo;
  for (const auto& [a, b] : ranges) {
    if (b < next) continue;
    if (a > next) return true;
    if (b >= hi) return false;
    next = b + 1;
  }
  return next <= hi;
}

absl::Status Grammar::Validate() const {
  const int32_t n = rule_count();
  if (root_ < 0 || rules_[root_].empty()) {
    return absl::InvalidArgumentError("grammar: no rule named \"root\"");
  }
  for (int32_t r = 0; r < n; ++r) {
    if (rules_[r].empty()) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat("grammar: rule \"", names_[r], "\" is used but not defined")));
    }
  }
  // Rules that can match the empty string, then rules that can finish at
  // all, both as fixpoints over the alternatives.
  auto fixpoint = [&](bool chars_count) {
    std::vector<bool> yes(n, false);
    for (bool changed = true; changed;) {
      changed = false;
      for (int32_t r = 0; r < n; ++r) {
        if (yes[r]) continue;
        for (int32_t start : rules_[r]) {
          bool all = true;
          for (int32_t p = start; elements_[p].kind != Kind::kEnd; ++p) {
            const Element& e = elements_[p];
            if (e.kind == Kind::kChars ? !chars_count : !yes[e.value]) {
              all = false;
              break;
            }
          }
          if (all) {
            yes[r] = changed = true;
            break;
          }
        }
      }
    }
    return yes;
  };
  const std::vector<bool> nullable = fixpoint(false);
  const std::vector<bool> finishes = fixpoint(true);

  // Reachable rules from root; each must be able to finish.
  std::vector<bool> reachable(n, false);
  std::vector<int32_t> todo = {root_};
  reachable[root_] = true;
  while (!todo.empty()) {
    const int32_t r = todo.back();
    todo.pop_back();
    for (int32_t start : rules_[r]) {
      for (int32_t p = start; elements_[p].kind != Kind::kEnd; ++p) {
        const Element& e = elements_[p];
        if (e.kind == Kind::kRule && !reachable[e.value]) {
          reachable[e.value] = true;
          todo.push_back(e.value);
        }
      }
    }
  }
  // Name a rule on the offending cycle (one that reaches itself through
  // rules that cannot finish), not a rule that merely uses it.
  int32_t stuck = -1;
  for (int32_t r = 0; r < n && stuck < 0; ++r) {
    if (!reachable[r] || finishes[r]) continue;
    std::vector<bool> seen(n, false);
    std::vector<int32_t> todo = {r};
    while (!todo.empty() && stuck < 0) {
      const int32_t q = todo.back();
      todo.pop_back();
      for (int32_t start : rules_[q]) {
        for (int32_t p = start; elements_[p].kind != Kind::kEnd; ++p) {
          const Element& e = elements_[p];
          if (e.kind != Kind::kRule || finishes[e.value]) continue;
          if (e.value == r) stuck = r;
          if (!seen[e.value]) {
            seen[e.value] = true;
            todo.push_back(e.value);
          }
        }
      }
    }
  }
  for (int32_t r = 0; r < n && stuck < 0; ++r) {
    if (reachable[r] && !finishes[r]) stuck = r;
  }
  if (stuck >= 0) {
    return absl::InvalidArgumentError(ToAbsl(StrCat(
        "grammar: rule \"", names_[stuck],
        "\" can never finish (it recurses without a base case)")));
  }

  // Left recursion: an edge r -> s when s can be entered from r before any
  // character is read. A cycle of such edges never consumes input; it is
  // harmless only when every call on it is in tail position (the matcher
  // pushes nothing for those, as in `("x"?)*`), so a non-tail edge inside a
  // strongly connected component is an error.
  struct Edge {
    int32_t to;
    bool tail;
  };
  std::vector<std::vector<Edge>> first(n);
  for (int32_t r = 0; r < n; ++r) {
    for (int32_t start : rules_[r]) {
      for (int32_t p = start; elements_[p].kind == Kind::kRule; ++p) {
        first[r].push_back({elements_[p].value, elements_[p + 1].kind == Kind::kEnd});
        if (!nullable[elements_[p].value]) break;
      }
    }
  }
  // Tarjan's strongly connected components, iteratively.
  std::vector<int32_t> index(n, -1), low(n, 0), component(n, -1), stack;
  std::vector<bool> on_stack(n, false);
  int32_t counter = 0, components = 0;
  for (int32_t r0 = 0; r0 < n; ++r0) {
    if (index[r0] >= 0) continue;
    std::vector<std::pair<int32_t, size_t>> path = {{r0, 0}};
    index[r0] = low[r0] = counter++;
    stack.push_back(r0);
    on_stack[r0] = true;
    while (!path.empty()) {
      const int32_t r = path.back().first;
      const size_t i = path.back().second;
      if (i < first[r].size()) {
        ++path.back().second;
        const int32_t s = first[r][i].to;
        if (index[s] < 0) {
          index[s] = low[s] = counter++;
          stack.push_back(s);
          on_stack[s] = true;
          path.push_back({s, 0});
        } else if (on_stack[s]) {
          low[r] = std::min(low[r], index[s]);
        }
        continue;
      }
      if (low[r] == index[r]) {
        int32_t s;
        do {
          s = stack.back();
          stack.pop_back();
          on_stack[s] = false;
          component[s] = components;
        } while (s != r);
        ++components;
      }
      path.pop_back();
      if (!path.empty()) low[path.back().first] = std::min(low[path.back().first], low[r]);
    }
  }
  for (int32_t r = 0; r < n; ++r) {
    for (const Edge& e : first[r]) {
      if (!e.tail && component[e.to] == component[r]) {
        return absl::InvalidArgumentError(ToAbsl(StrCat(
            "grammar: rule \"", names_[e.to],
            "\" is left-recursive (it can reach itself before reading a character)")));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace inferd::text
