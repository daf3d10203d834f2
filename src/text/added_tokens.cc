#include "text/added_tokens.h"

namespace inferd::text {

AddedTokenMatcher::AddedTokenMatcher(const std::vector<std::string>& patterns) {
  terminal_.push_back(-1);
  for (size_t i = 0; i < patterns.size(); ++i) {
    const std::string& p = patterns[i];
    lengths_.push_back(static_cast<uint32_t>(p.size()));
    if (p.empty()) continue;
    first_byte_[static_cast<unsigned char>(p[0])] = true;
    int32_t node = 0;
    for (unsigned char b : p) {
      uint64_t key = (static_cast<uint64_t>(node) << 8) | b;
      auto it = children_.find(key);
      if (it == children_.end()) {
        int32_t child = static_cast<int32_t>(terminal_.size());
        terminal_.push_back(-1);
        children_.emplace(key, child);
        node = child;
      } else {
        node = it->second;
      }
    }
    terminal_[node] = static_cast<int32_t>(i);  // a later duplicate wins
  }
}

void AddedTokenMatcher::Split(std::string_view text,
                              std::vector<Section>* out) const {
  uint32_t n = static_cast<uint32_t>(text.size());
  uint32_t start = 0, i = 0;
  while (i < n) {
    int32_t match = -1;
    if (first_byte_[static_cast<unsigned char>(text[i])]) {
      int32_t node = 0;
      for (uint32_t j = i; j < n; ++j) {
        auto it = children_.find((static_cast<uint64_t>(node) << 8) |
                                 static_cast<unsigned char>(text[j]));
        if (it == children_.end()) break;
        node = it->second;
        if (terminal_[node] >= 0) match = terminal_[node];
      }
    }
    if (match >= 0) {
      if (i > start) out->push_back(Section{start, i, -1});
      out->push_back(Section{i, i + lengths_[match], match});
      i += lengths_[match];
      start = i;
    } else {
      ++i;
    }
  }
  if (start < n) out->push_back(Section{start, n, -1});
}

}  // namespace inferd::text
