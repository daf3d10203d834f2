// Fuzzes tokenizer.json: the Hugging Face tokenizer file a model folder
// brings (normalizers, pre-tokenizers, WordPiece/BPE/Unigram models,
// post-processors, decoders, added tokens). Input: the JSON, then a NUL
// byte, then a text that a tokenizer which loads encodes and decodes.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "text/tokenizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\0');
  std::string_view json = input.substr(0, split);
  std::string_view text = split == std::string_view::npos ? "Hello world" : input.substr(split + 1);
  absl::StatusOr<std::unique_ptr<inferd::text::Tokenizer>> tokenizer =
      inferd::text::Tokenizer::FromJson(json);
  if (!tokenizer.ok()) return 0;
  absl::StatusOr<inferd::text::Encoding> encoding = (*tokenizer)->Encode(text, text);
  if (encoding.ok()) (void)(*tokenizer)->Decode(encoding->ids);
  return 0;
}
