#include "text/pre_tokenizer.h"

#include <string>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "text/pattern.h"
#include "text/unicode.h"
#include "text/word_splitter.h"

namespace inferd::text {
namespace {

using Range = PreTokenizedText::Range;

// Applies `split(piece_text, piece_begin, out)` to every piece.
template <typename SplitFn>
void SplitEach(PreTokenizedText* text, SplitFn split) {
  std::vector<Range> out;
  out.reserve(text->pieces.size() * 2);
  for (const Range& r : text->pieces) split(text->Piece(r), r.begin, &out);
  text->pieces = std::move(out);
}

// Pieces made of the runs of characters for which `keep(cp)` holds, each run
// cut further where `group(prev, cp)` says two neighbours belong apart.
template <typename Keep, typename Apart>
void SplitRuns(std::string_view text, uint32_t base, std::vector<Range>* out,
               Keep keep, Apart apart) {
  size_t i = 0, n = text.size();
  size_t start = 0;
  bool in_run = false;
  char32_t prev = 0;
  while (i < n) {
    int len;
    char32_t cp = unicode::Decode(text, i, &len);
    bool k = keep(cp);
    if (in_run && (!k || apart(prev, cp))) {
      out->push_back(Range{base + static_cast<uint32_t>(start),
                           base + static_cast<uint32_t>(i)});
      in_run = false;
    }
    if (k && !in_run) {
      start = i;
      in_run = true;
    }
    prev = cp;
    i += len;
  }
  if (in_run) {
    out->push_back(Range{base + static_cast<uint32_t>(start),
                         base + static_cast<uint32_t>(n)});
  }
}

class ByteLevelPreTokenizer : public PreTokenizer {
 public:
  ByteLevelPreTokenizer(bool add_prefix_space, bool use_regex)
      : add_prefix_space_(add_prefix_space), use_regex_(use_regex) {}

  void PreTokenize(PreTokenizedText* text, int) const override {
    if (add_prefix_space_) {
      PreTokenizedText out;
      for (const Range& r : text->pieces) {
        uint32_t begin = static_cast<uint32_t>(out.buffer.text.size());
        if (r.end > r.begin && text->buffer.text[r.begin] != ' ') {
          // The space counts as part of the first character's span.
          out.buffer.Append(" ", Span{text->buffer.align[r.begin].start,
                                      text->buffer.align[r.begin].start});
        }
        out.buffer.AppendFrom(text->buffer, r.begin, r.end);
        out.pieces.push_back(
            Range{begin, static_cast<uint32_t>(out.buffer.text.size())});
      }
      *text = std::move(out);
    }
    if (use_regex_) {
      SplitEach(text, [this](std::string_view piece, uint32_t base,
                             std::vector<Range>* out) {
        splitter_.Split(piece, base, out);
      });
    }
  }
  bool byte_level() const override { return true; }

