#pragma once

// Byte-pair encoding: a pre-token starts as characters (or, under a ByteLevel
// pre-tokenizer, bytes) and adjacent pairs merge by rank, lowest rank first,
// leftmost first among equals, until no ranked pair is left.
//
// Byte-level vocabularies are decoded from GPT-2's alphabet at load, so
// encoding works on raw bytes with no per-call string mapping. Merges are a
// hash from a pair of symbol ids to (rank, merged symbol). A pre-token that
// is itself a vocabulary entry which BPE would leave whole (checked for every
// entry at load) is answered with one lookup. There is no mutable cache, so
// the model is immutable and serves concurrent callers.
//
// Supports unk_token, fuse_unk, byte_fallback, ignore_merges,
// end_of_word_suffix and continuing_subword_suffix with the reference's
// semantics; dropout is ignored (inference).
//
// This is the one BPE merge loop of inferd: tokenizer.json models come from
// FromJson, GGUF vocabularies (text/gguf_tokenizer.h) build their Options
// from the vocabulary arrays, SentencePiece-style ones with merges derived
// from the token scores.
//
// Thread-safe: immutable after creation.

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "text/model.h"

namespace inferd::text {

class BpeModel : public Model {
 public:
  // Two adjacent symbols, spelled as the vocabulary spells tokens, that merge
  // into one. Lower ranks merge first; among equal ranks the leftmost pair.
  struct MergeRule {
    std::string_view left;
    std::string_view right;
    int32_t rank;
  };
  // What a symbol the vocabulary lacks becomes.
  enum class ByteFallback {
    kNone,               // the unknown token (nothing without one)
    kAllBytesOrUnknown,  // each byte's token if every byte has one, else
                         // the unknown token (tokenizer.json byte_fallback)
    kEachByte,           // each byte's token, the unknown token for a byte
                         // without one (GGUF, as llama.cpp)
  };
  struct Options {
    Vocab vocab;
    // Views need only outlive Create().
    std::vector<MergeRule> merges;
    // A pair listed twice: tokenizer.json keeps the later rule, llama.cpp
    // (GGUF) the first.
    bool first_duplicate_merge_wins = false;
    // Pieces arrive as raw bytes and the vocabulary is spelled in GPT-2's
    // byte alphabet (see byte_level.h); entries outside it are unreachable.
    bool byte_level = false;
    int32_t unk_id = -1;
    bool fuse_unk = false;
    ByteFallback byte_fallback = ByteFallback::kNone;
    // Token of each byte for byte_fallback; default: the "<0xXX>" entries.
    std::optional<std::array<int32_t, 256>> byte_fallback_ids;
    bool ignore_merges = false;
    std::string end_of_word_suffix;
    std::string continuing_subword_suffix;
  };
  static std::unique_ptr<BpeModel> Create(Options options);

  // The model of a tokenizer.json "model" object of type BPE.
  static absl::StatusOr<std::unique_ptr<BpeModel>> FromJson(
      const JsonFields& fields, bool byte_level);

  void Tokenize(std::string_view piece,
                std::vector<ModelToken>* out) const override;
  const Vocab& vocab() const override { return vocab_; }
  int32_t unk_id() const override { return unk_id_; }
  bool fuse_unk() const override { return fuse_unk_; }

 private:
  BpeModel() = default;

  struct Merge {
    int32_t rank;
    int32_t result;  // symbol id
  };
  struct Symbol {
    int32_t id;  // symbol id, -1 for a character no merge or token knows
    uint32_t begin;
    uint32_t end;
  };

  // Symbol id for `text`, adding it when absent.
  int32_t Intern(std::string text);
  const Merge* FindMerge(int32_t left, int32_t right) const {
    if (left < 0 || right < 0) return nullptr;
    auto it = merges_.find((static_cast<uint64_t>(left) << 32) |
                           static_cast<uint32_t>(right));
    return it == merges_.end() ? nullptr : &it->second;
  }
  void InitialSymbols(std::string_view piece, std::vector<Symbol>* word) const;
  void ApplyMerges(std::vector<Symbol>* word) const;
  void Emit(const std::vector<Symbol>& word,
            std::vector<ModelToken>* out) const;
  void EmitUnknown(std::string_view bytes, uint32_t begin, uint32_t end,
                   std::vector<ModelToken>* out) const;

  Vocab vocab_;
  bool byte_level_ = false;
  int32_t unk_id_ = -1;
  bool fuse_unk_ = false;
  ByteFallback byte_fallback_ = ByteFallback::kNone;
  bool ignore_merges_ = false;
  std::string end_of_word_suffix_;
  std::string continuing_subword_suffix_;

  // Symbols: every string a token, merge part or merge result spells, in the
  // pieces' own encoding (raw bytes under ByteLevel).
  std::vector<std::string> symbol_text_;
  std::vector<int32_t> symbol_vocab_id_;  // -1 when not a vocabulary entry
  std::vector<bool> symbol_whole_;        // BPE keeps this token whole
  absl::flat_hash_map<std::string, int32_t> symbols_;
  int32_t byte_symbol_[256];  // ByteLevel: symbol of each single byte
  absl::flat_hash_map<uint64_t, Merge> merges_;
  std::array<int32_t, 256> byte_fallback_ids_;  // -1 when absent
};

}  // namespace inferd::text
