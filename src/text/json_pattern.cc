#include "text/json_pattern.h"

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <utility>
#include <vector>

#include "common/strings.h"
#include "text/grammar.h"

namespace inferd::text {
namespace {

using Ranges = std::vector<std::pair<uint32_t, uint32_t>>;

constexpr uint32_t kMaxChar = 0x10FFFF;

std::string Hex(uint32_t c) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "\\U%08X", c);
  return buf;
}

// The grammar for one character `c` inside a JSON string.
std::string LiteralChar(uint32_t c) {
  if (c == '"') return R"("\\\"")";
  if (c == '\\') return R"("\\\\")";
  if (c == '\n') return R"("\\n")";
  if (c == '\t') return R"("\\t")";
  if (c == '\r') return R"("\\r")";
  if (c < 0x20) {
    char buf[16];
    std::snprintf(buf, sizeof(buf), "\"\\\\u%04x\"", c);
    return buf;
  }
  return "\"" + Hex(c) + "\"";
}

Ranges Normalize(Ranges r) {
  std::sort(r.begin(), r.end());
  Ranges out;
  for (const auto& x : r) {
    if (!out.empty() && x.first <= out.back().second + 1) {
      out.back().second = std::max(out.back().second, x.second);
    } else {
      out.push_back(x);
    }
  }
  return out;
}

Ranges Complement(const Ranges& r) {
  Ranges out;
  uint32_t next = 0;
  for (const auto& [a, b] : r) {
    if (a > next) out.push_back({next, a - 1});
    next = b + 1;
  }
  if (next <= kMaxChar) out.push_back({next, kMaxChar});
  return out;
}

class PatternConverter {
 public:
  explicit PatternConverter(std::string_view p) : p_(p) {}

  absl::StatusOr<std::string> Convert() {
    if (!p_.empty() && p_[0] == '^') ++pos_;
    absl::StatusOr<std::string> out = Alternation();
    if (!out.ok()) return out;
    if (pos_ < p_.size()) {
      if (p_[pos_] == ')') return Error("unbalanced )");
      return Error(StrCat("unsupported ", std::string(1, p_[pos_])));
    }
    return "(" + *out + ")";
  }

