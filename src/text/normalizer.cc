#include "text/normalizer.h"

#include <utility>
#include <vector>

#include "common/status_macros.h"
#include "common/strings.h"
#include "text/pattern.h"
#include "text/unicode.h"

namespace inferd::text {
namespace {

// One character of a NormalizedText: its code point, bytes and origin.
struct Char {
  char32_t cp;
  uint32_t begin;
  uint32_t end;
  Span origin;
};

std::vector<Char> Chars(const NormalizedText& t) {
  std::vector<Char> out;
  out.reserve(t.text.size());
  size_t i = 0;
  while (i < t.text.size()) {
    int len;
    char32_t cp = unicode::Decode(t.text, i, &len);
    out.push_back(Char{cp, static_cast<uint32_t>(i),
                       static_cast<uint32_t>(i + len), t.Origin(i, i + len)});
    i += len;
  }
  return out;
}

// Keeps each character for which `keep` is true.
template <typename Keep>
void Filter(NormalizedText* text, Keep keep) {
  NormalizedText out;
  out.text.reserve(text->text.size());
  out.align.reserve(text->text.size());
  size_t i = 0;
  while (i < text->text.size()) {
    int len;
    char32_t cp = unicode::Decode(text->text, i, &len);
    if (keep(cp)) out.AppendFrom(*text, i, i + len);
    i += len;
  }
  *text = std::move(out);
}

void Lowercase(NormalizedText* text) {
  bool ascii_upper = false, non_ascii = false;
  for (unsigned char c : text->text) {
    if (c >= 0x80) non_ascii = true;
    if (c >= 'A' && c <= 'Z') ascii_upper = true;
  }
  if (!non_ascii) {  // same length: alignment unchanged
    if (ascii_upper) {
      for (char& c : text->text) {
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
      }
    }
    return;
  }
  std::vector<Char> chars = Chars(*text);
  NormalizedText out;
  out.text.reserve(text->text.size());
  out.align.reserve(text->text.size());
  for (size_t k = 0; k < chars.size(); ++k) {
    bool final_sigma = false;
    if (chars[k].cp == 0x03A3) {
      // Final_Sigma: a cased letter before (skipping case-ignorables) and
      // none after.
      bool before = false, after = false;
      for (size_t j = k; j-- > 0;) {
        if (unicode::IsCaseIgnorable(chars[j].cp)) continue;
        before = unicode::IsCased(chars[j].cp);
        break;
      }
      for (size_t j = k + 1; j < chars.size(); ++j) {
        if (unicode::IsCaseIgnorable(chars[j].cp)) continue;
        after = unicode::IsCased(chars[j].cp);
        break;
      }
      final_sigma = before && !after;
    }
    size_t before_size = out.text.size();
    unicode::AppendLower(chars[k].cp, final_sigma, &out.text);
    out.align.insert(out.align.end(), out.text.size() - before_size,
                     chars[k].origin);
  }
  *text = std::move(out);
}

bool IsAscii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

// Applies a Unicode normal form. Segments (a starter and the non-starters
// after it) are normalized one by one so each output character is aligned to
// its segment; if that ever differs from normalizing the whole string (rare
// compositions across starters), the whole-string result wins and every byte
// is aligned to the whole input.
void ApplyNormalForm(NormalizedText* text, unicode::NormalForm form) {
  if (IsAscii(text->text)) return;
  std::vector<Char> chars = Chars(*text);
  NormalizedText out;
  size_t k = 0;
  while (k < chars.size()) {
    size_t j = k + 1;
    while (j < chars.size() && unicode::CombiningClass(chars[j].cp) != 0) ++j;
    std::string_view segment = std::string_view(text->text).substr(
        chars[k].begin, chars[j - 1].end - chars[k].begin);
    Span origin = text->Origin(chars[k].begin, chars[j - 1].end);
    if (j == k + 1 && chars[k].cp < 0x80) {
      out.AppendFrom(*text, chars[k].begin, chars[k].end);
    } else {
      out.Append(unicode::Normalize(segment, form), origin);
    }
    k = j;
  }
  std::string whole = unicode::Normalize(text->text, form);
  if (whole != out.text) {
    Span all = text->text.empty() ? Span{} : text->Origin(0, text->text.size());
    out.text = std::move(whole);
    out.align.assign(out.text.size(), all);
  }
  *text = std::move(out);
}

void TrimJsWhitespace(NormalizedText* text, bool left, bool right) {
  std::vector<Char> chars = Chars(*text);
  size_t b = 0, e = chars.size();
  if (left) {
    while (b < e && unicode::IsJsWhitespace(chars[b].cp)) ++b;
  }
  if (right) {
    while (e > b && unicode::IsJsWhitespace(chars[e - 1].cp)) --e;
  }
  if (b == 0 && e == chars.size()) return;
  NormalizedText out;
  if (b < e) out.AppendFrom(*text, chars[b].begin, chars[e - 1].end);
  *text = std::move(out);
}

class UnicodeNormalizer : public Normalizer {
 public:
  explicit UnicodeNormalizer(unicode::NormalForm form) : form_(form) {}
  void Normalize(NormalizedText* text) const override {
    ApplyNormalForm(text, form_);
  }

