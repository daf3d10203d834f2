#pragma once

// Text <-> token ids for a GGUF language model, from the vocabulary in its
// metadata (GgufVocab). Encodings match llama.cpp's, which wrote the
// reference encodings the tests check.
//
// Two algorithms, chosen by `tokenizer.ggml.model`:
//  - "llama": SentencePiece-style BPE. Pieces merge by highest score; text
//    the vocabulary cannot cover falls back to <0xNN> byte tokens; spaces are
//    written as U+2581 and a space is prefixed (add_space_prefix). The scores
//    become merge ranks for BpeModel: every split of a token into two
//    possible symbols is a merge, ranked by the token's score.
//  - "gpt2": byte-level BPE. Text is split into words by the pattern named in
//    `tokenizer.ggml.pre` (WordSplitter), and words merge by the rank of
//    `tokenizer.ggml.merges` in BpeModel, as tokenizer.json's byte-level BPE.
// User-defined tokens are matched in any text; control and unknown ones only
// when `parse_special` is set (llama.cpp's rule). SentencePiece and HF
// tokenizers read their own formats, not GGUF's arrays, hence this adapter
// onto text/'s models.
//
// Thread-safety: immutable after Create(); all methods are const and
// thread-safe.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "text/bpe_model.h"
#include "text/gguf_vocab.h"
#include "text/word_splitter.h"

namespace inferd::text {

class GgufTokenizer {
 public:
  enum class Kind { kLlama, kGpt2 };

  // InvalidArgument names the bad metadata key (unsupported model or
  // pre-tokenizer, arrays of the wrong length, ids outside the vocabulary);
  // NotFound when "gpt2" has no merges.
  static absl::StatusOr<std::unique_ptr<GgufTokenizer>> Create(
      const GgufVocab& vocab);

  // Token ids for `text` (any bytes). `add_bos` prepends BOS when the
  // vocabulary asks for it (tokenizer.ggml.add_bos_token); `parse_special`
  // turns the text of control tokens into their ids instead of encoding it
  // as plain text (user-defined tokens are always matched).
  std::vector<int32_t> Encode(std::string_view text, bool add_bos,
                              bool parse_special) const;

  // The bytes token `id` stands for in output text: byte tokens give their
  // byte, control tokens nothing, others their text with the algorithm's
  // space/byte mapping undone. Bytes may be an incomplete UTF-8 character;
  // stream them through Utf8StreamDecoder.
  std::string TokenBytes(int32_t id) const;
  // Concatenated TokenBytes of `ids`.
  std::string Decode(const std::vector<int32_t>& ids) const;

  Kind kind() const { return kind_; }
  int32_t vocab_size() const { return model_->vocab().size(); }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  bool add_bos() const { return add_bos_; }
  // True for tokens that end generation (EOS, EOT, and other end markers).
  bool IsEndOfGeneration(int32_t id) const;
  const std::string& token_text(int32_t id) const {
    return model_->vocab().Token(id);
  }
  // -1 when absent; the first id when a text is listed twice.
  int32_t Find(std::string_view text) const {
    return model_->vocab().Find(text);
  }

 private:
  GgufTokenizer() = default;
  void EncodeText(std::string_view text, bool after_special,
                  std::vector<int32_t>* out) const;

  Kind kind_ = Kind::kLlama;
  std::unique_ptr<BpeModel> model_;
  std::optional<WordSplitter> splitter_;  // kGpt2
  std::vector<int32_t> types_;
  std::vector<int32_t> specials_;  // longest text first
  bool has_user_defined_ = false;  // among specials_
  std::vector<int32_t> end_tokens_;
  int32_t bos_ = -1;
  int32_t eos_ = -1;
  int32_t unk_ = -1;
  bool add_bos_ = false;
  bool add_space_prefix_ = true;
};

}  // namespace inferd::text
