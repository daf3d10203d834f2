#include "text/gguf_tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <utility>

#include "common/strings.h"
#include "text/byte_level.h"
#include "text/unicode.h"

namespace inferd::text {
namespace {

constexpr std::string_view kSpaceMark = "\xe2\x96\x81";  // U+2581

absl::StatusOr<int32_t> TokenId(const std::optional<uint64_t>& id,
                                std::string_view key, int32_t n_vocab,
                                int32_t fallback) {
  if (!id) return fallback;
  if (*id >= static_cast<uint64_t>(n_vocab)) {
    return absl::InvalidArgumentError(StrCat("metadata \"", key, "\" = ", *id,
                                             " is outside the vocabulary of ",
                                             n_vocab, " tokens"));
  }
  return static_cast<int32_t>(*id);
}

// SentencePiece BPE merges the adjacent pair whose joined text is the token
// with the highest score, leftmost first among equal scores. That is rank
// BPE with a merge for every split of a token into two symbols that can
// occur, ranked by the token's score: symbols are merged tokens or single
// characters, and a character is what the lenient UTF-8 split of
// BpeModel makes (a lead byte and up to its sequence length, fewer at the
// end of the text).
std::vector<BpeModel::MergeRule> MergesFromScores(
    const GgufVocab& vocab, const std::vector<float>& scores,
    const Vocab& index) {
  auto key = [](float s) {
    return std::isnan(s) ? -std::numeric_limits<float>::infinity() : s;
  };
  std::vector<float> distinct;
  distinct.reserve(scores.size());
  for (float s : scores) distinct.push_back(key(s));
  std::sort(distinct.begin(), distinct.end(), std::greater<float>());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  auto rank_of = [&](float s) {
    return static_cast<int32_t>(std::lower_bound(distinct.begin(),
                                                 distinct.end(), key(s),
                                                 std::greater<float>()) -
                                distinct.begin());
  };
  auto possible_symbol = [&](std::string_view s) {
    return s.size() <= static_cast<size_t>(unicode::LenientSequenceLength(
                           static_cast<unsigned char>(s[0]))) ||
           index.Find(s) >= 0;
  };
  std::vector<BpeModel::MergeRule> merges;
  const int32_t n = static_cast<int32_t>(vocab.tokens.size());
  for (int32_t id = 0; id < n; ++id) {
    const std::string_view text = vocab.tokens[id];
    if (text.size() < 2 || index.Find(text) != id) continue;
    const int32_t rank = rank_of(scores[id]);
    for (size_t k = 1; k < text.size(); ++k) {
      const std::string_view left = text.substr(0, k);
      const std::string_view right = text.substr(k);
      if (possible_symbol(left) && possible_symbol(right)) {
        merges.push_back({left, right, rank});
      }
    }
  }
  return merges;
}

}  // namespace

absl::StatusOr<std::unique_ptr<GgufTokenizer>> GgufTokenizer::Create(
    const GgufVocab& vocab) {
  std::unique_ptr<GgufTokenizer> tok(new GgufTokenizer());
  if (vocab.model == "llama") {
    tok->kind_ = Kind::kLlama;
  } else if (vocab.model == "gpt2") {
    tok->kind_ = Kind::kGpt2;
  } else {
    return absl::InvalidArgumentError(
        StrCat("unsupported tokenizer.ggml.model \"", vocab.model,
               "\" (supported: llama, gpt2)"));
  }
  const bool llama = tok->kind_ == Kind::kLlama;
  const int32_t n = static_cast<int32_t>(vocab.tokens.size());
  if (n == 0) {
    return absl::InvalidArgumentError("tokenizer.ggml.tokens is empty");
  }
  std::vector<float> scores = vocab.scores;
  if (scores.empty()) {
    scores.assign(n, 0.0f);
  } else if (static_cast<int32_t>(scores.size()) != n) {
    return absl::InvalidArgumentError(StrCat("tokenizer.ggml.scores has ",
                                             scores.size(), " entries for ", n,
                                             " tokens"));
  }
  tok->types_ = vocab.token_types;
  if (tok->types_.empty()) {
    tok->types_.assign(n, GgufVocab::kNormal);
  } else if (static_cast<int32_t>(tok->types_.size()) != n) {
    return absl::InvalidArgumentError(StrCat("tokenizer.ggml.token_type has ",
                                             tok->types_.size(),
                                             " entries for ", n, " tokens"));
  }

  BpeModel::Options options;
  options.vocab.Reserve(n);
  for (int32_t i = 0; i < n; ++i) {
    // As llama.cpp: the first id wins for a text listed twice.
    options.vocab.Add(std::string(vocab.tokens[i]), i, /*keep_first=*/true);
  }
  const Vocab& index = options.vocab;

  auto find_or = [&](std::string_view text) {
    return llama ? index.Find(text) : -1;
  };
  auto bos = TokenId(vocab.bos_token_id, "tokenizer.ggml.bos_token_id", n,
                     find_or("<s>"));
  auto eos = TokenId(vocab.eos_token_id, "tokenizer.ggml.eos_token_id", n,
                     find_or("</s>"));
  auto unk = TokenId(vocab.unknown_token_id, "tokenizer.ggml.unknown_token_id",
                     n, find_or("<unk>"));
  auto eot = TokenId(vocab.eot_token_id, "tokenizer.ggml.eot_token_id", n, -1);
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
    const int32_t id = index.Find(end);
    if (id >= 0 && tok->types_[id] == GgufVocab::kControl &&
        !tok->IsEndOfGeneration(id)) {
      tok->end_tokens_.push_back(id);
    }
  }
  tok->add_bos_ = vocab.add_bos_token.value_or(llama) && tok->bos_ >= 0;
  tok->add_space_prefix_ = vocab.add_space_prefix.value_or(llama);

