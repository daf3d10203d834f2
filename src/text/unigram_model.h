#pragma once

// Unigram (SentencePiece): the segmentation of each pre-token that maximizes
// the sum of piece log-probabilities (Viterbi over a lattice of vocabulary
// matches found with a byte trie); a character no piece covers becomes the
// unknown token, scored 10 below the lowest piece. Ties resolve as the
// reference does: the earliest-starting predecessor wins.
//
// Thread-safe: immutable after Create.

#include <memory>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "text/model.h"

namespace inferd::text {

class UnigramModel : public Model {
 public:
  static absl::StatusOr<std::unique_ptr<UnigramModel>> Create(
      const JsonFields& fields);

  void Tokenize(std::string_view piece,
                std::vector<ModelToken>* out) const override;
  const Vocab& vocab() const override { return vocab_; }
  int32_t unk_id() const override { return unk_id_; }
  // The reference always fuses unknown runs for Unigram.
  bool fuse_unk() const override { return true; }

 private:
  UnigramModel() = default;

  Vocab vocab_;
  std::vector<double> scores_;  // by id
  int32_t unk_id_ = -1;
  double unk_score_ = 0;
  // Byte trie: child of (node, byte); node_token_[node] is the id ending
  // there or -1. Node 0 is the root.
  absl::flat_hash_map<uint64_t, int32_t> children_;
  std::vector<int32_t> node_token_;
};

}  // namespace inferd::text
