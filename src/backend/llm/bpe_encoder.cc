// The two BPE merge loops of Tokenizer: SentencePiece-style (merge the pair
// whose merged piece has the highest score) and byte-level GPT-2 style (merge
// the pair with the lowest merge rank). Both keep the text as a linked list of
// symbols and a priority queue of candidate pairs; stale candidates (a side
// already merged away) are skipped when popped.

#include <queue>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "backend/llm/tokenizer.h"
#include "backend/llm/utf8.h"

namespace inferd::llm {
namespace {

struct Symbol {
  int prev;
  int next;
  const char* text;
  size_t n;
};

std::vector<Symbol> SplitChars(std::string_view text) {
  std::vector<Symbol> symbols;
  size_t offs = 0;
  while (offs < text.size()) {
    const size_t len = std::min<size_t>(
        Utf8SequenceLength(static_cast<unsigned char>(text[offs])),
        text.size() - offs);
    const int index = static_cast<int>(symbols.size());
    symbols.push_back({index - 1, offs + len == text.size() ? -1 : index + 1,
                       text.data() + offs, len});
    offs += len;
  }
  return symbols;
}

struct SpmPair {
  int left;
  int right;
  float score;
  size_t size;
};
struct SpmOrder {
  bool operator()(const SpmPair& a, const SpmPair& b) const {
    return a.score < b.score || (a.score == b.score && a.left > b.left);
  }
};

struct BpePair {
  int left;
  int right;
  int32_t rank;
  size_t size;
};
struct BpeOrder {
  bool operator()(const BpePair& a, const BpePair& b) const {
    return a.rank > b.rank || (a.rank == b.rank && a.left > b.left);
  }
};

}  // namespace

void Tokenizer::EncodeSpm(std::string_view text,
                          std::vector<int32_t>* out) const {
  std::vector<Symbol> symbols = SplitChars(text);
  std::priority_queue<SpmPair, std::vector<SpmPair>, SpmOrder> queue;
  auto try_pair = [&](int left, int right) {
    if (left < 0 || right < 0) return;
    const std::string_view piece(symbols[left].text,
                                 symbols[left].n + symbols[right].n);
    const int32_t id = Find(piece);
    if (id < 0) return;
    queue.push({left, right, scores_[id], piece.size()});
  };
  for (size_t i = 1; i < symbols.size(); ++i) try_pair(i - 1, i);

  while (!queue.empty()) {
    const SpmPair pair = queue.top();
    queue.pop();
    Symbol& left = symbols[pair.left];
    Symbol& right = symbols[pair.right];
    if (left.n == 0 || right.n == 0 || left.n + right.n != pair.size) continue;
    left.n += right.n;
    right.n = 0;
    left.next = right.next;
    if (right.next >= 0) symbols[right.next].prev = pair.left;
    try_pair(left.prev, pair.left);
    try_pair(pair.left, left.next);
  }

  // Merged pieces are tokens by construction; a single character that is not
  // in the vocabulary falls back to its byte tokens.
  for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[i].next) {
    const std::string_view piece(symbols[i].text, symbols[i].n);
    const int32_t id = Find(piece);
    if (id >= 0) {
      out->push_back(id);
      continue;
    }
    for (char c : piece) {
      const int32_t b = ByteToken(static_cast<uint8_t>(c));
      out->push_back(b >= 0 ? b : unk_);
    }
  }
}

void Tokenizer::EncodeBpe(std::string_view text,
                          std::vector<int32_t>* out) const {
  std::string word;
  for (std::string_view raw : pre_.Split(text)) {
    word.clear();
    for (char c : raw) word += byte_to_char_[static_cast<uint8_t>(c)];
    if (ignore_merges_) {
      const int32_t id = Find(word);
      if (id >= 0) {
        out->push_back(id);
        continue;
      }
    }
    std::vector<Symbol> symbols = SplitChars(word);
    std::priority_queue<BpePair, std::vector<BpePair>, BpeOrder> queue;
    auto try_pair = [&](int left, int right) {
      if (left < 0 || right < 0) return;
      const int32_t rank =
          MergeRank(std::string_view(symbols[left].text, symbols[left].n),
                    std::string_view(symbols[right].text, symbols[right].n));
      if (rank < 0) return;
      queue.push({left, right, rank, symbols[left].n + symbols[right].n});
    };
    for (size_t i = 1; i < symbols.size(); ++i) try_pair(i - 1, i);
    while (!queue.empty()) {
      const BpePair pair = queue.top();
      queue.pop();
      Symbol& left = symbols[pair.left];
      Symbol& right = symbols[pair.right];
      if (left.n == 0 || right.n == 0 || left.n + right.n != pair.size) {
        continue;
      }
      left.n += right.n;
      right.n = 0;
      left.next = right.next;
      if (right.next >= 0) symbols[right.next].prev = pair.left;
      try_pair(left.prev, pair.left);
      try_pair(pair.left, left.next);
    }
    for (int i = symbols.empty() ? -1 : 0; i != -1; i = symbols[i].next) {
      const std::string_view piece(symbols[i].text, symbols[i].n);
      const int32_t id = Find(piece);
      if (id >= 0) {
        out->push_back(id);
        continue;
      }
      // Not in the vocabulary: one token per mapped byte character.
      for (const CodePoint& cp : DecodeUtf8(piece)) {
        const int32_t b = Find(piece.substr(cp.offset, cp.length));
        out->push_back(b >= 0 ? b : unk_);
      }
    }
  }
}

}  // namespace inferd::llm