 private:
  bool add_prefix_space_;
  bool use_regex_;
  // GPT-2's pattern with ECMAScript's \s, as the JavaScript reference has it.
  WordSplitter splitter_{WordSplitter::Options{}};
};

class BertPreTokenizer : public PreTokenizer {
 public:
  void PreTokenize(PreTokenizedText* text, int) const override {
    SplitEach(text, [](std::string_view piece, uint32_t base,
                       std::vector<Range>* out) {
      SplitRuns(
          piece, base, out,
          [](char32_t cp) { return !unicode::IsJsWhitespace(cp); },
          [](char32_t prev, char32_t cp) {
            return unicode::IsBertPunctuation(prev) ||
                   unicode::IsBertPunctuation(cp);
          });
    });
  }
};

inline bool IsAsciiWord(char32_t cp) {
  return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') ||
         (cp >= '0' && cp <= '9') || cp == '_';
}

class WhitespacePreTokenizer : public PreTokenizer {
 public:
  void PreTokenize(PreTokenizedText* text, int) const override {
    SplitEach(text, [](std::string_view piece, uint32_t base,
                       std::vector<Range>* out) {
      SplitRuns(
          piece, base, out,
          [](char32_t cp) { return !unicode::IsJsWhitespace(cp); },
          [](char32_t prev, char32_t cp) {
            return IsAsciiWord(prev) != IsAsciiWord(cp);
          });
    });
  }
};

class WhitespaceSplitPreTokenizer : public PreTokenizer {
 public:
  void PreTokenize(PreTokenizedText* text, int) const override {
    SplitEach(text, [](std::string_view piece, uint32_t base,
                       std::vector<Range>* out) {
      SplitRuns(
          piece, base, out,
          [](char32_t cp) { return !unicode::IsJsWhitespace(cp); },
          [](char32_t, char32_t) { return false; });
    });
  }
};

class PunctuationPreTokenizer : public PreTokenizer {
 public:
  void PreTokenize(PreTokenizedText* text, int) const override {
    SplitEach(text, [](std::string_view piece, uint32_t base,
                       std::vector<Range>* out) {
      SplitRuns(
          piece, base, out, [](char32_t) { return true; },
          [](char32_t prev, char32_t cp) {
            return unicode::IsBertPunctuation(prev) !=
                   unicode::IsBertPunctuation(cp);
          });
    });
  }
};

class DigitsPreTokenizer : public PreTokenizer {
 public:
  explicit DigitsPreTokenizer(bool individual) : individual_(individual) {}
  void PreTokenize(PreTokenizedText* text, int) const override {
    bool individual = individual_;
    SplitEach(text, [individual](std::string_view piece, uint32_t base,
                                 std::vector<Range>* out) {
      SplitRuns(
          piece, base, out, [](char32_t) { return true; },
          [individual](char32_t prev, char32_t cp) {
            bool a = prev >= '0' && prev <= '9', b = cp >= '0' && cp <= '9';
            return a != b || (individual && a && b);
          });
    });
  }

 private:
  bool individual_;
};

class MetaspacePreTokenizer : public PreTokenizer {
 public:
  enum class Prepend { kAlways, kFirst, kNever };
  MetaspacePreTokenizer(std::string replacement, Prepend prepend)
      : replacement_(std::move(replacement)), prepend_(prepend) {}

  void PreTokenize(PreTokenizedText* text, int section_index) const override {
    PreTokenizedText out;
    for (const Range& r : text->pieces) {
      uint32_t begin = static_cast<uint32_t>(out.buffer.text.size());
      std::string_view piece = text->Piece(r);
      bool starts_with_space = !piece.empty() && piece[0] == ' ';
      bool starts_with_replacement =
          starts_with_space || piece.substr(0, replacement_.size()) ==
                                   std::string_view(replacement_);
      if (!starts_with_replacement &&
          (prepend_ == Prepend::kAlways ||
           (prepend_ == Prepend::kFirst && section_index == 0))) {
        uint32_t at = r.end > r.begin ? text->buffer.align[r.begin].start
                                      : 0;
        out.buffer.Append(replacement_, Span{at, at});
      }
      for (uint32_t i = r.begin; i < r.end; ++i) {
        if (text->buffer.text[i] == ' ') {
          out.buffer.Append(replacement_, text->buffer.align[i]);
        } else {
          out.buffer.AppendFrom(text->buffer, i, i + 1);
        }
      }
      out.pieces.push_back(
          Range{begin, static_cast<uint32_t>(out.buffer.text.size())});
    }
    *text = std::move(out);
  }