  for (int32_t i = 0; i < n; ++i) {
    const int32_t t = tok->types_[i];
    if ((t == GgufVocab::kControl || t == GgufVocab::kUserDefined ||
         t == GgufVocab::kUnknown) &&
        !vocab.tokens[i].empty()) {
      tok->specials_.push_back(i);
      tok->has_user_defined_ |= t == GgufVocab::kUserDefined;
    }
  }
  std::stable_sort(tok->specials_.begin(), tok->specials_.end(),
                   [&](int32_t a, int32_t b) {
                     return vocab.tokens[a].size() > vocab.tokens[b].size();
                   });

  options.unk_id = tok->unk_;
  options.byte_fallback = BpeModel::ByteFallback::kEachByte;
  std::array<int32_t, 256> byte_ids;
  if (llama) {
    for (int b = 0; b < 256; ++b) {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      int32_t id = index.Find(name);
      if (id < 0) id = index.Find(std::string(1, static_cast<char>(b)));
      byte_ids[b] = id;
    }
    options.byte_fallback_ids = byte_ids;
    options.merges = MergesFromScores(vocab, scores, index);
    tok->model_ = BpeModel::Create(std::move(options));
    return tok;
  }

  // gpt2: the vocabulary is spelled in GPT-2's byte alphabet.
  for (int b = 0; b < 256; ++b) {
    byte_ids[b] =
        index.Find(byte_level::Encode(std::string(1, static_cast<char>(b))));
  }
  options.byte_fallback_ids = byte_ids;
  options.byte_level = true;
  if (!vocab.merges) {
    return absl::NotFoundError("missing metadata \"tokenizer.ggml.merges\"");
  }
  options.first_duplicate_merge_wins = true;
  options.merges.reserve(vocab.merges->size());
  for (size_t r = 0; r < vocab.merges->size(); ++r) {
    const std::string_view m = (*vocab.merges)[r];
    const size_t space_at = m.find(' ', 1);
    if (space_at == std::string_view::npos) {
      return absl::InvalidArgumentError(
          StrCat("tokenizer.ggml.merges[", r, "] \"", m,
                 "\" is not two pieces separated by a space"));
    }
    options.merges.push_back({m.substr(0, space_at), m.substr(space_at + 1),
                              static_cast<int32_t>(r)});
  }
  auto splitter = WordSplitter::ForGgufPre(vocab.pre);
  if (!splitter.ok()) return splitter.status();
  tok->splitter_ = *splitter;
  options.ignore_merges = vocab.pre == "llama3" || vocab.pre == "llama-bpe" ||
                          vocab.pre == "llama-v3";
  tok->model_ = BpeModel::Create(std::move(options));
  return tok;
}

