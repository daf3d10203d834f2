#include "backend/llm/tokenizer_loader.h"

#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status_macros.h"

namespace inferd::llm {
namespace {

absl::StatusOr<std::optional<uint64_t>> OptionalId(const GgufFile& file,
                                                   std::string_view key) {
  constexpr uint64_t kAbsent = static_cast<uint64_t>(-1);
  INFERD_ASSIGN_OR_RETURN(uint64_t id, file.GetUintOr(key, kAbsent));
  if (id == kAbsent) return std::nullopt;
  return id;
}

absl::StatusOr<std::optional<bool>> OptionalBool(const GgufFile& file,
                                                 std::string_view key) {
  if (file.Find(key) == nullptr) return std::nullopt;
  INFERD_ASSIGN_OR_RETURN(bool value, file.GetBool(key));
  return value;
}

}  // namespace

absl::StatusOr<text::GgufVocab> ReadGgufVocab(const GgufFile& file) {
  text::GgufVocab v;
  INFERD_ASSIGN_OR_RETURN(v.model, file.GetString("tokenizer.ggml.model"));
  INFERD_ASSIGN_OR_RETURN(const std::vector<std::string_view>* tokens,
                          file.GetStringArray("tokenizer.ggml.tokens"));
  v.tokens = *tokens;
  if (file.Find("tokenizer.ggml.scores") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(v.scores,
                            file.GetFloatArray("tokenizer.ggml.scores"));
  }
  if (file.Find("tokenizer.ggml.token_type") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(v.token_types,
                            file.GetIntArray("tokenizer.ggml.token_type"));
  }
  INFERD_ASSIGN_OR_RETURN(v.bos_token_id,
                          OptionalId(file, "tokenizer.ggml.bos_token_id"));
  INFERD_ASSIGN_OR_RETURN(v.eos_token_id,
                          OptionalId(file, "tokenizer.ggml.eos_token_id"));
  INFERD_ASSIGN_OR_RETURN(v.unknown_token_id,
                          OptionalId(file, "tokenizer.ggml.unknown_token_id"));
  INFERD_ASSIGN_OR_RETURN(v.eot_token_id,
                          OptionalId(file, "tokenizer.ggml.eot_token_id"));
  INFERD_ASSIGN_OR_RETURN(v.add_bos_token,
                          OptionalBool(file, "tokenizer.ggml.add_bos_token"));
  INFERD_ASSIGN_OR_RETURN(
      v.add_space_prefix,
      OptionalBool(file, "tokenizer.ggml.add_space_prefix"));
  // Only byte-level vocabularies use merges and a pre-tokenizer name; other
  // models' values are not read, so a stray one cannot fail the load.
  if (v.model == "gpt2") {
    if (file.Find("tokenizer.ggml.merges") != nullptr) {
      INFERD_ASSIGN_OR_RETURN(const std::vector<std::string_view>* merges,
                              file.GetStringArray("tokenizer.ggml.merges"));
      v.merges = absl::Span<const std::string_view>(*merges);
    }
    if (file.Find("tokenizer.ggml.pre") != nullptr) {
      INFERD_ASSIGN_OR_RETURN(v.pre, file.GetString("tokenizer.ggml.pre"));
    }
  }
  return v;
}

absl::StatusOr<std::unique_ptr<text::GgufTokenizer>> LoadTokenizer(
    const GgufFile& file) {
  INFERD_ASSIGN_OR_RETURN(text::GgufVocab vocab, ReadGgufVocab(file));
  return text::GgufTokenizer::Create(vocab);
}

}  // namespace inferd::llm
