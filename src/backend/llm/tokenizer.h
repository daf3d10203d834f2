#pragma once

// Text <-> token ids for a GGUF model, from the vocabulary in its metadata.
//
// Two algorithms, chosen by `tokenizer.ggml.model`:
//  - "llama": SentencePiece-style BPE. Pieces merge by highest score; text
//    the vocabulary cannot cover falls back to <0xNN> byte tokens; spaces are
//    written as U+2581 and a space is prefixed (add_space_prefix).
//  - "gpt2": byte-level BPE. Text is split into words by the pre-tokenizer
//    named in `tokenizer.ggml.pre`, bytes map to printable characters, and
//    pieces merge by the rank of `tokenizer.ggml.merges`.
// Special (control / user-defined) tokens are matched in the text when
// `parse_special` is set. No library covers GGUF vocabularies (SentencePiece
// and HF tokenizers read their own formats), hence this implementation.
//
// Thread-safety: immutable after FromGguf(); all methods are const and
// thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "backend/llm/gguf_file.h"
#include "backend/llm/pre_tokenizer.h"

namespace inferd::llm {

class Tokenizer {
 public:
  enum class Kind { kLlama, kGpt2 };
  // GGUF token types.
  enum TokenType : int32_t {
    kNormal = 1,
    kUnknown = 2,
    kControl = 3,
    kUserDefined = 4,
    kUnused = 5,
    kByte = 6,
  };

  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromGguf(
      const GgufFile& file);

  // Token ids for `text`. `add_bos` prepends BOS when the vocabulary asks for
  // it (tokenizer.ggml.add_bos_token); `parse_special` turns the text of
  // special tokens into their ids instead of encoding it as plain text.
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
  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
  int32_t bos() const { return bos_; }
  int32_t eos() const { return eos_; }
  bool add_bos() const { return add_bos_; }
  // True for tokens that end generation (EOS, EOT, and other end markers).
  bool IsEndOfGeneration(int32_t id) const;
  const std::string& token_text(int32_t id) const { return tokens_[id]; }
  // -1 when absent.
  int32_t Find(std::string_view text) const;

 private:
  Tokenizer() = default;
  void EncodeSpm(std::string_view text, std::vector<int32_t>* out) const;
  void EncodeBpe(std::string_view text, std::vector<int32_t>* out) const;
  int32_t ByteToken(uint8_t byte) const;
  int32_t MergeRank(std::string_view left, std::string_view right) const;

  Kind kind_ = Kind::kLlama;
  std::vector<std::string> tokens_;
  std::vector<float> scores_;
  std::vector<int32_t> types_;
  absl::flat_hash_map<std::string, int32_t> index_;
  absl::flat_hash_map<std::string, int32_t> merge_ranks_;  // "left right"
  std::vector<int32_t> byte_tokens_;                       // 256 entries
  std::vector<int32_t> specials_;                          // longest text first
  std::vector<int32_t> end_tokens_;
  int32_t bos_ = -1;
  int32_t eos_ = -1;
  int32_t unk_ = -1;
  bool add_bos_ = false;
  bool add_space_prefix_ = true;
  bool ignore_merges_ = false;
  PreTokenizer pre_{PreTokenizer::Options{}};
  // gpt2 byte <-> printable character mapping.
  std::string byte_to_char_[256];
  absl::flat_hash_map<uint32_t, uint8_t> char_to_byte_;
};

}  // namespace inferd::llm
