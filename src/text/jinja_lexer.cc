#include "text/jinja_lexer.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "absl/status/status.h"
#include "common/strings.h"
#include "text/jinja_string.h"

namespace inferd::jinja {
namespace {

absl::Status LineError(int line, std::string_view message) {
  return absl::InvalidArgumentError(
      StrCat("chat template line ", line, ": ", message));
}

bool IsSpace(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

// Python's str.rstrip() over whitespace (ASCII and Unicode).
std::string RStrip(std::string_view s) {
  return PyStrip(s, std::nullopt, false, true);
}

class Lexer {
 public:
  Lexer(std::string source, const LexerOptions& options)
      : src_(std::move(source)), options_(options) {}

  absl::StatusOr<std::vector<Token>> Run() {
    while (pos_ < src_.size()) {
      size_t tag = FindTagStart(pos_);
      if (tag == std::string::npos) {
        EmitText(src_.substr(pos_), line_);
        Advance(src_.size());
        break;
      }
      char kind = src_[tag + 1];  // '{', '%' or '#'
      char sign = tag + 2 < src_.size() ? src_[tag + 2] : '\0';
      std::string text = src_.substr(pos_, tag - pos_);
      int text_line = line_;
      text = ControlLeadingText(std::move(text), sign, kind != '{');
      EmitText(std::move(text), text_line);
      Advance(tag);
      absl::Status status;
      if (kind == '#') {
        status = LexComment();
      } else {
        status = LexTag(kind == '%');
      }
      if (!status.ok()) return status;
    }
    tokens_.push_back(Token{TokenKind::kEnd, "", line_});
    return std::move(tokens_);
  }

 private:
  size_t FindTagStart(size_t from) const {
    size_t pos = from;
    while (true) {
      pos = src_.find('{', pos);
      if (pos == std::string::npos || pos + 1 >= src_.size()) {
        return std::string::npos;
      }
      char next = src_[pos + 1];
      if (next == '{' || next == '%' || next == '#') return pos;
      ++pos;
    }
  }

  // Moves to `pos`, counting newlines.
  void Advance(size_t pos) {
    line_ += static_cast<int>(
        std::count(src_.begin() + pos_, src_.begin() + pos, '\n'));
    pos_ = pos;
  }

  // Applies `{%-` (strip all trailing whitespace of the text) or
  // lstrip_blocks (drop spaces before a block/comment tag that starts a line).
  std::string ControlLeadingText(std::string text, char sign, bool block) {
    if (sign == '-') return RStrip(text);
    if (sign != '+' && options_.lstrip_blocks && block) {
      size_t line_start = text.rfind('\n');
      line_start = line_start == std::string::npos ? 0 : line_start + 1;
      if (line_start > 0 || line_starting_) {
        bool blank = line_start < text.size();
        for (size_t i = line_start; i < text.size(); ++i) {
          if (!IsSpace(text[i])) {
            blank = false;
            break;
          }
        }
        if (blank) text.resize(line_start);
      }
    }
    return text;
  }

  void EmitText(std::string text, int line) {
    if (text.empty()) return;
    if (!tokens_.empty() && tokens_.back().kind == TokenKind::kText) {
      tokens_.back().text += text;
      return;
    }
    tokens_.push_back(Token{TokenKind::kText, std::move(text), line});
  }

  // After a tag's closing delimiter at `after`: `-` strips all following
  // whitespace; trim_blocks drops one newline after block and comment tags.
  void FinishTag(size_t after, char sign, bool block) {
    if (sign == '-') {
      while (after < src_.size() && IsSpace(src_[after])) ++after;
    } else if (sign != '+' && block && options_.trim_blocks &&
               after < src_.size() && src_[after] == '\n') {
      ++after;
    }
    Advance(after);
    line_starting_ = pos_ > 0 && src_[pos_ - 1] == '\n';
  }

  absl::Status LexComment() {
    int start_line = line_;
    size_t content = pos_ + 2;
    if (content < src_.size() &&
        (src_[content] == '-' || src_[content] == '+')) {
      ++content;
    }
    size_t end = src_.find("#}", content);
    if (end == std::string::npos) {
      return LineError(start_line, "unclosed comment: missing \"#}\"");
    }
    char sign = end > content ? src_[end - 1] : '\0';
    FinishTag(end + 2, sign == '-' || sign == '+' ? sign : '\0', true);
    return absl::OkStatus();
  }

  absl::Status LexTag(bool block) {
    int start_line = line_;
    size_t first_token = tokens_.size();
    tokens_.push_back(Token{
        block ? TokenKind::kBlockBegin : TokenKind::kVariableBegin, "", line_});
    size_t p = pos_ + 2;
    if (p < src_.size() && (src_[p] == '-' || src_[p] == '+')) ++p;
    Advance(p);
    int depth = 0;
    while (true) {
      while (pos_ < src_.size() && IsSpace(src_[pos_])) Advance(pos_ + 1);
      if (pos_ >= src_.size()) {
        return LineError(start_line, block ? "unclosed tag: missing \"%}\""
                                           : "unclosed tag: missing \"}}\"");
      }
      if (depth == 0) {
        std::string_view rest(src_.data() + pos_, src_.size() - pos_);
        std::string_view close = block ? "%}" : "}}";
        char sign = '\0';
        size_t close_len = 0;
        if (rest.substr(0, 2) == close) {
          close_len = 2;
        } else if (rest.size() >= 3 &&
                   (rest[0] == '-' || (block && rest[0] == '+')) &&
                   rest.substr(1, 2) == close) {
          sign = rest[0];
          close_len = 3;
        }
        if (close_len > 0) {
          tokens_.push_back(
              Token{block ? TokenKind::kBlockEnd : TokenKind::kVariableEnd, "",
                    line_});
          FinishTag(pos_ + close_len, sign, block);
          if (block && tokens_.size() == first_token + 3 &&
              tokens_[first_token + 1].kind == TokenKind::kName &&
              tokens_[first_token + 1].text == "raw") {
            tokens_.resize(first_token);
            return LexRawBody(start_line);
          }
          return absl::OkStatus();
        }
      }
      absl::Status status = LexExpressionToken(&depth);
      if (!status.ok()) return status;
    }
  }

  // The text up to {% endraw %}, verbatim apart from the endraw tag's own
  // whitespace control.
  absl::Status LexRawBody(int start_line) {
    size_t search = pos_;
    while (true) {
      size_t tag = src_.find("{%", search);
      if (tag == std::string::npos) {
        return LineError(start_line,
                         "unclosed {% raw %}: missing {% endraw %}");
      }
      size_t p = tag + 2;
      char sign = '\0';
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+'))
        sign = src_[p++];
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      if (src_.compare(p, 6, "endraw") != 0) {
        search = tag + 2;
        continue;
      }
      p += 6;
      while (p < src_.size() && IsSpace(src_[p])) ++p;
      char end_sign = '\0';
      if (p < src_.size() && (src_[p] == '-' || src_[p] == '+'))
        end_sign = src_[p++];
      if (src_.compare(p, 2, "%}") != 0) {
        search = tag + 2;
        continue;
      }
      std::string text = src_.substr(pos_, tag - pos_);
      int text_line = line_;
      text = ControlLeadingText(std::move(text), sign, true);
      EmitText(std::move(text), text_line);
      Advance(p);
      FinishTag(p + 2, end_sign, true);
      return absl::OkStatus();
    }
  }

  absl::Status LexExpressionToken(int* depth) {
    char c = src_[pos_];
    int line = line_;
    if (std::isalpha(static_cast<unsigned char>(c)) || c == '_') {
      size_t end = pos_ + 1;
      while (end < src_.size() &&
             (std::isalnum(static_cast<unsigned char>(src_[end])) ||
              src_[end] == '_')) {
        ++end;
      }
      tokens_.push_back(
          Token{TokenKind::kName, src_.substr(pos_, end - pos_), line});
      Advance(end);
      return absl::OkStatus();
    }
    if (std::isdigit(static_cast<unsigned char>(c))) return LexNumber();
    if (c == '\'' || c == '"') return LexString();
    static constexpr std::string_view kTwoChar[] = {
        "//", "**", "==", "!=", "<=", ">="};
    for (std::string_view op : kTwoChar) {
      if (src_.compare(pos_, 2, op) == 0) {
        tokens_.push_back(Token{TokenKind::kOperator, std::string(op), line});
        Advance(pos_ + 2);
        return absl::OkStatus();
      }
    }
    static constexpr std::string_view kOneChar = "+-*/%~<>=()[]{},.:|";
    if (kOneChar.find(c) != std::string_view::npos) {
      if (c == '(' || c == '[' || c == '{') ++*depth;
      if (c == ')' || c == ']' || c == '}') {
        if (*depth == 0) {
          return LineError(line,
                           StrCat("unexpected \"", std::string(1, c), "\""));
        }
        --*depth;
      }
      tokens_.push_back(Token{TokenKind::kOperator, std::string(1, c), line});
      Advance(pos_ + 1);
      return absl::OkStatus();
    }
    return LineError(line, StrCat("unexpected character \"", std::string(1, c),
                                  "\" in a tag"));
  }

  absl::Status LexNumber() {
    int line = line_;
    size_t p = pos_;
    auto digits = [&] {
      while (p < src_.size() &&
             (std::isdigit(static_cast<unsigned char>(src_[p])) ||
              (src_[p] == '_' && p + 1 < src_.size() &&
               std::isdigit(static_cast<unsigned char>(src_[p + 1]))))) {
        ++p;
      }
    };
    digits();
    bool is_float = false;
    if (p + 1 < src_.size() && src_[p] == '.' &&
        std::isdigit(static_cast<unsigned char>(src_[p + 1]))) {
      is_float = true;
      ++p;
      digits();
    }
    if (p < src_.size() && (src_[p] == 'e' || src_[p] == 'E')) {
      size_t q = p + 1;
      if (q < src_.size() && (src_[q] == '+' || src_[q] == '-')) ++q;
      if (q < src_.size() &&
          std::isdigit(static_cast<unsigned char>(src_[q]))) {
        is_float = true;
        p = q;
        digits();
      }
    }
    std::string text = src_.substr(pos_, p - pos_);
    text.erase(std::remove(text.begin(), text.end(), '_'), text.end());
    Token token{is_float ? TokenKind::kFloat : TokenKind::kInteger, text, line};
    if (is_float) {
      token.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      errno = 0;
      token.int_value = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) {
        return LineError(line, StrCat("integer ", text, " is out of range"));
      }
    }
    tokens_.push_back(std::move(token));
    Advance(p);
    return absl::OkStatus();
  }

  // A quoted string with Python's escapes (\n, \t, \xNN, \uNNNN, ...);
  // unknown escapes keep their backslash, as in Python.
  absl::Status LexString() {
    int line = line_;
    char quote = src_[pos_];
    size_t p = pos_ + 1;
    std::string value;
    while (true) {
      if (p >= src_.size()) return LineError(line, "unterminated string");
      char c = src_[p];
      if (c == quote) break;
      if (c != '\\') {
        value.push_back(c);
        ++p;
        continue;
      }
      if (p + 1 >= src_.size()) return LineError(line, "unterminated string");
      char e = src_[p + 1];
      p += 2;
      auto hex = [&](int n) -> int64_t {
        if (p + n > src_.size()) return -1;
        int64_t v = 0;
        for (int i = 0; i < n; ++i) {
          char h = src_[p + i];
          if (!std::isxdigit(static_cast<unsigned char>(h))) return -1;
          v = v * 16 + (std::isdigit(static_cast<unsigned char>(h))
                            ? h - '0'
                            : (std::tolower(h) - 'a' + 10));
        }
        p += n;
        return v;
      };
      switch (e) {
        case 'n':
          value += '\n';
          break;
        case 't':
          value += '\t';
          break;
        case 'r':
          value += '\r';
          break;
        case '\\':
          value += '\\';
          break;
        case '\'':
          value += '\'';
          break;
        case '"':
          value += '"';
          break;
        case 'a':
          value += '\a';
          break;
        case 'b':
          value += '\b';
          break;
        case 'f':
          value += '\f';
          break;
        case 'v':
          value += '\v';
          break;
        case '\n':
          break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          int64_t cp = hex(e == 'x' ? 2 : (e == 'u' ? 4 : 8));
          if (cp < 0 || cp > 0x10FFFF) {
            return LineError(line, StrCat("bad \\", std::string(1, e),
                                          " escape in a string"));
          }
          AppendUtf8(static_cast<uint32_t>(cp), &value);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            int v = e - '0';
            for (int i = 0;
                 i < 2 && p < src_.size() && src_[p] >= '0' && src_[p] <= '7';
                 ++i) {
              v = v * 8 + (src_[p++] - '0');
            }
            AppendUtf8(static_cast<uint32_t>(v), &value);
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    tokens_.push_back(Token{TokenKind::kString, std::move(value), line});
    Advance(p + 1);
    return absl::OkStatus();
  }

  std::string src_;
  LexerOptions options_;
  size_t pos_ = 0;
  int line_ = 1;
  bool line_starting_ = true;
  std::vector<Token> tokens_;
};

// \r\n and \r become \n; one trailing newline goes.
std::string NormalizeNewlines(std::string_view source) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out.push_back('\n');
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out.push_back(source[i]);
    }
  }
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Token>> Tokenize(std::string_view source,
                                            const LexerOptions& options) {
  return Lexer(NormalizeNewlines(source), options).Run();
}

}  // namespace inferd::jinja
