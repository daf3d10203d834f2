#include "text/pattern.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "common/strings.h"
#include "text/unicode.h"

namespace inferd::text {

struct Pattern::Code {
  pcre2_code* code = nullptr;
  ~Code() { pcre2_code_free(code); }
};

absl::StatusOr<Pattern> Pattern::Literal(std::string literal) {
  if (literal.empty()) {
    return absl::InvalidArgumentError(
        "tokenizer.json: an empty String pattern matches nothing useful");
  }
  Pattern p;
  p.source_ = std::move(literal);
  return p;
}

absl::StatusOr<Pattern> Pattern::Regex(const std::string& regex,
                                       std::string_view where) {
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(
      reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
      PCRE2_UTF | PCRE2_UCP, &error, &error_offset, nullptr);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof(message));
    return absl::InvalidArgumentError(StrCat(
        "tokenizer.json: ", where, " regex /", regex, "/ does not compile at ",
        error_offset, ": ", reinterpret_cast<const char*>(message)));
  }
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // falls back to interpreting
  Pattern p;
  p.source_ = regex;
  auto c = std::make_shared<Code>();
  c->code = code;
  p.code_ = std::move(c);
  return p;
}

absl::StatusOr<Pattern> Pattern::FromJson(const JsonFields& fields,
                                          std::string_view key) {
  auto object = fields.Object(key, /*required=*/true);
  if (!object.ok()) return object.status();
  JsonFields pattern(**object, StrCat(fields.path(), ".", key));
  if (pattern.Find("String") != nullptr) {
    auto s = pattern.String("String");
    if (!s.ok()) return s.status();
    return Literal(*s);
  }
  if (pattern.Find("Regex") != nullptr) {
    auto s = pattern.String("Regex");
    if (!s.ok()) return s.status();
    return Regex(*s, pattern.path());
  }
  return fields.Error(key, "must have a \"String\" or \"Regex\" member");
}

std::vector<std::pair<size_t, size_t>> Pattern::FindAll(
    std::string_view text) const {
  std::vector<std::pair<size_t, size_t>> out;
  if (code_ == nullptr) {
    size_t pos = 0;
    while ((pos = text.find(source_, pos)) != std::string_view::npos) {
      out.emplace_back(pos, pos + source_.size());
      pos += source_.size();
    }
    return out;
  }
  pcre2_match_data* md =
      pcre2_match_data_create_from_pattern(code_->code, nullptr);
  size_t pos = 0;
  while (pos <= text.size()) {
    int rc = pcre2_match(code_->code,
                         reinterpret_cast<PCRE2_SPTR>(text.data()),
                         text.size(), pos, PCRE2_NO_UTF_CHECK, md, nullptr);
    if (rc < 0) break;
    PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md);
    size_t begin = ov[0], end = ov[1];
    if (end > begin) {
      out.emplace_back(begin, end);
      pos = end;
    } else {
      // Empty match: step over one character, as JavaScript's /gu does.
      if (begin >= text.size()) break;
      pos = begin + unicode::SequenceLength(
                        static_cast<unsigned char>(text[begin]));
    }
  }
  pcre2_match_data_free(md);
  return out;
}

}  // namespace inferd::text