 private:
  std::string replacement_;
  Prepend prepend_;
};

class ReplacePreTokenizer : public PreTokenizer {
 public:
  ReplacePreTokenizer(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void PreTokenize(PreTokenizedText* text, int) const override {
    PreTokenizedText out;
    for (const Range& r : text->pieces) {
      uint32_t begin = static_cast<uint32_t>(out.buffer.text.size());
      size_t pos = r.begin;
      for (auto [b, e] : pattern_.FindAll(text->Piece(r))) {
        out.buffer.AppendFrom(text->buffer, pos, r.begin + b);
        out.buffer.Append(content_,
                          text->buffer.Origin(r.begin + b, r.begin + e));
        pos = r.begin + e;
      }
      out.buffer.AppendFrom(text->buffer, pos, r.end);
      out.pieces.push_back(
          Range{begin, static_cast<uint32_t>(out.buffer.text.size())});
    }
    *text = std::move(out);
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class SplitPreTokenizer : public PreTokenizer {
 public:
  enum class Behavior { kRemoved, kIsolated, kMergedWithPrevious,
                        kMergedWithNext, kContiguous };
  SplitPreTokenizer(Pattern pattern, Behavior behavior, bool invert)
      : pattern_(std::move(pattern)), behavior_(behavior), invert_(invert) {}

  void PreTokenize(PreTokenizedText* text, int) const override {
    SplitEach(text, [this](std::string_view piece, uint32_t base,
                           std::vector<Range>* out) {
      auto add = [&](size_t b, size_t e) {
        if (e > b) {
          out->push_back(Range{base + static_cast<uint32_t>(b),
                               base + static_cast<uint32_t>(e)});
        }
      };
      auto matches = pattern_.FindAll(piece);
      if (invert_) {
        for (auto [b, e] : matches) add(b, e);
        return;
      }
      size_t pos = 0;  // start of the pending piece
      size_t prev_end = 0;
      for (size_t k = 0; k < matches.size(); ++k) {
        auto [b, e] = matches[k];
        switch (behavior_) {
          case Behavior::kRemoved:
            add(pos, b);
            pos = e;
            break;
          case Behavior::kIsolated:
            add(pos, b);
            add(b, e);
            pos = e;
            break;
          case Behavior::kMergedWithPrevious:
            add(pos, e);
            pos = e;
            break;
          case Behavior::kMergedWithNext:
            add(pos, b);
            pos = b;
            break;
          case Behavior::kContiguous:
            if (k == 0 || b != prev_end) {
              add(pos, b);
              pos = b;
            }
            if (k + 1 == matches.size() || matches[k + 1].first != e) {
              add(pos, e);
              pos = e;
            }
            break;
        }
        prev_end = e;
      }
      add(pos, piece.size());
    });
  }

 private:
  Pattern pattern_;
  Behavior behavior_;
  bool invert_;
};

class SequencePreTokenizer : public PreTokenizer {
 public:
  explicit SequencePreTokenizer(std::vector<std::unique_ptr<PreTokenizer>> steps)
      : steps_(std::move(steps)) {}
  void PreTokenize(PreTokenizedText* text, int section_index) const override {
    for (const auto& step : steps_) step->PreTokenize(text, section_index);
  }
  bool byte_level() const override {
    return !steps_.empty() && steps_.back()->byte_level();
  }

 private:
  std::vector<std::unique_ptr<PreTokenizer>> steps_;
};

absl::Status Unsupported(const JsonFields& fields, std::string_view key,
                         std::string_view value) {
  return absl::InvalidArgumentError(
      StrCat("tokenizer.json: ", fields.path(), " ", key, " \"", value,
             "\" is not supported"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<PreTokenizer>> PreTokenizer::FromJson(
    const JsonFields& fields) {
  INFERD_ASSIGN_OR_RETURN(std::string type, fields.Type());
  if (type == "ByteLevel") {
    INFERD_ASSIGN_OR_RETURN(bool prefix, fields.Bool("add_prefix_space", false));
    INFERD_ASSIGN_OR_RETURN(bool regex, fields.Bool("use_regex", true));
    return std::make_unique<ByteLevelPreTokenizer>(prefix, regex);
  }
  if (type == "BertPreTokenizer") return std::make_unique<BertPreTokenizer>();
  if (type == "Whitespace") return std::make_unique<WhitespacePreTokenizer>();
  if (type == "WhitespaceSplit") {
    return std::make_unique<WhitespaceSplitPreTokenizer>();
  }
  if (type == "Punctuation") {
    INFERD_ASSIGN_OR_RETURN(std::string behavior,
                            fields.String("behavior", "Isolated"));
    if (behavior != "Isolated") return Unsupported(fields, "behavior", behavior);
    return std::make_unique<PunctuationPreTokenizer>();
  }
  if (type == "Digits") {
    INFERD_ASSIGN_OR_RETURN(bool individual,
                            fields.Bool("individual_digits", false));
    return std::make_unique<DigitsPreTokenizer>(individual);
  }
  if (type == "Metaspace") {
    INFERD_ASSIGN_OR_RETURN(std::string replacement,
                            fields.String("replacement", "\xE2\x96\x81"));
    INFERD_ASSIGN_OR_RETURN(std::string scheme,
                            fields.String("prepend_scheme", "always"));
    MetaspacePreTokenizer::Prepend prepend;
    if (scheme == "always") {
      prepend = MetaspacePreTokenizer::Prepend::kAlways;
    } else if (scheme == "first") {
      prepend = MetaspacePreTokenizer::Prepend::kFirst;
    } else if (scheme == "never") {
      prepend = MetaspacePreTokenizer::Prepend::kNever;
    } else {
      return Unsupported(fields, "prepend_scheme", scheme);
    }
    if (replacement.empty()) return fields.Error("replacement", "is empty");
    return std::make_unique<MetaspacePreTokenizer>(std::move(replacement),
                                                   prepend);
  }
  if (type == "Replace") {
    INFERD_ASSIGN_OR_RETURN(Pattern pattern,
                            Pattern::FromJson(fields, "pattern"));
    INFERD_ASSIGN_OR_RETURN(std::string content,
                            fields.String("content", std::string()));
    return std::make_unique<ReplacePreTokenizer>(std::move(pattern),
                                                 std::move(content));
  }
  if (type == "Split") {
    INFERD_ASSIGN_OR_RETURN(Pattern pattern,
                            Pattern::FromJson(fields, "pattern"));
    INFERD_ASSIGN_OR_RETURN(bool invert, fields.Bool("invert", false));
    INFERD_ASSIGN_OR_RETURN(std::string behavior,
                            fields.String("behavior", "Isolated"));
    using B = SplitPreTokenizer::Behavior;
    B b;
    if (behavior == "Removed") {
      b = B::kRemoved;
    } else if (behavior == "Isolated") {
      b = B::kIsolated;
    } else if (behavior == "MergedWithPrevious") {
      b = B::kMergedWithPrevious;
    } else if (behavior == "MergedWithNext") {
      b = B::kMergedWithNext;
    } else if (behavior == "Contiguous") {
      b = B::kContiguous;
    } else {
      return Unsupported(fields, "behavior", behavior);
    }
    return std::make_unique<SplitPreTokenizer>(std::move(pattern), b, invert);
  }
  if (type == "Sequence") {
    INFERD_ASSIGN_OR_RETURN(const boost::json::array* list,
                            fields.Array("pretokenizers", /*required=*/true));
    std::vector<std::unique_ptr<PreTokenizer>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      std::string path = StrCat(fields.path(), ".pretokenizers[", i, "]");
      if ((*list)[i].is_null()) continue;
      if (!(*list)[i].is_object()) {
        return absl::InvalidArgumentError(
            StrCat("tokenizer.json: ", path, " must be an object"));
      }
      if (!steps.empty() && steps.back()->byte_level()) {
        return absl::InvalidArgumentError(
            StrCat("tokenizer.json: ", path,
                   " follows a ByteLevel pre-tokenizer, which is only "
                   "supported as the last step"));
      }
      INFERD_ASSIGN_OR_RETURN(
          std::unique_ptr<PreTokenizer> step,
          FromJson(JsonFields((*list)[i].get_object(), path)));
      steps.push_back(std::move(step));
    }
    return std::make_unique<SequencePreTokenizer>(std::move(steps));
  }
  return Unsupported(fields, "type", type);
}

}  // namespace inferd::text
