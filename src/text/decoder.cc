#include "text/decoder.h"

#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "text/byte_level.h"
#include "text/pattern.h"
#include "text/unicode.h"

namespace inferd::text {
namespace {

void ReplaceAll(std::string* s, std::string_view from, std::string_view to) {
  if (from.empty()) return;
  std::string out;
  size_t pos = 0;
  while (true) {
    size_t hit = s->find(from, pos);
    if (hit == std::string::npos) break;
    out.append(*s, pos, hit - pos);
    out.append(to);
    pos = hit + from.size();
  }
  if (pos == 0) return;
  out.append(*s, pos, std::string::npos);
  *s = std::move(out);
}

class ByteLevelDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>& added)
      const override {
    std::vector<std::string> out;
    std::string bytes;
    bool pending = false;
    auto flush = [&] {
      if (pending) out.push_back(unicode::DecodeLossy(bytes));
      bytes.clear();
      pending = false;
    };
    for (std::string& token : *tokens) {
      if (added.contains(token)) {
        flush();
        out.push_back(std::move(token));
        continue;
      }
      pending = true;
      size_t i = 0;
      while (i < token.size()) {
        int len;
        char32_t cp = unicode::Decode(token, i, &len);
        int b = byte_level::ByteForChar(cp);
        if (b >= 0) {
          bytes.push_back(static_cast<char>(b));
        } else {
          bytes.append(token, i, len);
        }
        i += len;
      }
    }
    flush();
    *tokens = std::move(out);
  }
};

class WordPieceDecoder : public Decoder {
 public:
  WordPieceDecoder(std::string prefix, bool cleanup)
      : prefix_(std::move(prefix)), cleanup_(cleanup) {}
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      if (i != 0) {
        if (!prefix_.empty() && t.compare(0, prefix_.size(), prefix_) == 0) {
          t.erase(0, prefix_.size());
        } else {
          t.insert(t.begin(), ' ');
        }
      }
      if (cleanup_) t = CleanUpTokenization(std::move(t));
    }
  }

 private:
  std::string prefix_;
  bool cleanup_;
};

class MetaspaceDecoder : public Decoder {
 public:
  explicit MetaspaceDecoder(std::string replacement)
      : replacement_(std::move(replacement)) {}
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      std::string& t = (*tokens)[i];
      ReplaceAll(&t, replacement_, " ");
      if (i == 0 && !t.empty() && t[0] == ' ') t.erase(0, 1);
    }
  }

 private:
  std::string replacement_;
};

class BpeDecoder : public Decoder {
 public:
  explicit BpeDecoder(std::string suffix) : suffix_(std::move(suffix)) {}
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    for (size_t i = 0; i < tokens->size(); ++i) {
      ReplaceAll(&(*tokens)[i], suffix_, i + 1 == tokens->size() ? "" : " ");
    }
  }

 private:
  std::string suffix_;
};

class CtcDecoder : public Decoder {
 public:
  CtcDecoder(std::string pad, std::string delimiter, bool cleanup)
      : pad_(std::move(pad)), delimiter_(std::move(delimiter)),
        cleanup_(cleanup) {}
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    std::string text;
    for (size_t i = 0; i < tokens->size(); ++i) {
      if (i > 0 && (*tokens)[i] == (*tokens)[i - 1]) continue;
      if ((*tokens)[i] == pad_) continue;
      text += (*tokens)[i];
    }
    if (cleanup_) {
      text = CleanUpTokenization(std::move(text));
      ReplaceAll(&text, delimiter_, " ");
      size_t b = text.find_first_not_of(" \t\n\r\f\v");
      size_t e = text.find_last_not_of(" \t\n\r\f\v");
      text = b == std::string::npos ? "" : text.substr(b, e - b + 1);
    }
    tokens->assign(1, std::move(text));
  }

 private:
  std::string pad_, delimiter_;
  bool cleanup_;
};

class ReplaceDecoder : public Decoder {
 public:
  ReplaceDecoder(Pattern pattern, std::string content)
      : pattern_(std::move(pattern)), content_(std::move(content)) {}
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    for (std::string& t : *tokens) {
      auto matches = pattern_.FindAll(t);
      if (matches.empty()) continue;
      std::string out;
      size_t pos = 0;
      for (auto [b, e] : matches) {
        out.append(t, pos, b - pos);
        out.append(content_);
        pos = e;
      }
      out.append(t, pos, std::string::npos);
      t = std::move(out);
    }
  }

 private:
  Pattern pattern_;
  std::string content_;
};

class FuseDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    std::string all;
    for (const std::string& t : *tokens) all += t;
    tokens->assign(1, std::move(all));
  }
};

class StripDecoder : public Decoder {
 public:
  StripDecoder(std::string content, int64_t start, int64_t stop)
      : content_(std::move(content)), start_(start), stop_(stop) {}
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    size_t clen = content_.size();
    if (clen == 0) return;
    for (std::string& t : *tokens) {
      size_t b = 0, e = t.size();
      for (int64_t i = 0; i < start_ && e - b >= clen &&
                          t.compare(b, clen, content_) == 0;
           ++i) {
        b += clen;
      }
      for (int64_t i = 0; i < stop_ && e - b >= clen &&
                          t.compare(e - clen, clen, content_) == 0;
           ++i) {
        e -= clen;
      }
      t = t.substr(b, e - b);
    }
  }

 private:
  std::string content_;
  int64_t start_, stop_;
};

