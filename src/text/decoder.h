#pragma once

// Decoders: turn token strings back into text: ByteLevel, WordPiece,
// Metaspace, BPEDecoder, CTC, Replace, Fuse, Strip, ByteFallback and
// Sequence, each with the reference's (@huggingface/tokenizers, JavaScript)
// semantics. A decoder rewrites a list of strings; the tokenizer joins the
// final list.
//
// Thread-safe: immutable after creation.

#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "text/json_fields.h"

namespace inferd::text {

class Decoder {
 public:
  virtual ~Decoder() = default;

  // Rewrites `tokens`. `added` holds the contents of added tokens, which the
  // ByteLevel decoder passes through unmapped.
  virtual void DecodeChain(std::vector<std::string>* tokens,
                           const absl::flat_hash_set<std::string>& added)
      const = 0;

  static absl::StatusOr<std::unique_ptr<Decoder>> FromJson(
      const JsonFields& fields);
};

// The reference's clean_up_tokenization: " ." -> "." and similar.
std::string CleanUpTokenization(std::string text);

}  // namespace inferd::text
