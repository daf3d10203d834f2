#pragma once

// A context-free grammar over Unicode text, in the GBNF-like form users
// write (docs/structured_output.md), compiled to the flat form the matcher
// walks (GrammarMatcher).
//
//   root   ::= "{" ws pair ("," ws pair)* "}"
//   pair   ::= [a-z]+ ":" ws value
//   value  ::= "true" | "false" | [0-9]{1,3}
//   ws     ::= [ \t\n]*
//
// Rules are `name ::= alternatives`; an alternative is a sequence of
// literals ("..."), character classes ([a-z], [^"\\]), `.` (any character),
// rule names and parenthesized groups, each optionally repeated with `*`,
// `+`, `?`, `{m}`, `{m,}` or `{m,n}`. `#` starts a comment. The start rule is
// `root`. Repetitions become helper rules at compile time, so the compiled
// grammar has only three kinds of element: a character set, a reference to
// a rule, and the end of an alternative.
//
// Compile() refuses what the matcher cannot run: undefined rules, a missing
// root, left recursion (a rule that can reach itself without consuming a
// character) and rules that can never finish (recursion without a base
// case), each with a message naming the rule.
//
// Thread-safety: immutable after Compile(); share it freely.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"

namespace inferd::text {

// A set of Unicode code points: sorted, non-overlapping inclusive ranges,
// possibly negated.
struct CharSet {
  std::vector<std::pair<uint32_t, uint32_t>> ranges;
  bool negated = false;

  bool Contains(uint32_t c) const;
  // True when some code point in [lo, hi] is in the set.
  bool IntersectsRange(uint32_t lo, uint32_t hi) const;
};

class Grammar {
 public:
  enum class Kind : uint8_t {
    kEnd,    // end of an alternative
    kChars,  // one character from charsets()[value]
    kRule,   // rule `value`
  };
  struct Element {
    Kind kind;
    int32_t value;
  };

  // Limits on what one grammar may hold, so a request cannot ask for
  // unbounded memory: elements after expanding repetitions, and the largest
  // repetition count.
  static constexpr size_t kMaxElements = 1 << 20;
  static constexpr int kMaxRepeat = 10000;

  // Parses and checks `text`; InvalidArgument says what is wrong, with the
  // line and the rule.
  static absl::StatusOr<std::shared_ptr<const Grammar>> Compile(
      std::string_view text);

  // All alternatives, each a run of elements ending with kEnd.
  const std::vector<Element>& elements() const { return elements_; }
  // Start positions (into elements()) of the alternatives of `rule`.
  const std::vector<int32_t>& alternatives(int32_t rule) const {
    return rules_[rule];
  }
  const CharSet& charset(int32_t id) const { return charsets_[id]; }
  const std::string& rule_name(int32_t rule) const { return names_[rule]; }
  int32_t rule_count() const { return static_cast<int32_t>(rules_.size()); }
  int32_t root() const { return root_; }

 private:
  friend class GrammarBuilder;
  Grammar() = default;
  // Checks references, left recursion and termination.
  absl::Status Validate() const;

  std::vector<Element> elements_;
  std::vector<std::vector<int32_t>> rules_;
  std::vector<CharSet> charsets_;
  std::vector<std::string> names_;
  int32_t root_ = -1;
};

}  // namespace inferd::text
