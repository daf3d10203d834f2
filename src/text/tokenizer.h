#pragma once

// A Hugging Face tokenizer loaded from tokenizer.json: normalizer,
// pre-tokenizer, model (BPE including byte-level, WordPiece, Unigram),
// post-processor, decoder, added tokens, and the file's truncation and
// padding settings.
//
// Encoding matches the reference implementation, Hugging Face's JavaScript
// `@huggingface/tokenizers`, id for id (checked by the tokenizers_reference
// test on a corpus); offsets, truncation and padding, which the JavaScript
// package does not provide, follow the Rust `tokenizers` crate. A component
// type that is not implemented fails FromJson with InvalidArgument naming it,
// e.g. `tokenizer.json: pre_tokenizer type "Foo" is not supported`.
//
// Where the two references differ, the JavaScript one wins, except where it
// drops information: Split's MergedWithPrevious/MergedWithNext/Contiguous
// behave as in Rust (JavaScript treats them as Isolated), and a ByteLevel
// post-processor keeps a text pair (JavaScript drops it). As in JavaScript,
// Metaspace replaces spaces without splitting, added tokens ignore
// `single_word`, and Precompiled normalizers are approximated by NFKC plus
// the usual whitespace and control-character mapping. Not supported (load
// error): the WordLevel model, the CharDelimiterSplit and FixedLength
// pre-tokenizers, and a ByteLevel pre-tokenizer followed by another one.
//
//   INFERD_ASSIGN_OR_RETURN(auto tokenizer, Tokenizer::FromFile(path));
//   INFERD_ASSIGN_OR_RETURN(Encoding e, tokenizer->Encode("Hello world"));
//
// Thread-safe: immutable after loading; any number of threads may call the
// const methods concurrently.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "text/added_tokens.h"
#include "text/decoder.h"
#include "text/encode_options.h"
#include "text/encoding.h"
#include "text/model.h"
#include "text/normalizer.h"
#include "text/post_processor.h"
#include "text/pre_tokenizer.h"

namespace inferd::text {

// One input of a batch: a text and an optional second text (pair).
struct TextInput {
  std::string_view text;
  std::optional<std::string_view> pair;
};

class Tokenizer {
 public:
  // Parses tokenizer.json contents. InvalidArgument names the bad field or
  // the unsupported component.
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromJson(
      std::string_view json);
  // Reads and parses a tokenizer.json file (NotFound when unreadable).
  static absl::StatusOr<std::unique_ptr<Tokenizer>> FromFile(
      const std::string& path);

  // Encodes `text` (and `pair`) with the file's truncation and fixed-length
  // padding. InvalidArgument when a text is not valid UTF-8.
  absl::StatusOr<Encoding> Encode(
      std::string_view text,
      std::optional<std::string_view> pair = std::nullopt,
      bool add_special_tokens = true) const;

  // Encodes with explicit options (padding to the longest applies to the
  // encoding and its overflowing windows).
  absl::StatusOr<Encoding> Encode(std::string_view text,
                                  std::optional<std::string_view> pair,
                                  const EncodeOptions& options) const;

  // Encodes each input, then pads the batch as `options.padding` says
  // (kBatchLongest: dynamic padding to the longest in the batch).
  absl::StatusOr<std::vector<Encoding>> EncodeBatch(
      absl::Span<const TextInput> inputs, const EncodeOptions& options) const;

  // Text for `ids`. InvalidArgument for an id outside the vocabulary.
  // `clean_up_tokenization_spaces` applies the reference's " ." -> "."
  // cleanup (the JavaScript package's default when its config is empty).
  absl::StatusOr<std::string> Decode(
      absl::Span<const int32_t> ids, bool skip_special_tokens = false,
      bool clean_up_tokenization_spaces = false) const;

  // The options tokenizer.json asks for ("truncation", "padding").
  const EncodeOptions& default_options() const { return default_options_; }

  // -1 when unknown. Includes added tokens.
  int32_t TokenToId(std::string_view token) const;
  // nullopt when out of range or unassigned.
  std::optional<std::string> IdToToken(int32_t id) const;
  int32_t vocab_size() const { return static_cast<int32_t>(tokens_.size()); }
  const std::vector<AddedToken>& added_tokens() const { return added_; }

 private:
  Tokenizer() = default;

  absl::Status Load(std::string_view json);
  // Tokens of one text, before post-processing; `sequence_id` 0 or 1.
  absl::StatusOr<Encoding> EncodeSequence(std::string_view text,
                                          int32_t sequence_id) const;
  // Normalized-space part of EncodeSequence for one plain section.
  void EncodeSection(std::string_view text, uint32_t base, int section_index,
                     int32_t sequence_id, Encoding* out) const;
  void EncodePieces(NormalizedText normalized,
                    std::vector<PreTokenizedText::Range> ranges,
                    int section_index, int32_t sequence_id,
                    Encoding* out) const;
  void AppendToken(int32_t id, Span offsets, int32_t sequence_id,
                   bool special, Encoding* out) const;

  std::unique_ptr<Normalizer> normalizer_;
  std::unique_ptr<PreTokenizer> pre_tokenizer_;
  std::unique_ptr<Model> model_;
  std::unique_ptr<PostProcessor> post_processor_;
  std::unique_ptr<Decoder> decoder_;
  bool trim_offsets_ = false;
  std::string end_of_word_suffix_;  // BPE's, for Decode

  std::vector<AddedToken> added_;
  // Where each added token is looked for: raw input or normalized text,
  // pattern index -> index into added_.
  AddedTokenMatcher raw_matcher_, normalized_matcher_;
  std::vector<int32_t> raw_tokens_, normalized_tokens_;
  // Added-token lookup by exact text (content, or normalized content).
  absl::flat_hash_map<std::string, int32_t> added_by_text_;
  absl::flat_hash_set<std::string> added_contents_;
  absl::flat_hash_set<std::string> special_contents_;

  std::vector<std::string> tokens_;  // id -> token, model and added
  absl::flat_hash_map<std::string, int32_t> ids_;
  EncodeOptions default_options_;
};

}  // namespace inferd::text
