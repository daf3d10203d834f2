// Grammar::Compile(): the GBNF-like text parsed straight into the flat form.
// Groups and repetitions become helper rules named after the rule they
// appear in (`value_3`), so messages about them still point at the user's
// rule.

#include <cstring>
#include <map>
#include <optional>

#include "absl/container/flat_hash_map.h"
#include "common/strings.h"
#include "text/grammar.h"
#include "text/grammar_matcher.h"

namespace inferd::text {

using Element = Grammar::Element;
using Kind = Grammar::Kind;
using Sequence = std::vector<Element>;

class GrammarBuilder {
 public:
  explicit GrammarBuilder(std::string_view text)
      : text_(text), grammar_(new Grammar()) {}

  absl::StatusOr<std::shared_ptr<const Grammar>> Build() {
    SkipSpace(true);
    while (pos_ < text_.size()) {
      if (absl::Status s = ParseRule(); !s.ok()) return s;
      SkipSpace(true);
    }
    if (!error_.ok()) return error_;
    // Lay the alternatives out one after another.
    for (size_t r = 0; r < alts_.size(); ++r) {
      for (const Sequence& seq : alts_[r]) {
        grammar_->rules_[r].push_back(static_cast<int32_t>(grammar_->elements_.size()));
        grammar_->elements_.insert(grammar_->elements_.end(), seq.begin(), seq.end());
        grammar_->elements_.push_back({Kind::kEnd, 0});
      }
    }
    auto root = ids_.find("root");
    grammar_->root_ = root == ids_.end() ? -1 : root->second;
    if (absl::Status s = grammar_->Validate(); !s.ok()) return s;
    return std::shared_ptr<const Grammar>(std::move(grammar_));
  }

 private:
  absl::Status Error(std::string what) {
    int line = 1;
    for (size_t i = 0; i < pos_ && i < text_.size(); ++i) line += text_[i] == '\n';
    std::string rule = current_ < 0 ? "" : StrCat(", in rule \"", grammar_->names_[current_], "\"");
    return absl::InvalidArgumentError(ToAbsl(StrCat("grammar: line ", line, rule, ": ", what)));
  }

