#pragma once

// The tokenizer model: turns one pre-token into vocabulary ids (BPE,
// WordPiece or Unigram), with the byte range each id covers in the pre-token.
//
// Thread-safe: implementations are immutable after creation (no caches), so
// one model serves concurrent Encode calls.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "common/strings.h"
#include "text/json_fields.h"

namespace inferd::text {

// Ids above this are rejected at load: ids index dense tables, so a stray
// huge id in a tokenizer.json must not turn into a huge allocation.
inline constexpr int32_t kMaxTokenId = (1 << 24) - 1;

// One model output: a vocabulary id and the bytes [begin, end) of the
// pre-token it covers.
struct ModelToken {
  int32_t id;
  uint32_t begin;
  uint32_t end;
};

// Token strings and ids, both ways.
class Vocab {
 public:
  // Sets the token of `id`; ids may be sparse. When `token` is already
  // another id's, Find() answers the later id, or with `keep_first` the
  // earlier one (GGUF vocabularies, as llama.cpp reads them).
  void Add(std::string token, int32_t id, bool keep_first = false) {
    if (id >= static_cast<int32_t>(tokens_.size())) tokens_.resize(id + 1);
    tokens_[id] = token;
    if (keep_first) {
      ids_.try_emplace(std::move(token), id);
    } else {
      ids_.insert_or_assign(std::move(token), id);
    }
  }
  void Reserve(size_t n) {
    tokens_.reserve(n);
    ids_.reserve(n);
  }
  // -1 when absent.
  int32_t Find(std::string_view token) const {
    auto it = ids_.find(ToAbsl(token));
    return it == ids_.end() ? -1 : it->second;
  }
  // Empty for unassigned ids.
  const std::string& Token(int32_t id) const { return tokens_[id]; }
  int32_t size() const { return static_cast<int32_t>(tokens_.size()); }

 private:
  std::vector<std::string> tokens_;
  absl::flat_hash_map<std::string, int32_t> ids_;
};

class Model {
 public:
  virtual ~Model() = default;

  // Appends the tokens of `piece` to `out`.
  virtual void Tokenize(std::string_view piece,
                        std::vector<ModelToken>* out) const = 0;

  // The model's vocabulary, with token strings as tokenizer.json has them
  // (byte-level BPE keeps its "Ġ"-style strings here).
  virtual const Vocab& vocab() const = 0;

  // Id of the unknown token, or -1.
  virtual int32_t unk_id() const = 0;

  // Whether runs of unknown tokens collapse into one.
  virtual bool fuse_unk() const = 0;

  // Builds the model in `fields` (tokenizer.json "model"). `byte_level` says
  // the pre-tokenizer is ByteLevel, so pieces arrive as raw bytes.
  static absl::StatusOr<std::unique_ptr<Model>> FromJson(
      const JsonFields& fields, bool byte_level);
};

}  // namespace inferd::text
