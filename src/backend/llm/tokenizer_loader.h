#pragma once

// Reads the tokenizer metadata (`tokenizer.ggml.*`) of a GGUF file into
// text::GgufVocab and builds the model's tokenizer from it; the tokenizer
// itself lives in text/ (text/gguf_tokenizer.h), which knows nothing of the
// file format.
//
// Encoders (`tokenizer.ggml.model` = "bert", WordPiece) get the Hugging Face
// tokenizer stack instead (text/tokenizer.h: BertNormalizer,
// BertPreTokenizer, WordPiece, [CLS] ... [SEP]), described by the
// tokenizer.json it would have had: llama.cpp's converter writes word-start
// pieces with a leading U+2581 and continuation pieces bare, which map back
// to WordPiece's bare and "##" spellings. GGUF has no key for lowercasing:
// a vocabulary without upper-case letters (bracketed tokens such as [CLS]
// aside) is uncased (lowercase, strip accents, as BERT's uncased tokenizers
// do), one with them is cased.
//
// Thread-safe: free functions; `file` is only read.

#include <memory>

#include "absl/status/statusor.h"
#include "backend/llm/gguf_file.h"
#include "text/gguf_tokenizer.h"
#include "text/gguf_vocab.h"
#include "text/tokenizer.h"

namespace inferd::llm {

// The vocabulary arrays and settings of `file`; views into the file's
// mapping. Errors name the metadata key that is missing or has the wrong
// type.
absl::StatusOr<text::GgufVocab> ReadGgufVocab(const GgufFile& file);

// ReadGgufVocab, then text::GgufTokenizer::Create.
absl::StatusOr<std::unique_ptr<text::GgufTokenizer>> LoadTokenizer(
    const GgufFile& file);

// The WordPiece tokenizer of a "bert" vocabulary. CLS is
// tokenizer.ggml.bos_token_id (else "[CLS]"), SEP
// tokenizer.ggml.seperator_token_id (GGUF's spelling; else "[SEP]"), the
// unknown token tokenizer.ggml.unknown_token_id (else "[UNK]"); control
// tokens are special (matched in text, skipped when decoding).
// InvalidArgument names the key or token that is missing.
absl::StatusOr<std::unique_ptr<text::Tokenizer>> LoadWordPieceTokenizer(
    const GgufFile& file);

}  // namespace inferd::llm