 private:
  unicode::NormalForm form_;
};

class LowercaseNormalizer : public Normalizer {
 public:
  void Normalize(NormalizedText* text) const override { Lowercase(text); }
};

class StripAccentsNormalizer : public Normalizer {
 public:
  void Normalize(NormalizedText* text) const override {
    if (IsAscii(text->text)) return;
    Filter(text, [](char32_t cp) { return !unicode::IsMark(cp); });
  }
};

class StripNormalizer : public Normalizer {
 public:
  StripNormalizer(bool left, bool right) : left_(left), right_(right) {}
  void Normalize(NormalizedText* text) const override {
    TrimJsWhitespace(text, left_, right_);
  }

 private:
  bool left_, right_;
};

class PrependNormalizer : public Normalizer {
 public:
  explicit PrependNormalizer(std::string prefix) : prefix_(std::move(prefix)) {}
  void Normalize(NormalizedText* text) const override {
    // Like the reference, prepends even to an empty text; the prefix is
    // aligned to the first character (or an empty range at 0).
    Span origin = text->text.empty()
                      ? Span{}
                      : text->Origin(0, unicode::SequenceLength(
                                            static_cast<unsigned char>(
                                                text->text[0])));
    NormalizedText out;
    out.Append(prefix_, origin);
    out.AppendFrom(*text, 0, text->text.size());
    *text = std::move(out);
  }

