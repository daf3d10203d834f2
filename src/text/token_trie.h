#pragma once

// The tokens of a vocabulary as a byte trie, laid out in depth-first order
// so that walking it against a grammar is one forward scan that skips a
// whole subtree as soon as its prefix is refused (GrammarConstraint).
//
// Tokens with no bytes (control tokens) are not in the trie: a grammar can
// never ask for them.
//
// Thread-safety: immutable after Create(); share it between sequences.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace inferd::text {

class TokenTrie {
 public:
  struct Node {
    uint8_t byte;          // the edge into this node
    uint16_t depth;        // bytes from the root, >= 1
    int32_t subtree_end;   // index just past this node's descendants
    int32_t tokens_begin;  // range in token_ids() of tokens ending here
    int32_t tokens_end;
  };

  // `token_bytes[id]` is the output of token `id`.
  static std::shared_ptr<const TokenTrie> Create(const std::vector<std::string>& token_bytes);

  const std::vector<Node>& nodes() const { return nodes_; }
  const std::vector<int32_t>& token_ids() const { return token_ids_; }
  int32_t vocab_size() const { return vocab_size_; }
  int32_t max_depth() const { return max_depth_; }
  const std::string& bytes(int32_t token) const { return bytes_[token]; }

 private:
  std::vector<Node> nodes_;
  std::vector<int32_t> token_ids_;
  std::vector<std::string> bytes_;
  int32_t vocab_size_ = 0;
  int32_t max_depth_ = 0;
};

}  // namespace inferd::text
