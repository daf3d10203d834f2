#include "backend/llm/tokenizer_loader.h"

#include <cstdint>
#include <optional>
#include <string_view>

#include "boost/json.hpp"
#include "common/status_macros.h"
#include "common/strings.h"

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

constexpr std::string_view kWordStart = "\xe2\x96\x81";  // U+2581

bool IsBracketed(std::string_view token) {
  return token.size() >= 2 && token.front() == '[' && token.back() == ']';
}

// A GGUF "bert" piece in WordPiece's spelling.
std::string WordPieceSpelling(std::string_view token) {
  if (IsBracketed(token)) return std::string(token);
  if (token.substr(0, kWordStart.size()) == kWordStart) {
    return std::string(token.substr(kWordStart.size()));
  }
  return StrCat("##", token);
}

// The id of special token `key`, else of `fallback` in the vocabulary.
absl::StatusOr<int32_t> SpecialId(const GgufFile& file, std::string_view key,
                                  std::string_view fallback,
                                  const std::vector<std::string_view>& tokens) {
  INFERD_ASSIGN_OR_RETURN(std::optional<uint64_t> id, OptionalId(file, key));
  if (id) {
    if (*id >= tokens.size()) {
      return absl::InvalidArgumentError(StrCat("metadata \"", key, "\" = ", *id,
                                               " is outside the vocabulary"));
    }
    return static_cast<int32_t>(*id);
  }
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens[i] == fallback) return static_cast<int32_t>(i);
  }
  return absl::InvalidArgumentError(StrCat("metadata \"", key,
                                           "\" is missing and the vocabulary has no ",
                                           fallback, " token"));
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

absl::StatusOr<std::unique_ptr<text::Tokenizer>> LoadWordPieceTokenizer(
    const GgufFile& file) {
  namespace json = boost::json;
  INFERD_ASSIGN_OR_RETURN(std::string_view model,
                          file.GetString("tokenizer.ggml.model"));
  if (model != "bert") {
    return absl::InvalidArgumentError(
        StrCat("metadata \"tokenizer.ggml.model\" = \"", model,
               "\": an encoder needs \"bert\" (WordPiece)"));
  }
  INFERD_ASSIGN_OR_RETURN(const std::vector<std::string_view>* tokens,
                          file.GetStringArray("tokenizer.ggml.tokens"));
  std::vector<int32_t> types;
  if (file.Find("tokenizer.ggml.token_type") != nullptr) {
    INFERD_ASSIGN_OR_RETURN(types, file.GetIntArray("tokenizer.ggml.token_type"));
    if (types.size() != tokens->size()) {
      return absl::InvalidArgumentError(
          "metadata \"tokenizer.ggml.token_type\" differs in length from "
          "\"tokenizer.ggml.tokens\"");
    }
  }
  INFERD_ASSIGN_OR_RETURN(int32_t cls, SpecialId(file, "tokenizer.ggml.bos_token_id",
                                                 "[CLS]", *tokens));
  INFERD_ASSIGN_OR_RETURN(int32_t sep, SpecialId(file, "tokenizer.ggml.seperator_token_id",
                                                 "[SEP]", *tokens));
  INFERD_ASSIGN_OR_RETURN(int32_t unk, SpecialId(file, "tokenizer.ggml.unknown_token_id",
                                                 "[UNK]", *tokens));
  json::object vocab;
  json::array added;
  bool cased = false;
  for (size_t i = 0; i < tokens->size(); ++i) {
    const std::string_view token = (*tokens)[i];
    const bool control = (!types.empty() && (types[i] == text::GgufVocab::kControl ||
                                             types[i] == text::GgufVocab::kUnknown)) ||
                         static_cast<int32_t>(i) == cls || static_cast<int32_t>(i) == sep ||
                         static_cast<int32_t>(i) == unk;
    std::string spelling = control ? std::string(token) : WordPieceSpelling(token);
    if (control) {
      added.push_back(json::object{{"id", static_cast<int64_t>(i)},
                                   {"content", spelling},
                                   {"single_word", false},
                                   {"lstrip", false},
                                   {"rstrip", false},
                                   {"normalized", false},
                                   {"special", true}});
    } else if (!IsBracketed(token)) {  // [unused0], or [PAD] typed normal
      for (char ch : spelling) cased = cased || (ch >= 'A' && ch <= 'Z');
    }
    // A spelling listed twice keeps its first id, as llama.cpp reads GGUF
    // vocabularies.
    if (!vocab.contains(spelling)) vocab.emplace(spelling, static_cast<int64_t>(i));
  }
  const json::value unk_spelling = json::string(std::string((*tokens)[unk]));
  json::object document{
      {"version", "1.0"},
      {"truncation", nullptr},
      {"padding", nullptr},
      {"added_tokens", std::move(added)},
      {"normalizer", json::object{{"type", "BertNormalizer"},
                                  {"clean_text", true},
                                  {"handle_chinese_chars", true},
                                  {"lowercase", !cased}}},
      {"pre_tokenizer", json::object{{"type", "BertPreTokenizer"}}},
      {"post_processor",
       json::object{{"type", "BertProcessing"},
                    {"cls", json::array{json::string(std::string((*tokens)[cls])), cls}},
                    {"sep", json::array{json::string(std::string((*tokens)[sep])), sep}}}},
      {"decoder", json::object{{"type", "WordPiece"}, {"prefix", "##"}, {"cleanup", true}}},
      {"model", json::object{{"type", "WordPiece"},
                             {"unk_token", unk_spelling},
                             {"continuing_subword_prefix", "##"},
                             {"max_input_chars_per_word", 100},
                             {"vocab", std::move(vocab)}}},
  };
  absl::StatusOr<std::unique_ptr<text::Tokenizer>> tokenizer =
      text::Tokenizer::FromJson(json::serialize(document));
  if (!tokenizer.ok()) {
    return absl::InvalidArgumentError(
        StrCat("tokenizer.ggml.* (bert): ", tokenizer.status().message()));
  }
  return tokenizer;
}

}  // namespace inferd::llm