 private:
  std::string prefix_;
};

class ReplaceNormalizer : public Normalizer {
 public:
  ReplaceNormalizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void Normalize(NormalizedText* text) const override {
    auto matches = pattern_.FindAll(text->text);
    if (matches.empty()) return;
    NormalizedText out;
    size_t pos = 0;
    for (auto [b, e] : matches) {
      out.AppendFrom(*text, pos, b);
      out.Append(content_, text->Origin(b, e));
      pos = e;
    }
    out.AppendFrom(*text, pos, text->text.size());
    *text = std::move(out);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class BertNormalizer : public Normalizer {
 public:
  struct Options {
    bool clean_text = true;
    bool handle_chinese_chars = true;
    bool lowercase = true;
    // JavaScript: strip when set, or when lowercasing unless set to false.
    bool strip_accents = true;
  };
  explicit BertNormalizer(Options options) : options_(options) {}

  void Normalize(NormalizedText* text) const override {
    if (options_.clean_text || options_.handle_chinese_chars) {
      NormalizedText out;
      out.text.reserve(text->text.size());
      out.align.reserve(text->text.size());
      size_t i = 0;
      while (i < text->text.size()) {
        int len;
        char32_t cp = unicode::Decode(text->text, i, &len);
        if (options_.clean_text) {
          bool control = cp != '\t' && cp != '\n' && cp != '\r' &&
                         unicode::IsOtherControl(cp);
          if (cp == 0 || cp == 0xFFFD || control) {
            i += len;
            continue;
          }
          if (unicode::IsJsWhitespace(cp)) {
            out.Append(" ", text->Origin(i, i + len));
            i += len;
            continue;
          }
        }
        if (options_.handle_chinese_chars && unicode::IsCjkIdeograph(cp)) {
          Span origin = text->Origin(i, i + len);
          out.Append(" ", origin);
          out.AppendFrom(*text, i, i + len);
          out.Append(" ", origin);
        } else {
          out.AppendFrom(*text, i, i + len);
        }
        i += len;
      }
      *text = std::move(out);
    }
    if (options_.lowercase) Lowercase(text);
    if (options_.strip_accents && !IsAscii(text->text)) {
      ApplyNormalForm(text, unicode::NormalForm::kNfd);
      Filter(text, [](char32_t cp) { return !unicode::IsNonspacingMark(cp); });
    }
  }

 private:
  Options options_;
};

// The reference's approximation of SentencePiece's precompiled charsmap:
// drop some controls, map some spaces to ' ', then NFKC (keeping U+FF5E).
class PrecompiledNormalizer : public Normalizer {
 public:
  void Normalize(NormalizedText* text) const override {
    NormalizedText out;
    size_t i = 0;
    while (i < text->text.size()) {
      int len;
      char32_t cp = unicode::Decode(text->text, i, &len);
      bool drop = (cp >= 0x01 && cp <= 0x08) || cp == 0x0B ||
                  (cp >= 0x0E && cp <= 0x1F) || cp == 0x7F || cp == 0x8F ||
                  cp == 0x9F;
      bool space = cp == 0x09 || cp == 0x0A || cp == 0x0C || cp == 0x0D ||
                   cp == 0xA0 || cp == 0x1680 ||
                   (cp >= 0x2000 && cp <= 0x200F) || cp == 0x2028 ||
                   cp == 0x2029 || cp == 0x202F || cp == 0x205F ||
                   cp == 0x2581 || cp == 0x3000 || cp == 0xFEFF ||
                   cp == 0xFFFD;
      if (space) {
        out.Append(" ", text->Origin(i, i + len));
      } else if (!drop) {
        out.AppendFrom(*text, i, i + len);
      }
      i += len;
    }
    // NFKC on the parts between U+FF5E, which NFKC would turn into '~'.
    static constexpr std::string_view kWaveDash = "\xEF\xBD\x9E";
    NormalizedText result;
    size_t pos = 0;
    while (true) {
      size_t next = out.text.find(kWaveDash, pos);
      size_t stop = next == std::string::npos ? out.text.size() : next;
      NormalizedText part;
      part.AppendFrom(out, pos, stop);
      ApplyNormalForm(&part, unicode::NormalForm::kNfkc);
      result.AppendFrom(part, 0, part.text.size());
      if (next == std::string::npos) break;
      result.AppendFrom(out, next, next + kWaveDash.size());
      pos = next + kWaveDash.size();
    }
    *text = std::move(result);
  }
};

class SequenceNormalizer : public Normalizer {
 public:
  explicit SequenceNormalizer(std::vector<std::unique_ptr<Normalizer>> steps)
      : steps_(std::move(steps)) {}
  void Normalize(NormalizedText* text) const override {
    for (const auto& step : steps_) step->Normalize(text);
  }

 private:
  std::vector<std::unique_ptr<Normalizer>> steps_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Normalizer>> Normalizer::FromJson(
    const JsonFields& fields) {
  INFERD_ASSIGN_OR_RETURN(std::string type, fields.Type());
  if (type == "NFC") {
    return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfc);
  }
  if (type == "NFD") {
    return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfd);
  }
  if (type == "NFKC") {
    return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfkc);
  }
  if (type == "NFKD") {
    return std::make_unique<UnicodeNormalizer>(unicode::NormalForm::kNfkd);
  }
  if (type == "Lowercase") return std::make_unique<LowercaseNormalizer>();
  if (type == "StripAccents") return std::make_unique<StripAccentsNormalizer>();
  if (type == "Precompiled") return std::make_unique<PrecompiledNormalizer>();
  if (type == "Strip") {
    INFERD_ASSIGN_OR_RETURN(bool left, fields.Bool("strip_left", false));
    INFERD_ASSIGN_OR_RETURN(bool right, fields.Bool("strip_right", false));
    return std::make_unique<StripNormalizer>(left, right);
  }
  if (type == "Prepend") {
    INFERD_ASSIGN_OR_RETURN(std::string prefix, fields.String("prepend"));
    return std::make_unique<PrependNormalizer>(std::move(prefix));
  }
  if (type == "Replace") {
    INFERD_ASSIGN_OR_RETURN(Pattern pattern,
                            Pattern::FromJson(fields, "pattern"));
    INFERD_ASSIGN_OR_RETURN(std::string content,
                            fields.String("content", std::string()));
    return std::make_unique<ReplaceNormalizer>(std::move(pattern),
                                               std::move(content));
  }
  if (type == "BertNormalizer") {
    BertNormalizer::Options o;
    INFERD_ASSIGN_OR_RETURN(o.clean_text, fields.Bool("clean_text", false));
    INFERD_ASSIGN_OR_RETURN(o.handle_chinese_chars,
                            fields.Bool("handle_chinese_chars", false));
    INFERD_ASSIGN_OR_RETURN(o.lowercase, fields.Bool("lowercase", false));
    if (fields.Find("strip_accents") == nullptr) {
      o.strip_accents = o.lowercase;
    } else {
      INFERD_ASSIGN_OR_RETURN(o.strip_accents,
                              fields.Bool("strip_accents", false));
    }
    return std::make_unique<BertNormalizer>(o);
  }
  if (type == "Sequence") {
    INFERD_ASSIGN_OR_RETURN(const boost::json::array* list,
                            fields.Array("normalizers", /*required=*/true));
    std::vector<std::unique_ptr<Normalizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      std::string path = StrCat(fields.path(), ".normalizers[", i, "]");
      if ((*list)[i].is_null()) continue;
      if (!(*list)[i].is_object()) {
        return absl::InvalidArgumentError(
            StrCat("tokenizer.json: ", path, " must be an object"));
      }
      INFERD_ASSIGN_OR_RETURN(
          std::unique_ptr<Normalizer> step,
          FromJson(JsonFields((*list)[i].get_object(), path)));
      steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceNormalizer>(std::move(steps));
  }
  return absl::InvalidArgumentError(StrCat("tokenizer.json: ", fields.path(),
                                           " type \"", type,
                                           "\" is not supported"));
}

}  // namespace inferd::text