 private:
  absl::Status Error(std::string what) const {
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("pattern \"", p_, "\": ", what, " (at offset ", pos_, ")")));
  }

  bool AtEndAnchor() const { return pos_ + 1 == p_.size() && p_[pos_] == '$'; }

  absl::StatusOr<std::string> Alternation() {
    std::string out;
    while (true) {
      absl::StatusOr<std::string> seq = Sequence();
      if (!seq.ok()) return seq;
      out += *seq;
      if (pos_ < p_.size() && p_[pos_] == '|') {
        ++pos_;
        out += " | ";
        continue;
      }
      return out;
    }
  }

  absl::StatusOr<std::string> Sequence() {
    std::string out;
    while (pos_ < p_.size() && p_[pos_] != '|' && p_[pos_] != ')') {
      if (AtEndAnchor()) {
        ++pos_;
        break;
      }
      absl::StatusOr<std::string> atom = Atom();
      if (!atom.ok()) return atom;
      absl::StatusOr<std::string> rep = Quantifier(*atom);
      if (!rep.ok()) return rep;
      if (!out.empty()) out += " ";
      out += *rep;
    }
    if (out.empty()) out = "\"\"";
    return out;
  }

  absl::StatusOr<std::string> Quantifier(const std::string& atom) {
    if (pos_ >= p_.size()) return atom;
    std::string suffix;
    const char c = p_[pos_];
    if (c == '*' || c == '+' || c == '?') {
      suffix = std::string(1, c);
      ++pos_;
    } else if (c == '{') {
      absl::StatusOr<std::string> counted = Counts();
      if (!counted.ok()) return counted;
      suffix = *std::move(counted);
    } else {
      return atom;
    }
    if (pos_ < p_.size() && p_[pos_] == '?') ++pos_;  // lazy: same language
    if (pos_ < p_.size() && (p_[pos_] == '*' || p_[pos_] == '+' || p_[pos_] == '{')) {
      return Error("nested quantifier");
    }
    return "(" + atom + ")" + suffix;
  }

  // A counted repetition at `pos_` ('{'): {m}, {m,} or {m,n}, checked here
  // so that a bad one is the pattern's error, not the grammar's: m <= n,
  // both at most Grammar::kMaxRepeat. {,n} is refused: ECMA-262 has no such
  // quantifier (its Annex B reads it as literal text, unicode mode as an
  // error). Returns the repetition in grammar syntax; `pos_` past the '}'.
  absl::StatusOr<std::string> Counts() {
    const size_t close = p_.find('}', pos_);
    if (close == std::string_view::npos) return Error("unterminated {");
    const std::string_view text = p_.substr(pos_, close - pos_ + 1);
    const std::string_view inside = text.substr(1, text.size() - 2);
    const size_t comma = inside.find(',');
    const std::string_view low = inside.substr(0, comma);
    const std::string_view high =
        comma == std::string_view::npos ? std::string_view() : inside.substr(comma + 1);
    auto digits = [](std::string_view d) {
      return std::all_of(d.begin(), d.end(), [](char x) { return x >= '0' && x <= '9'; });
    };
    if (low.empty() && comma != std::string_view::npos && !high.empty() && digits(high)) {
      return Error(StrCat("repetition ", text, " has no minimum: ECMA-262 has no {,n}; write {0,",
                          high, "}"));
    }
    if (low.empty() || !digits(low) || !digits(high)) {
      return Error(StrCat("bad repetition count ", text, " (expected {m}, {m,} or {m,n})"));
    }
    // Values past the limit are only reported, so they are kept at limit + 1.
    auto value = [](std::string_view d) {
      int64_t v = 0;
      for (char x : d) v = std::min<int64_t>(v * 10 + (x - '0'), Grammar::kMaxRepeat + 1);
      return v;
    };
    const int64_t m = value(low);
    std::optional<int64_t> n = m;  // none: unbounded
    if (comma != std::string_view::npos) {
      n = high.empty() ? std::nullopt : std::optional(value(high));
    }
    if (m > Grammar::kMaxRepeat || (n && *n > Grammar::kMaxRepeat)) {
      return Error(StrCat("repetition ", text, ": counts are limited to ", Grammar::kMaxRepeat));
    }
    if (n && *n < m) {
      return Error(StrCat("repetition ", text, ": the minimum ", m, " is above the maximum ", *n));
    }
    pos_ = close + 1;
    if (comma == std::string_view::npos) return StrCat("{", m, "}");
    return n ? StrCat("{", m, ",", *n, "}") : StrCat("{", m, ",}");
  }

  absl::StatusOr<std::string> Atom() {
    const char c = p_[pos_];
    if (c == '(') {
      ++pos_;
      if (++depth_ > 256) return Error("groups nested deeper than 256");
      if (p_.substr(pos_, 2) == "?:") {
        pos_ += 2;
      } else if (pos_ < p_.size() && p_[pos_] == '?') {
        return Error("lookaround and named groups are not supported");
      }
      absl::StatusOr<std::string> inner = Alternation();
      if (!inner.ok()) return inner;
      if (pos_ >= p_.size() || p_[pos_] != ')') return Error("expected )");
      ++pos_;
      --depth_;
      return "(" + *inner + ")";
    }
    if (c == '[') return Class();
    if (c == '.') {
      ++pos_;
      return Set({{'\n', '\n'}}, true);
    }
    if (c == '^' || c == '$') return Error("anchors are supported only at the ends");
    if (c == '*' || c == '+' || c == '?' || c == '{') return Error("quantifier without an atom");
    if (c == '\\') {
      ++pos_;
      Ranges r;
      bool negated = false;
      absl::StatusOr<uint32_t> ch = Escape(&r, &negated);
      if (!ch.ok()) return ch.status();
      if (!r.empty()) return Set(r, negated);
      return LiteralChar(*ch);
    }
    absl::StatusOr<uint32_t> ch = Utf8();
    if (!ch.ok()) return ch.status();
    return LiteralChar(*ch);
  }

  // After a backslash: a class escape fills `ranges` (and `negated`), a
  // character escape returns the character.
  absl::StatusOr<uint32_t> Escape(Ranges* ranges, bool* negated) {
    if (pos_ >= p_.size()) return Error("trailing backslash");
    const char e = p_[pos_++];
    switch (e) {
      case 'd': case 'D':
        *ranges = {{'0', '9'}};
        *negated = e == 'D';
        return 0u;
      case 'w': case 'W':
        *ranges = {{'0', '9'}, {'A', 'Z'}, {'_', '_'}, {'a', 'z'}};
        *negated = e == 'W';
        return 0u;
      case 's': case 'S':
        *ranges = {{'\t', '\r'}, {' ', ' '}};
        *negated = e == 'S';
        return 0u;
      case 'n': return '\n';
      case 't': return '\t';
      case 'r': return '\r';
      case 'f': return '\f';
      case 'v': return '\v';
      case 'u': {
        if (pos_ + 4 > p_.size()) return Error("short \\u escape");
        uint32_t v = 0;
        for (int i = 0; i < 4; ++i) {
          const char h = p_[pos_++];
          const int d = h >= '0' && h <= '9' ? h - '0' : h >= 'a' && h <= 'f' ? h - 'a' + 10
                      : h >= 'A' && h <= 'F' ? h - 'A' + 10 : -1;
          if (d < 0) return Error("bad \\u escape");
          v = v * 16 + d;
        }
        return v;
      }
      default:
        if ((e >= 'a' && e <= 'z') || (e >= 'A' && e <= 'Z') || (e >= '0' && e <= '9')) {
          --pos_;
          return Error(StrCat("escape \\", std::string(1, e), " is not supported"));
        }
        return static_cast<uint32_t>(static_cast<unsigned char>(e));
    }
  }

  absl::StatusOr<std::string> Class() {
    ++pos_;  // [
    bool negated = false;
    if (pos_ < p_.size() && p_[pos_] == '^') {
      negated = true;
      ++pos_;
    }
    Ranges ranges;
    bool first = true;
    while (true) {
      if (pos_ >= p_.size()) return Error("unterminated [");
      if (p_[pos_] == ']' && !first) {
        ++pos_;
        break;
      }
      first = false;
      uint32_t lo;
      if (p_[pos_] == '\\') {
        ++pos_;
        Ranges r;
        bool neg = false;
        absl::StatusOr<uint32_t> ch = Escape(&r, &neg);
        if (!ch.ok()) return ch.status();
        if (!r.empty()) {
          if (neg) r = Complement(Normalize(r));
          ranges.insert(ranges.end(), r.begin(), r.end());
          continue;
        }
        lo = *ch;
      } else {
        absl::StatusOr<uint32_t> ch = Utf8();
        if (!ch.ok()) return ch.status();
        lo = *ch;
      }
      uint32_t hi = lo;
      if (pos_ + 1 < p_.size() && p_[pos_] == '-' && p_[pos_ + 1] != ']') {
        ++pos_;
        if (p_[pos_] == '\\') {
          ++pos_;
          Ranges r;
          bool neg = false;
          absl::StatusOr<uint32_t> ch = Escape(&r, &neg);
          if (!ch.ok()) return ch.status();
          if (!r.empty()) return Error("a class escape cannot end a range");
          hi = *ch;
        } else {
          absl::StatusOr<uint32_t> ch = Utf8();
          if (!ch.ok()) return ch.status();
          hi = *ch;
        }
        if (hi < lo) return Error("range out of order");
      }
      ranges.push_back({lo, hi});
    }
    return Set(ranges, negated);
  }

  // The characters of a set, as JSON string content.
  absl::StatusOr<std::string> Set(Ranges ranges, bool negated) {
    ranges = Normalize(std::move(ranges));
    if (negated) ranges = Complement(ranges);
    std::vector<std::string> alts;
    Ranges plain;
    for (auto [a, b] : ranges) {
      // Characters JSON escapes are written as their escapes.
      for (uint32_t special : {uint32_t{'"'}, uint32_t{'\\'}}) {
        if (a <= special && special <= b) alts.push_back(LiteralChar(special));
      }
      for (uint32_t special : {uint32_t{'\n'}, uint32_t{'\t'}}) {
        if (a <= special && special <= b) alts.push_back(LiteralChar(special));
      }
      a = std::max<uint32_t>(a, 0x20);
      if (a > b) continue;
      // Split around the quote and the backslash.
      uint32_t start = a;
      for (uint32_t special : {uint32_t{'"'}, uint32_t{'\\'}}) {
        if (start <= special && special <= b) {
          if (start < special) plain.push_back({start, special - 1});
          start = special + 1;
        }
      }
      if (start <= b) plain.push_back({start, b});
    }
    if (!plain.empty()) {
      std::string set = "[";
      for (const auto& [a, b] : plain) {
        set += Hex(a);
        if (b != a) set += "-" + Hex(b);
      }
      set += "]";
      alts.insert(alts.begin(), set);
    }
    if (alts.empty()) return Error("a character class that matches nothing");
    std::string out = "(";
    for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
    return out + ")";
  }

  absl::StatusOr<uint32_t> Utf8() {
    const unsigned char c = p_[pos_];
    const int len = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (len == 0 || pos_ + len > p_.size()) return Error("invalid UTF-8");
    uint32_t cp = len == 1 ? c : c & (0x7f >> len);
    for (int i = 1; i < len; ++i) cp = (cp << 6) | (static_cast<unsigned char>(p_[pos_ + i]) & 0x3f);
    pos_ += len;
    return cp;
  }

  std::string_view p_;
  size_t pos_ = 0;
  int depth_ = 0;  // open groups: the converter recurses on them
};

}  // namespace

absl::StatusOr<std::string> JsonPatternToGrammar(std::string_view pattern) {
  return PatternConverter(pattern).Convert();
}

}  // namespace inferd::text
