#pragma once

// Reads the tokenizer metadata (`tokenizer.ggml.*`) of a GGUF file into
// text::GgufVocab and builds the model's tokenizer from it; the tokenizer
// itself lives in text/ (text/gguf_tokenizer.h), which knows nothing of the
// file format.
//
// Thread-safe: free functions; `file` is only read.

#include <memory>

#include "absl/status/statusor.h"
#include "backend/llm/gguf_file.h"
#include "text/gguf_tokenizer.h"
#include "text/gguf_vocab.h"

namespace inferd::llm {

// The vocabulary arrays and settings of `file`; views into the file's
// mapping. Errors name the metadata key that is missing or has the wrong
// type.
absl::StatusOr<text::GgufVocab> ReadGgufVocab(const GgufFile& file);

// ReadGgufVocab, then text::GgufTokenizer::Create.
absl::StatusOr<std::unique_ptr<text::GgufTokenizer>> LoadTokenizer(
    const GgufFile& file);

}  // namespace inferd::llm
