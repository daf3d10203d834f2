#include "backend/llm/tokenizer.h"

#include <algorithm>
#include <cstdio>

#include "backend/llm/str_cat.h"
#include "backend/llm/utf8.h"

namespace inferd::llm {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<int32_t> OptionalTokenId(const GgufFile& file,
                                        std::string_view key, int32_t n_vocab,
                                        int32_t fallback) {
  absl::StatusOr<uint64_t> id = file.GetUintOr(key, static_cast<uint64_t>(-1));
  if (!id.ok()) return id.status();
  if (*id == static_cast<uint64_t>(-1)) return fallback;
  if (*id >= static_cast<uint64_t>(n_vocab)) {
    return Invalid(Cat("metadata \"", key, "\" = ", *id,
                       " is outside the vocabulary of ", n_vocab, " tokens"));
  }
  return static_cast<int32_t>(*id);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromGguf(
    const GgufFile& file) {
  std::unique_ptr<Tokenizer> tok(new Tokenizer());
  absl::StatusOr<std::string_view> model =
      file.GetString("tokenizer.ggml.model");
  if (!model.ok()) return model.status();
  if (*model == "llama") {
    tok->kind_ = Kind::kLlama;
  } else if (*model == "gpt2") {
    tok->kind_ = Kind::kGpt2;
  } else {
    return Invalid(Cat("unsupported tokenizer.ggml.model \"", *model,
                       "\" (supported: llama, gpt2)"));
  }
  auto tokens = file.GetStringArray("tokenizer.ggml.tokens");
  if (!tokens.ok()) return tokens.status();
  const int32_t n = static_cast<int32_t>((*tokens)->size());
  if (n == 0) return Invalid("tokenizer.ggml.tokens is empty");
  tok->tokens_.reserve(n);
  tok->index_.reserve(n);
  for (int32_t i = 0; i < n; ++i) {
    tok->tokens_.emplace_back((**tokens)[i]);
    // First occurrence wins for duplicated texts.
    tok->index_.emplace(tok->tokens_.back(), i);
  }
  if (file.Find("tokenizer.ggml.scores") != nullptr) {
    auto scores = file.GetFloatArray("tokenizer.ggml.scores");
    if (!scores.ok()) return scores.status();
    if (static_cast<int32_t>(scores->size()) != n) {
      return Invalid(Cat("tokenizer.ggml.scores has ", scores->size(),
                         " entries for ", n, " tokens"));
    }
    tok->scores_ = *std::move(scores);
  } else {
    tok->scores_.assign(n, 0.0f);
  }
  if (file.Find("tokenizer.ggml.token_type") != nullptr) {
    auto types = file.GetIntArray("tokenizer.ggml.token_type");
    if (!types.ok()) return types.status();
    if (static_cast<int32_t>(types->size()) != n) {
      return Invalid(Cat("tokenizer.ggml.token_type has ", types->size(),
                         " entries for ", n, " tokens"));
    }
    tok->types_ = *std::move(types);
  } else {
    tok->types_.assign(n, kNormal);
  }

  const bool llama = tok->kind_ == Kind::kLlama;
  auto bos = OptionalTokenId(file, "tokenizer.ggml.bos_token_id", n,
                             llama ? tok->Find("<s>") : -1);
  auto eos = OptionalTokenId(file, "tokenizer.ggml.eos_token_id", n,
                             llama ? tok->Find("</s>") : -1);
  auto unk = OptionalTokenId(file, "tokenizer.ggml.unknown_token_id", n,
                             llama ? tok->Find("<unk>") : -1);
  auto eot = OptionalTokenId(file, "tokenizer.ggml.eot_token_id", n, -1);
  for (const auto* s : {&bos, &eos, &unk, &eot}) {
    if (!s->ok()) return s->status();
  }
  tok->bos_ = *bos;
  tok->eos_ = *eos;
  tok->unk_ = *unk;
  if (tok->eos_ >= 0) tok->end_tokens_.push_back(tok->eos_);
  if (*eot >= 0 && *eot != tok->eos_) tok->end_tokens_.push_back(*eot);
  for (const char* end : {"<|eot_id|>", "<|im_end|>", "<|endoftext|>",
                          "<|end_of_text|>", "<end_of_turn>"}) {
    const int32_t id = tok->Find(end);
    if (id >= 0 && tok->types_[id] == kControl &&
        std::find(tok->end_tokens_.begin(), tok->end_tokens_.end(), id) ==
            tok->end_tokens_.end()) {
      tok->end_tokens_.push_back(id);
    }
  }
  auto add_bos = file.GetBoolOr("tokenizer.ggml.add_bos_token", llama);
  auto space = file.GetBoolOr("tokenizer.ggml.add_space_prefix", llama);
  if (!add_bos.ok()) return add_bos.status();
  if (!space.ok()) return space.status();
  tok->add_bos_ = *add_bos && tok->bos_ >= 0;
  tok->add_space_prefix_ = *space;

  for (int32_t i = 0; i < n; ++i) {
    const int32_t t = tok->types_[i];
    if ((t == kControl || t == kUserDefined || t == kUnknown) &&
        !tok->tokens_[i].empty()) {
      tok->specials_.push_back(i);
    }
  }
  std::stable_sort(tok->specials_.begin(), tok->specials_.end(),
                   [&](int32_t a, int32_t b) {
                     return tok->tokens_[a].size() > tok->tokens_[b].size();
                   });

  if (llama) {
    tok->byte_tokens_.assign(256, -1);
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      int32_t id = tok->Find(name);
      if (id < 0) id = tok->Find(std::string(1, static_cast<char>(b)));
      tok->byte_tokens_[b] = id;
    }
    return tok;
  }

  // gpt2: bytes map to printable characters: printable Latin-1 to
  // themselves, the rest to U+0100 onwards in byte order.
  int next = 0;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 33 && b <= 126) || (b >= 161 && b <= 172) ||
                           (b >= 174 && b <= 255);
    const uint32_t cp = printable ? b : 256 + next++;
    AppendUtf8(cp, &tok->byte_to_char_[b]);
    tok->char_to_byte_[cp] = static_cast<uint8_t>(b);
  }
  auto merges = file.GetStringArray("tokenizer.ggml.merges");
  if (!merges.ok()) return merges.status();
  tok->merge_ranks_.reserve((*merges)->size());
  for (size_t r = 0; r < (*merges)->size(); ++r) {
    const std::string_view m = (**merges)[r];
    const size_t space_at = m.find(' ', 1);
    if (space_at == std::string_view::npos) {
      return Invalid(Cat("tokenizer.ggml.merges[", r, "] \"", m,
                         "\" is not two pieces separated by a space"));
    }
    tok->merge_ranks_.emplace(std::string(m), static_cast<int32_t>(r));
  }
  std::string_view pre_name;
  if (file.Find("tokenizer.ggml.pre") != nullptr) {
    auto pre = file.GetString("tokenizer.ggml.pre");
    if (!pre.ok()) return pre.status();
    pre_name = *pre;
  }
  auto pre = PreTokenizer::ForName(pre_name);
  if (!pre.ok()) return pre.status();
  tok->pre_ = *pre;
  tok->ignore_merges_ =
      pre_name == "llama3" || pre_name == "llama-bpe" || pre_name == "llama-v3";
  return tok;
}