class ByteFallbackDecoder : public Decoder {
 public:
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>&) const override {
    std::vector<std::string> out;
    std::string bytes;
    auto flush = [&] {
      if (!bytes.empty()) out.push_back(unicode::DecodeLossy(bytes));
      bytes.clear();
    };
    for (std::string& t : *tokens) {
      int byte = -1;
      if (t.size() == 6 && t.compare(0, 3, "<0x") == 0 && t[5] == '>') {
        auto hex = [](char c) {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          if (c >= 'A' && c <= 'F') return c - 'A' + 10;
          return -1;
        };
        int hi = hex(t[3]), lo = hex(t[4]);
        if (hi >= 0 && lo >= 0) byte = hi * 16 + lo;
      }
      if (byte >= 0) {
        bytes.push_back(static_cast<char>(byte));
      } else {
        flush();
        out.push_back(std::move(t));
      }
    }
    flush();
    *tokens = std::move(out);
  }
};

class SequenceDecoder : public Decoder {
 public:
  explicit SequenceDecoder(std::vector<std::unique_ptr<Decoder>> steps)
      : steps_(std::move(steps)) {}
  void DecodeChain(std::vector<std::string>* tokens,
                   const absl::flat_hash_set<std::string>& added)
      const override {
    for (const auto& step : steps_) step->DecodeChain(tokens, added);
  }

 private:
  std::vector<std::unique_ptr<Decoder>> steps_;
};

}  // namespace

std::string CleanUpTokenization(std::string text) {
  static constexpr std::pair<std::string_view, std::string_view> kRules[] = {
      {" .", "."},   {" ?", "?"},     {" !", "!"},     {" ,", ","},
      {" ' ", "'"},  {" n't", "n't"}, {" 'm", "'m"},   {" 's", "'s"},
      {" 've", "'ve"}, {" 're", "'re"}};
  for (auto [from, to] : kRules) ReplaceAll(&text, from, to);
  return text;
}

absl::StatusOr<std::unique_ptr<Decoder>> Decoder::FromJson(
    const JsonFields& fields) {
  INFERD_ASSIGN_OR_RETURN(std::string type, fields.Type());
  if (type == "ByteLevel") return std::make_unique<ByteLevelDecoder>();
  if (type == "WordPiece") {
    INFERD_ASSIGN_OR_RETURN(std::string prefix, fields.String("prefix", "##"));
    INFERD_ASSIGN_OR_RETURN(bool cleanup, fields.Bool("cleanup", false));
    return std::make_unique<WordPieceDecoder>(std::move(prefix), cleanup);
  }
  if (type == "Metaspace") {
    INFERD_ASSIGN_OR_RETURN(std::string replacement,
                            fields.String("replacement", "\xE2\x96\x81"));
    return std::make_unique<MetaspaceDecoder>(std::move(replacement));
  }
  if (type == "BPEDecoder") {
    INFERD_ASSIGN_OR_RETURN(std::string suffix,
                            fields.String("suffix", std::string()));
    return std::make_unique<BpeDecoder>(std::move(suffix));
  }
  if (type == "CTC") {
    INFERD_ASSIGN_OR_RETURN(std::string pad,
                            fields.String("pad_token", std::string()));
    INFERD_ASSIGN_OR_RETURN(
        std::string delimiter,
        fields.String("word_delimiter_token", std::string()));
    INFERD_ASSIGN_OR_RETURN(bool cleanup, fields.Bool("cleanup", false));
    return std::make_unique<CtcDecoder>(std::move(pad), std::move(delimiter),
                                        cleanup);
  }
  if (type == "Replace") {
    INFERD_ASSIGN_OR_RETURN(Pattern pattern,
                            Pattern::FromJson(fields, "pattern"));
    INFERD_ASSIGN_OR_RETURN(std::string content,
                            fields.String("content", std::string()));
    return std::make_unique<ReplaceDecoder>(std::move(pattern),
                                            std::move(content));
  }
  if (type == "Fuse") return std::make_unique<FuseDecoder>();
  if (type == "Strip") {
    INFERD_ASSIGN_OR_RETURN(std::string content,
                            fields.String("content", std::string()));
    INFERD_ASSIGN_OR_RETURN(int64_t start, fields.Int("start", 0));
    INFERD_ASSIGN_OR_RETURN(int64_t stop, fields.Int("stop", 0));
    return std::make_unique<StripDecoder>(std::move(content), start, stop);
  }
  if (type == "ByteFallback") return std::make_unique<ByteFallbackDecoder>();
  if (type == "Sequence") {
    INFERD_ASSIGN_OR_RETURN(const boost::json::array* list,
                            fields.Array("decoders", /*required=*/true));
    std::vector<std::unique_ptr<Decoder>> steps;
    for (size_t i = 0; i < list->size(); ++i) {
      std::string path = StrCat(fields.path(), ".decoders[", i, "]");
      const boost::json::object* o = (*list)[i].if_object();
      if (o == nullptr) {
        return absl::InvalidArgumentError(
            StrCat("tokenizer.json: ", path, " must be an object"));
      }
      INFERD_ASSIGN_OR_RETURN(std::unique_ptr<Decoder> step,
                              FromJson(JsonFields(*o, path)));
      steps.push_back(std::move(step));
    }
    return std::make_unique<SequenceDecoder>(std::move(steps));
  }
  return absl::InvalidArgumentError(StrCat("tokenizer.json: ", fields.path(),
                                           " type \"", type,
                                           "\" is not supported"));
}

}  // namespace inferd::text