  // Skips blanks and comments; newlines too when `newlines`.
  void SkipSpace(bool newlines) {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c == '#') {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
      } else if (c == ' ' || c == '\t' || c == '\r' || (newlines && c == '\n')) {
        ++pos_;
      } else {
        break;
      }
    }
  }

  static bool IsNameChar(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
  }

  std::string_view Name() {
    const size_t start = pos_;
    while (pos_ < text_.size() && IsNameChar(text_[pos_])) ++pos_;
    return text_.substr(start, pos_ - start);
  }

  // True when the text at pos_ starts a new rule (`name ::=`).
  bool AtRuleStart() {
    const size_t save = pos_;
    const bool named = !Name().empty();
    SkipSpace(false);
    const bool yes = named && text_.substr(pos_, 3) == "::=";
    pos_ = save;
    return yes;
  }

  int32_t RuleId(std::string_view name) {
    auto [it, added] = ids_.try_emplace(std::string(name), static_cast<int32_t>(alts_.size()));
    if (added) NewRule(std::string(name));
    return it->second;
  }

  int32_t NewRule(std::string name) {
    alts_.emplace_back();
    grammar_->rules_.emplace_back();
    grammar_->names_.push_back(std::move(name));
    return static_cast<int32_t>(alts_.size() - 1);
  }

  int32_t HelperRule() {
    const std::string& base = grammar_->names_[current_];
    return NewRule(StrCat(base, "_", ++helpers_));
  }

  Element Chars(CharSet set) {
    if (!set.negated && set.ranges.size() == 1 && set.ranges[0].first == set.ranges[0].second) {
      auto [it, added] = single_.try_emplace(set.ranges[0].first,
                                             static_cast<int32_t>(grammar_->charsets_.size()));
      if (!added) return {Kind::kChars, it->second};
    }
    grammar_->charsets_.push_back(std::move(set));
    return {Kind::kChars, static_cast<int32_t>(grammar_->charsets_.size() - 1)};
  }

  absl::Status ParseRule() {
    const std::string_view name = Name();
    if (name.empty()) return Error("expected a rule name");
    current_ = RuleId(name);
    if (defined_.size() <= static_cast<size_t>(current_)) defined_.resize(current_ + 1, false);
    if (defined_[current_]) return Error(StrCat("rule \"", name, "\" is defined twice"));
    defined_[current_] = true;
    SkipSpace(false);
    if (text_.substr(pos_, 3) != "::=") return Error("expected ::= after the rule name");
    pos_ += 3;
    const int32_t rule = current_;
    absl::Status s = ParseAlternatives(rule, /*nested=*/false);
    current_ = -1;
    return s;
  }

  // Alternatives separated by `|` into rule `rule`, up to `)` when nested or
  // the next rule / end of text otherwise.
  absl::Status ParseAlternatives(int32_t rule, bool nested) {
    Sequence seq;
    while (true) {
      SkipSpace(true);
      if (pos_ >= text_.size() || (!nested && AtRuleStart())) break;
      const char c = text_[pos_];
      if (c == '|') {
        ++pos_;
        alts_[rule].push_back(std::move(seq));
        seq.clear();
        continue;
      }
      if (c == ')') {
        if (!nested) return Error("unbalanced )");
        break;
      }
      Sequence item;
      if (absl::Status s = ParseItem(&item); !s.ok()) return s;
      if (absl::Status s = ParseRepetition(&item); !s.ok()) return s;
      seq.insert(seq.end(), item.begin(), item.end());
      if (alts_size() > Grammar::kMaxElements) {
        return Error(StrCat("the grammar is too large (more than ", Grammar::kMaxElements,
                            " elements)"));
      }
    }
    alts_[rule].push_back(std::move(seq));
    return absl::OkStatus();
  }

  size_t alts_size() {
    return elements_estimate_;
  }

  absl::Status ParseItem(Sequence* item) {
    const char c = text_[pos_];
    if (c == '"') {
      ++pos_;
      while (true) {
        if (pos_ >= text_.size() || text_[pos_] == '\n') return Error("unterminated string literal");
        if (text_[pos_] == '"') {
          ++pos_;
          break;
        }
        absl::StatusOr<uint32_t> cp = Char();
        if (!cp.ok()) return cp.status();
        item->push_back(Chars({{{*cp, *cp}}, false}));
      }
      elements_estimate_ += item->size();
      return absl::OkStatus();
    }
    if (c == '[') {
      ++pos_;
      CharSet set;
      if (pos_ < text_.size() && text_[pos_] == '^') {
        set.negated = true;
        ++pos_;
      }
      while (true) {
        if (pos_ >= text_.size() || text_[pos_] == '\n') return Error("unterminated character class");
        if (text_[pos_] == ']') {
          ++pos_;
          break;
        }
        absl::StatusOr<uint32_t> lo = Char();
        if (!lo.ok()) return lo.status();
        uint32_t hi = *lo;
        if (pos_ + 1 < text_.size() && text_[pos_] == '-' && text_[pos_ + 1] != ']') {
          ++pos_;
          absl::StatusOr<uint32_t> h = Char();
          if (!h.ok()) return h.status();
          hi = *h;
          if (hi < *lo) return Error("character range out of order");
        }
        set.ranges.push_back({*lo, hi});
      }
      Normalize(&set);
      item->push_back(Chars(std::move(set)));
      ++elements_estimate_;
      return absl::OkStatus();
    }
    if (c == '.') {
      ++pos_;
      item->push_back(Chars({{}, true}));
      ++elements_estimate_;
      return absl::OkStatus();
    }
    if (c == '(') {
      ++pos_;
      if (++depth_ > kMaxDepth) return Error(StrCat("groups nested deeper than ", kMaxDepth));
      const int32_t group = HelperRule();
      if (absl::Status s = ParseAlternatives(group, /*nested=*/true); !s.ok()) return s;
      --depth_;
      if (pos_ >= text_.size() || text_[pos_] != ')') return Error("expected )");
      ++pos_;
      item->push_back({Kind::kRule, group});
      ++elements_estimate_;
      return absl::OkStatus();
    }
    if (IsNameChar(c)) {
      item->push_back({Kind::kRule, RuleId(Name())});
      ++elements_estimate_;
      return absl::OkStatus();
    }
    return Error(StrCat("unexpected character '", std::string(1, c), "'"));
  }

  // Applies a repetition suffix, if any, to `item`.
  absl::Status ParseRepetition(Sequence* item) {
    if (pos_ >= text_.size()) return absl::OkStatus();
    const char c = text_[pos_];
    int min = 0;
    std::optional<int> max;  // none: unbounded
    if (c == '*') {
      ++pos_;
    } else if (c == '+') {
      ++pos_;
      min = 1;
    } else if (c == '?') {
      ++pos_;
      max = 1;
    } else if (c == '{') {
      ++pos_;
      auto number = [&]() -> std::optional<int> {
        SkipSpace(false);
        int64_t v = 0;
        const size_t start = pos_;
        while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') {
          v = v * 10 + (text_[pos_++] - '0');
          if (v > Grammar::kMaxRepeat) return Grammar::kMaxRepeat + 1;
        }
        SkipSpace(false);
        if (pos_ == start) return std::nullopt;
        return static_cast<int>(v);
      };
      std::optional<int> m = number();
      if (!m) return Error("expected a number after {");
      min = *m;
      max = *m;
      if (pos_ < text_.size() && text_[pos_] == ',') {
        ++pos_;
        max = number();
      }
      if (pos_ >= text_.size() || text_[pos_] != '}') return Error("expected } after the repetition count");
      ++pos_;
      if (min > Grammar::kMaxRepeat || (max && *max > Grammar::kMaxRepeat)) {
        return Error(StrCat("repetition counts are limited to ", Grammar::kMaxRepeat));
      }
      if (max && *max < min) return Error("repetition {m,n} needs m <= n");
    } else {
      return absl::OkStatus();
    }
    // One element to repeat.
    Element x = item->front();
    if (item->size() != 1) {
      const int32_t wrap = HelperRule();
      alts_[wrap].push_back(*item);
      x = {Kind::kRule, wrap};
    }
    Sequence out(min, x);
    if (!max) {
      // star ::= x star | ""
      const int32_t star = HelperRule();
      alts_[star].push_back({x, {Kind::kRule, star}});
      alts_[star].push_back({});
      out.push_back({Kind::kRule, star});
    } else if (*max > min) {
      // opt_k ::= x opt_(k-1) | "", opt_1 ::= x | ""
      int32_t inner = -1;
      for (int k = 1; k <= *max - min; ++k) {
        const int32_t opt = HelperRule();
        Sequence first = {x};
        if (inner >= 0) first.push_back({Kind::kRule, inner});
        alts_[opt].push_back(std::move(first));
        alts_[opt].push_back({});
        inner = opt;
      }
      out.push_back({Kind::kRule, inner});
    }
    elements_estimate_ += out.size() + 3 * static_cast<size_t>(max ? *max - min : 1);
    *item = std::move(out);
    return absl::OkStatus();
  }

  // One character of a literal or class, escapes decoded.
  absl::StatusOr<uint32_t> Char() {
    const unsigned char c = text_[pos_];
    if (c == '\\') {
      if (pos_ + 1 >= text_.size()) return Error("unterminated escape");
      const char e = text_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case 'n': return '\n';
        case 'r': return '\r';
        case 't': return '\t';
        case '\\': case '"': case '\'': case '[': case ']': case '-': case '^': case '/':
          return static_cast<uint32_t>(e);
        case 'x': return Hex(2);
        case 'u': return Hex(4);
        case 'U': return Hex(8);
        default: return Error(StrCat("unknown escape \\", std::string(1, e)));
      }
    }
    // A UTF-8 character.
    int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + len > text_.size()) return Error("invalid UTF-8");
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int i = 1; i < len; ++i) {
      const unsigned char b = text_[pos_ + i];
      if ((b & 0xc0) != 0x80) return Error("invalid UTF-8");
      cp = (cp << 6) | (b & 0x3f);
    }
    pos_ += len;
    return cp;
  }

  absl::StatusOr<uint32_t> Hex(int digits) {
    uint32_t v = 0;
    for (int i = 0; i < digits; ++i) {
      if (pos_ >= text_.size()) return Error("short hex escape");
      const char h = text_[pos_++];
      int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
            : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
      if (d < 0) return Error("bad hex digit in escape");
      v = v * 16 + d;
    }
    if (v > 0x10FFFF) return Error("escape beyond U+10FFFF");
    return v;
  }

  // Sorts and merges the ranges of `set`.
  static void Normalize(CharSet* set) {
    auto& r = set->ranges;
    std::sort(r.begin(), r.end());
    std::vector<std::pair<uint32_t, uint32_t>> merged;
    for (const auto& range : r) {
      if (!merged.empty() && range.first <= merged.back().second + 1) {
        merged.back().second = std::max(merged.back().second, range.second);
      } else {
        merged.push_back(range);
      }
    }
    r = std::move(merged);
  }

  std::string_view text_;
  size_t pos_ = 0;
  std::unique_ptr<Grammar> grammar_;
  std::vector<std::vector<Sequence>> alts_;
  std::map<std::string, int32_t, std::less<>> ids_;
  std::vector<bool> defined_;
  absl::flat_hash_map<uint32_t, int32_t> single_;
  int32_t current_ = -1;
  int helpers_ = 0;
  static constexpr int kMaxDepth = 256;  // parentheses: the parser recurses on them
  int depth_ = 0;
  size_t elements_estimate_ = 0;
  absl::Status error_;
};

absl::StatusOr<std::shared_ptr<const Grammar>> Grammar::Compile(std::string_view text) {
  absl::StatusOr<std::shared_ptr<const Grammar>> grammar = GrammarBuilder(text).Build();
  if (!grammar.ok()) return grammar;
  // A grammar whose start alone needs more parse stacks than a matcher
  // allows would fail at its first token; refuse it here, where the caller
  // can still answer 400.
  if (GrammarMatcher(*grammar).too_complex()) {
    return absl::InvalidArgumentError(ToAbsl(
        StrCat("grammar: too ambiguous to run: its start needs ", GrammarMatcher::kTooComplexReason)));
  }
  return grammar;
}

}  // namespace inferd::text
