#pragma once

// WordPiece (BERT): each pre-token is cut greedily into the longest
// vocabulary entries from the left, continuation pieces spelled with a prefix
// ("##"); a pre-token with any uncoverable part, or longer than
// max_input_chars_per_word characters, becomes the unknown token whole.
//
// Thread-safe: immutable after Create.

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "text/model.h"

namespace inferd::text {

class WordPieceModel : public Model {
 public:
  static absl::StatusOr<std::unique_ptr<WordPieceModel>> Create(
      const JsonFields& fields);

  void Tokenize(std::string_view piece,
                std::vector<ModelToken>* out) const override;
  const Vocab& vocab() const override { return vocab_; }
  int32_t unk_id() const override { return unk_id_; }
  bool fuse_unk() const override { return fuse_unk_; }

 private:
  WordPieceModel() = default;

  Vocab vocab_;
  int32_t unk_id_ = -1;
  bool fuse_unk_ = false;
  std::string prefix_;
  int64_t max_chars_ = 100;
};

}  // namespace inferd::text
