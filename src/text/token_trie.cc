#include "text/token_trie.h"

#include <algorithm>
#include <numeric>

namespace inferd::text {

std::shared_ptr<const TokenTrie> TokenTrie::Create(const std::vector<std::string>& token_bytes) {
  auto trie = std::make_shared<TokenTrie>();
  trie->bytes_ = token_bytes;
  trie->vocab_size_ = static_cast<int32_t>(token_bytes.size());
  // Sorting the tokens by their bytes gives the depth-first order directly:
  // each token's node follows the nodes of its longest shared prefix with
  // the token before it.
  std::vector<int32_t> order(token_bytes.size());
  std::iota(order.begin(), order.end(), 0);
  order.erase(std::remove_if(order.begin(), order.end(),
                             [&](int32_t id) { return token_bytes[id].empty(); }),
              order.end());
  std::stable_sort(order.begin(), order.end(),
                   [&](int32_t a, int32_t b) { return token_bytes[a] < token_bytes[b]; });
  std::vector<int32_t> path;  // node index per depth - 1
  const std::string* prev = nullptr;
  for (int32_t id : order) {
    const std::string& s = token_bytes[id];
    size_t common = 0;
    if (prev != nullptr) {
      const size_t n = std::min(prev->size(), s.size());
      while (common < n && (*prev)[common] == s[common]) ++common;
    }
    // Nodes deeper than the shared prefix are complete.
    for (size_t d = common; d < path.size(); ++d) {
      trie->nodes_[path[d]].subtree_end = static_cast<int32_t>(trie->nodes_.size());
    }
    path.resize(common);
    for (size_t d = common; d < s.size(); ++d) {
      path.push_back(static_cast<int32_t>(trie->nodes_.size()));
      trie->nodes_.push_back({static_cast<uint8_t>(s[d]), static_cast<uint16_t>(d + 1), 0,
                              static_cast<int32_t>(trie->token_ids_.size()),
                              static_cast<int32_t>(trie->token_ids_.size())});
    }
    trie->token_ids_.push_back(id);
    trie->nodes_[path.back()].tokens_end = static_cast<int32_t>(trie->token_ids_.size());
    trie->max_depth_ = std::max(trie->max_depth_, static_cast<int32_t>(s.size()));
    prev = &s;
  }
  for (int32_t n : path) trie->nodes_[n].subtree_end = static_cast<int32_t>(trie->nodes_.size());
  return trie;
}

}  // namespace inferd::text