bool GgufTokenizer::IsEndOfGeneration(int32_t id) const {
  return std::find(end_tokens_.begin(), end_tokens_.end(), id) !=
         end_tokens_.end();
}

void GgufTokenizer::EncodeText(std::string_view text, bool after_special,
                               std::vector<int32_t>* out) const {
  std::vector<ModelToken> tokens;
  if (kind_ == Kind::kLlama) {
    std::string escaped;
    escaped.reserve(text.size() + kSpaceMark.size());
    if (add_space_prefix_ && after_special) escaped.append(kSpaceMark);
    for (char c : text) {
      if (c == ' ') {
        escaped.append(kSpaceMark);
      } else {
        escaped.push_back(c);
      }
    }
    model_->Tokenize(escaped, &tokens);
  } else {
    std::vector<PreTokenizedText::Range> words;
    splitter_->Split(text, 0, &words);
    for (const PreTokenizedText::Range& w : words) {
      model_->Tokenize(text.substr(w.begin, w.end - w.begin), &tokens);
    }
  }
  for (const ModelToken& t : tokens) out->push_back(t.id);
}

std::vector<int32_t> GgufTokenizer::Encode(std::string_view text, bool add_bos,
                                           bool parse_special) const {
  std::vector<int32_t> out;
  if (add_bos && add_bos_) out.push_back(bos_);
  // Split into raw-text fragments and special tokens.
  struct Fragment {
    std::string_view text;
    int32_t token = -1;
  };
  std::vector<Fragment> fragments;
  // User-defined tokens (GPT-NeoX's runs of spaces, Qwen's <think>) are
  // matched in any text, control and unknown ones only when asked, as
  // llama.cpp and Hugging Face's added tokens do.
  if (!specials_.empty() && (parse_special || has_user_defined_)) {
    size_t start = 0, i = 0;
    while (i < text.size()) {
      int32_t hit = -1;
      for (int32_t id : specials_) {
        if (!parse_special && types_[id] != GgufVocab::kUserDefined) continue;
        const std::string& s = token_text(id);
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
      i += token_text(hit).size();
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
    EncodeText(f.text, prev_special, &out);
    prev_special = false;
  }
  return out;
}

std::string GgufTokenizer::TokenBytes(int32_t id) const {
  if (id < 0 || id >= vocab_size()) return "";
  const std::string& text = token_text(id);
  switch (types_[id]) {
    case GgufVocab::kControl:
    case GgufVocab::kUnused:
      return "";
    case GgufVocab::kUserDefined:
      return text;
    case GgufVocab::kByte: {
      unsigned value = 0;
      if (text.size() == 6 &&
          std::sscanf(text.c_str(), "<0x%02X>", &value) == 1) {
        return std::string(1, static_cast<char>(value));
      }
      return text;
    }
    case GgufVocab::kUnknown:
      return "\xe2\x96\x85";
    default:
      break;
  }
  std::string out;
  out.reserve(text.size());
  if (kind_ == Kind::kLlama) {
    for (size_t i = 0; i < text.size(); ++i) {
      if (text.compare(i, kSpaceMark.size(), kSpaceMark) == 0) {
        out.push_back(' ');
        i += kSpaceMark.size() - 1;
      } else {
        out.push_back(text[i]);
      }
    }
    return out;
  }
  for (const unicode::CodePoint& cp : unicode::DecodeCodePoints(text)) {
    const int byte = byte_level::ByteForChar(cp.cp);
    if (byte >= 0) {
      out.push_back(static_cast<char>(byte));
    } else {
      out.append(text, cp.offset, cp.length);
    }
  }
  return out;
}

std::string GgufTokenizer::Decode(const std::vector<int32_t>& ids) const {
  std::string out;
  for (int32_t id : ids) out += TokenBytes(id);
  return out;
}

}  // namespace inferd::text
