#pragma once

// Pre-tokenizers: cut normalized text into pieces (pre-tokens) that the model
// tokenizes independently: BERT, ByteLevel, Whitespace, WhitespaceSplit,
// Metaspace, Split (String or Regex pattern), Punctuation, Digits, Replace
// and Sequence.
//
// Like the reference implementation (@huggingface/tokenizers, JavaScript),
// most pre-tokenizers find all matches of one pattern and drop what lies
// between them (BERT drops whitespace, Whitespace uses ASCII `\w`), and
// Metaspace replaces spaces without splitting. ByteLevel only splits (with
// GPT-2's pattern, matched by WordSplitter) and adds the prefix
// space; the byte-to-character mapping is folded into the BPE model, which
// then works on raw bytes (see BpeModel).
//
// Thread-safe: immutable after creation.

#include <memory>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "text/json_fields.h"
#include "text/normalized_text.h"

namespace inferd::text {

class PreTokenizer {
 public:
  virtual ~PreTokenizer() = default;

  // Replaces `text->pieces` by their pre-tokens. `section_index` is the index
  // of the text section between added tokens (Metaspace's "first" scheme).
  virtual void PreTokenize(PreTokenizedText* text, int section_index) const = 0;

  // True when this is (or ends with) a ByteLevel pre-tokenizer: the model
  // must then work on bytes.
  virtual bool byte_level() const { return false; }

  // Builds the pre-tokenizer described by `fields` (a tokenizer.json
  // "pre_tokenizer" object). Unknown types are InvalidArgument naming them.
  static absl::StatusOr<std::unique_ptr<PreTokenizer>> FromJson(
      const JsonFields& fields);
};

}  // namespace inferd::text