int32_t Tokenizer::Find(std::string_view text) const {
  auto it = index_.find(AbslView(text));
  return it == index_.end() ? -1 : it->second;
}

int32_t Tokenizer::MergeRank(std::string_view left,
                             std::string_view right) const {
  std::string key;
  key.reserve(left.size() + right.size() + 1);
  key.append(left).append(" ").append(right);
  auto it = merge_ranks_.find(key);
  return it == merge_ranks_.end() ? -1 : it->second;
}

int32_t Tokenizer::ByteToken(uint8_t byte) const {
  return byte_tokens_.empty() ? -1 : byte_tokens_[byte];
}

bool Tokenizer::IsEndOfGeneration(int32_t id) const {
  return std::find(end_tokens_.begin(), end_tokens_.end(), id) !=
         end_tokens_.end();
}

std::vector<int32_t> Tokenizer::Encode(std::string_view text, bool add_bos,
                                       bool parse_special) const {
  std::vector<int32_t> out;
  if (add_bos && add_bos_) out.push_back(bos_);
  // Split into raw-text fragments and special tokens.
  struct Fragment {
    std::string_view text;
    int32_t token = -1;
  };
  std::vector<Fragment> fragments;
  if (parse_special && !specials_.empty()) {
    size_t start = 0, i = 0;
    while (i < text.size()) {
      int32_t hit = -1;
      for (int32_t id : specials_) {
        const std::string& s = tokens_[id];
        if (text.compare(i, s.size(), s) == 0) {
          hit = id;
          break;
        }
      }
      if (hit < 0) {
        ++i;
        continue;
      }
      if (i > start) fragments.push_back({text.substr(start, i - start)});
      fragments.push_back({{}, hit});
      i += tokens_[hit].size();
      start = i;
    }
    if (start < text.size()) fragments.push_back({text.substr(start)});
  } else if (!text.empty()) {
    fragments.push_back({text});
  }
  bool prev_special = true;
  for (const Fragment& f : fragments) {
    if (f.token >= 0) {
      out.push_back(f.token);
      prev_special = true;
      continue;
    }
    if (kind_ == Kind::kLlama) {
      std::string escaped;
      if (add_space_prefix_ && prev_special) escaped = "\xe2\x96\x81";
      for (char c : f.text) {
        if (c == ' ') {
          escaped += "\xe2\x96\x81";
        } else {
          escaped.push_back(c);
        }
      }
      EncodeSpm(escaped, &out);
    } else {
      EncodeBpe(f.text, &out);
    }
    prev_special = false;
  }
  return out;
}

std::string Tokenizer::TokenBytes(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return "";
  const std::string& text = tokens_[id];
  switch (types_[id]) {
    case kControl:
    case kUnused:
      return "";
    case kUserDefined:
      return text;
    case kByte: {
      unsigned value = 0;
      if (text.size() == 6 &&
          std::sscanf(text.c_str(), "<0x%02X>", &value) == 1) {
        return std::string(1, static_cast<char>(value));
      }
      return text;
    }
    case kUnknown:
      return "\xe2\x96\x85";
    default:
      break;
  }
  std::string out;
  if (kind_ == Kind::kLlama) {
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, 3, "\xe2\x96\x81") == 0) {
        out.push_back(' ');
        i += 2;
      } else {
        out.push_back(text[i]);
      }
    }
    return out;
  }
  for (const CodePoint& cp : DecodeUtf8(text)) {
    auto it = char_to_byte_.find(cp.cp);
    if (it != char_to_byte_.end()) {
      out.push_back(static_cast<char>(it->second));
    } else {
      out.append(text, cp.offset, cp.length);
    }
  }
  return out;
}

std::string Tokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += TokenBytes(id);
  return out;
}

}  // namespace inferd::llm
