#pragma once

// Added tokens (tokenizer.json "added_tokens": special tokens such as [CLS]
// or <|endoftext|>, and user additions) and the matcher that finds them in
// text before the model runs.
//
// Matching follows the reference (@huggingface/tokenizers, JavaScript): a
// left-to-right scan taking the longest added token that starts at each
// position; `single_word` is not applied. Tokens with normalized=false (and
// all of them when there is no normalizer) are matched in the raw input,
// the others in the normalized text.
//
// Thread-safe: immutable after construction.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"

namespace inferd::text {

struct AddedToken {
  std::string content;
  int32_t id = -1;
  bool special = false;
  bool lstrip = false;  // swallow whitespace before the token
  bool rstrip = false;  // swallow whitespace after the token
  bool normalized = true;
};

class AddedTokenMatcher {
 public:
  // A stretch of text: either plain text (token == -1) or an added token
  // (index into the list given to the constructor).
  struct Section {
    uint32_t begin;
    uint32_t end;
    int32_t token;
  };

  AddedTokenMatcher() = default;
  // `patterns[i]` is what to look for; Section::token reports `i`.
  explicit AddedTokenMatcher(const std::vector<std::string>& patterns);

  bool empty() const { return lengths_.empty(); }

  // Sections of `text` in order; plain sections are never empty.
  void Split(std::string_view text, std::vector<Section>* out) const;

 private:
  // Byte trie: child of (node, byte); terminal_[node] is the pattern index.
  absl::flat_hash_map<uint64_t, int32_t> children_;
  std::vector<int32_t> terminal_;
  std::vector<uint32_t> lengths_;
  bool first_byte_[256] = {};
};

}  // namespace inferd::text
