// Fuzzes GGUF files: the header, metadata key/values and tensor table
// (GgufFile), then the model load a repository entry or `inferd serve
// --model` does on them: architecture and hyperparameters, tensor shapes,
// types and offsets, and the tokenizer from the metadata.

#include <cstddef>
#include <cstdint>
#include <string>

#include "backend/llm/gguf_file.h"
#include "backend/llm/model.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  absl::StatusOr<std::unique_ptr<inferd::llm::GgufFile>> file =
      inferd::llm::GgufFile::FromBytes(std::string(reinterpret_cast<const char*>(data), size));
  if (!file.ok()) return 0;
  absl::StatusOr<std::unique_ptr<inferd::llm::Model>> model =
      inferd::llm::Model::FromFile(*std::move(file));
  (void)model;
  return 0;
}
