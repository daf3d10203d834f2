#include "text/bpe_model.h"

#include <algorithm>
#include <climits>
#include <cstdio>
#include <queue>
#include <utility>

#include "common/status_macros.h"
#include "text/byte_level.h"
#include "text/unicode.h"

namespace inferd::text {
namespace {

// Above this many symbols a pre-token is merged with a heap instead of
// rescanning the pair ranks after every merge.
constexpr size_t kHeapThreshold = 48;

}  // namespace

int32_t BpeModel::Intern(std::string text) {
  auto it = symbols_.find(text);
  if (it != symbols_.end()) return it->second;
  int32_t id = static_cast<int32_t>(symbol_text_.size());
  symbol_text_.push_back(text);
  symbol_vocab_id_.push_back(-1);
  symbols_.emplace(std::move(text), id);
  return id;
}

std::unique_ptr<BpeModel> BpeModel::Create(Options options) {
  std::unique_ptr<BpeModel> m(new BpeModel());
  m->vocab_ = std::move(options.vocab);
  m->byte_level_ = options.byte_level;
  m->unk_id_ = options.unk_id;
  m->fuse_unk_ = options.fuse_unk;
  m->byte_fallback_ = options.byte_fallback;
  m->ignore_merges_ = options.ignore_merges;
  m->end_of_word_suffix_ = std::move(options.end_of_word_suffix);
  m->continuing_subword_suffix_ = std::move(options.continuing_subword_suffix);
  const bool byte_level = m->byte_level_;

  // Converts a vocabulary string to the pieces' encoding.
  auto to_piece = [byte_level](std::string_view s) -> std::optional<std::string> {
    if (!byte_level) return std::string(s);
    return byte_level::Decode(s);
  };

  const Vocab& vocab = m->vocab_;
  m->symbols_.reserve(static_cast<size_t>(vocab.size()) * 2);
  for (int32_t id = 0; id < vocab.size(); ++id) {
    const std::string& token = vocab.Token(id);
    if (token.empty() || vocab.Find(token) != id) continue;
    std::optional<std::string> text = to_piece(token);
    if (!text) continue;  // not spelled in the byte alphabet: unreachable
    int32_t sym = m->Intern(std::move(*text));
    m->symbol_vocab_id_[sym] = id;
  }

  m->merges_.reserve(options.merges.size());
  std::string joined;
  for (const MergeRule& rule : options.merges) {
    std::optional<std::string> pa = to_piece(rule.left);
    std::optional<std::string> pb = to_piece(rule.right);
    if (!pa || !pb) continue;
    joined.assign(*pa).append(*pb);
    const int32_t left = m->Intern(std::move(*pa));
    const int32_t right = m->Intern(std::move(*pb));
    const int32_t result = m->Intern(joined);
    const uint64_t key =
        (static_cast<uint64_t>(left) << 32) | static_cast<uint32_t>(right);
    if (options.first_duplicate_merge_wins) {
      m->merges_.try_emplace(key, Merge{rule.rank, result});
    } else {
      m->merges_.insert_or_assign(key, Merge{rule.rank, result});
    }
  }

  for (int b = 0; b < 256; ++b) {
    if (options.byte_fallback_ids) {
      m->byte_fallback_ids_[b] = (*options.byte_fallback_ids)[b];
    } else {
      char name[8];
      std::snprintf(name, sizeof(name), "<0x%02X>", b);
      m->byte_fallback_ids_[b] = vocab.Find(name);
    }
    auto it = m->symbols_.find(std::string(1, static_cast<char>(b)));
    m->byte_symbol_[b] = it == m->symbols_.end() ? -1 : it->second;
  }

  // Which vocabulary entries BPE leaves whole when they are a pre-token.
  m->symbol_whole_.assign(m->symbol_text_.size(), false);
  if (m->end_of_word_suffix_.empty()) {
    std::vector<Symbol> word;
    for (size_t sym = 0; sym < m->symbol_text_.size(); ++sym) {
      if (m->symbol_vocab_id_[sym] < 0) continue;
      word.clear();
      m->InitialSymbols(m->symbol_text_[sym], &word);
      m->ApplyMerges(&word);
      m->symbol_whole_[sym] =
          word.size() == 1 && word[0].id == static_cast<int32_t>(sym);
    }
  }
  return m;
}

absl::StatusOr<std::unique_ptr<BpeModel>> BpeModel::FromJson(
    const JsonFields& fields, bool byte_level) {
  Options o;
  o.byte_level = byte_level;
  INFERD_ASSIGN_OR_RETURN(const boost::json::object* vocab,
                          fields.Object("vocab", /*required=*/true));
  INFERD_ASSIGN_OR_RETURN(const boost::json::array* merges,
                          fields.Array("merges", /*required=*/false));
  INFERD_ASSIGN_OR_RETURN(o.fuse_unk, fields.Bool("fuse_unk", false));
  INFERD_ASSIGN_OR_RETURN(bool byte_fallback,
                          fields.Bool("byte_fallback", false));
  o.byte_fallback = byte_fallback ? ByteFallback::kAllBytesOrUnknown
                                  : ByteFallback::kNone;
  INFERD_ASSIGN_OR_RETURN(o.ignore_merges,
                          fields.Bool("ignore_merges", false));
  INFERD_ASSIGN_OR_RETURN(o.end_of_word_suffix,
                          fields.String("end_of_word_suffix", std::string()));
  INFERD_ASSIGN_OR_RETURN(
      o.continuing_subword_suffix,
      fields.String("continuing_subword_suffix", std::string()));

  o.vocab.Reserve(vocab->size());
  for (const auto& kv : *vocab) {
    std::string_view token(kv.key().data(), kv.key().size());
    std::optional<int64_t> maybe_id = AsInt(kv.value());
    if (!maybe_id) {
      return fields.Error("vocab", StrCat("entry \"", token,
                                          "\" must have an integer id"));
    }
    int64_t id = *maybe_id;
    if (id < 0 || id > kMaxTokenId) {
      return fields.Error("vocab", StrCat("entry \"", token,
                                          "\" has an out-of-range id ", id));
    }
    o.vocab.Add(std::string(token), static_cast<int32_t>(id));
  }

  if (merges != nullptr) {
    o.merges.reserve(merges->size());
    for (size_t rank = 0; rank < merges->size(); ++rank) {
      const boost::json::value& v = (*merges)[rank];
      std::string_view a, b;
      if (v.is_string()) {
        std::string_view s = ToView(v.get_string());
        size_t space = s.find(' ');
        if (space == std::string_view::npos) {
          return fields.Error("merges", StrCat("[", rank, "] \"", s,
                                               "\" is not two tokens"));
        }
        size_t second_end = s.find(' ', space + 1);
        a = s.substr(0, space);
        b = s.substr(space + 1, second_end == std::string_view::npos
                                    ? std::string_view::npos
                                    : second_end - space - 1);
      } else if (v.is_array() && v.get_array().size() == 2 &&
                 v.get_array()[0].is_string() && v.get_array()[1].is_string()) {
        a = ToView(v.get_array()[0].get_string());
        b = ToView(v.get_array()[1].get_string());
      } else {
        return fields.Error("merges", StrCat("[", rank,
                                             "] must be \"a b\" or [a, b]"));
      }
      o.merges.push_back(MergeRule{a, b, static_cast<int32_t>(rank)});
    }
  }

  INFERD_ASSIGN_OR_RETURN(std::string unk,
                          fields.String("unk_token", std::string()));
  if (!unk.empty()) o.unk_id = o.vocab.Find(unk);
  return Create(std::move(o));
}

void BpeModel::InitialSymbols(std::string_view piece,
                              std::vector<Symbol>* word) const {
  if (byte_level_) {
    for (size_t i = 0; i < piece.size(); ++i) {
      word->push_back(Symbol{byte_symbol_[static_cast<uint8_t>(piece[i])],
                             static_cast<uint32_t>(i),
                             static_cast<uint32_t>(i + 1)});
    }
    return;
  }
  size_t i = 0;
  std::string with_suffix;
  while (i < piece.size()) {
    // Lenient: GGUF pieces are raw prompt bytes; valid UTF-8 splits the same.
    size_t len = std::min<size_t>(
        unicode::LenientSequenceLength(static_cast<unsigned char>(piece[i])),
        piece.size() - i);
    std::string_view ch = piece.substr(i, len);
    int32_t id = -1;
    if (i + len >= piece.size() && !end_of_word_suffix_.empty()) {
      with_suffix.assign(ch);
      with_suffix += end_of_word_suffix_;
      auto it = symbols_.find(with_suffix);
      if (it != symbols_.end()) id = it->second;
    } else {
      auto it = symbols_.find(ToAbsl(ch));
      if (it != symbols_.end()) id = it->second;
    }
    word->push_back(Symbol{id, static_cast<uint32_t>(i),
                           static_cast<uint32_t>(i + len)});
    i += len;
  }
}

void BpeModel::ApplyMerges(std::vector<Symbol>* word) const {
  std::vector<Symbol>& w = *word;
  if (w.size() < 2) return;
  if (w.size() <= kHeapThreshold) {
    // ranks[i]: rank of merging w[i] and w[i+1] (INT_MAX: none).
    int32_t ranks[kHeapThreshold];
    auto rank_at = [&](size_t i) {
      const Merge* m = FindMerge(w[i].id, w[i + 1].id);
      return m == nullptr ? INT_MAX : m->rank;
    };
    for (size_t i = 0; i + 1 < w.size(); ++i) ranks[i] = rank_at(i);
    while (w.size() > 1) {
      size_t n = w.size() - 1, best = 0;
      for (size_t i = 1; i < n; ++i) {
        if (ranks[i] < ranks[best]) best = i;
      }
      if (ranks[best] == INT_MAX) break;
      const Merge* m = FindMerge(w[best].id, w[best + 1].id);
      w[best].id = m->result;
      w[best].end = w[best + 1].end;
      w.erase(w.begin() + best + 1);
      for (size_t i = best + 1; i + 1 < n; ++i) ranks[i] = ranks[i + 1];
      if (best + 1 < w.size()) ranks[best] = rank_at(best);
      if (best > 0) ranks[best - 1] = rank_at(best - 1);
    }
    return;
  }
  // Long pre-tokens: a heap of candidate merges, checked when popped.
  size_t n = w.size();
  std::vector<int32_t> prev(n), next(n);
  for (size_t i = 0; i < n; ++i) {
    prev[i] = static_cast<int32_t>(i) - 1;
    next[i] = i + 1 < n ? static_cast<int32_t>(i + 1) : -1;
  }
  struct Candidate {
    int32_t rank, left, right, left_id, right_id;
    bool operator>(const Candidate& o) const {
      return rank != o.rank ? rank > o.rank : left > o.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  auto push = [&](int32_t l, int32_t r) {
    if (l < 0 || r < 0) return;
    if (const Merge* m = FindMerge(w[l].id, w[r].id)) {
      heap.push(Candidate{m->rank, l, r, w[l].id, w[r].id});
    }
  };
  for (size_t i = 0; i + 1 < n; ++i) {
    push(static_cast<int32_t>(i), static_cast<int32_t>(i + 1));
  }
  std::vector<bool> dead(n, false);
  while (!heap.empty()) {
    Candidate c = heap.top();
    heap.pop();
    if (dead[c.left] || dead[c.right] || next[c.left] != c.right ||
        w[c.left].id != c.left_id || w[c.right].id != c.right_id) {
      continue;
    }
    w[c.left].id = FindMerge(c.left_id, c.right_id)->result;
    w[c.left].end = w[c.right].end;
    dead[c.right] = true;
    next[c.left] = next[c.right];
    if (next[c.right] >= 0) prev[next[c.right]] = c.left;
    push(prev[c.left], c.left);
    push(c.left, next[c.left]);
  }
  std::vector<Symbol> out;
  for (size_t i = 0; i < n; ++i) {
    if (!dead[i]) out.push_back(w[i]);
  }
  w = std::move(out);
}

void BpeModel::EmitUnknown(std::string_view bytes, uint32_t begin,
                           uint32_t end, std::vector<ModelToken>* out) const {
  switch (byte_fallback_) {
    case ByteFallback::kNone:
      break;
    case ByteFallback::kAllBytesOrUnknown: {
      bool all = true;
      for (unsigned char b : bytes) all = all && byte_fallback_ids_[b] >= 0;
      if (!all) break;
      for (unsigned char b : bytes) {
        out->push_back(ModelToken{byte_fallback_ids_[b], begin, end});
      }
      return;
    }
    case ByteFallback::kEachByte:
      for (unsigned char b : bytes) {
        const int32_t id =
            byte_fallback_ids_[b] >= 0 ? byte_fallback_ids_[b] : unk_id_;
        if (id >= 0) out->push_back(ModelToken{id, begin, end});
      }
      return;
  }
  if (unk_id_ >= 0) out->push_back(ModelToken{unk_id_, begin, end});
}

void BpeModel::Emit(const std::vector<Symbol>& word,
                    std::vector<ModelToken>* out) const {
  // Without the piece text at hand, unknown symbols are re-read from it by
  // the caller; here `symbol_text_` covers every known symbol.
  for (size_t k = 0; k < word.size(); ++k) {
    const Symbol& s = word[k];
    int32_t id = s.id >= 0 ? symbol_vocab_id_[s.id] : -1;
    if (!continuing_subword_suffix_.empty() && k + 1 < word.size() &&
        s.id >= 0) {
      auto it = symbols_.find(symbol_text_[s.id] + continuing_subword_suffix_);
      id = it == symbols_.end() ? -1 : symbol_vocab_id_[it->second];
    }
    if (id >= 0) {
      out->push_back(ModelToken{id, s.begin, s.end});
    } else {
      out->push_back(ModelToken{-1, s.begin, s.end});  // resolved by Tokenize
    }
  }
}

void BpeModel::Tokenize(std::string_view piece,
                        std::vector<ModelToken>* out) const {
  if (piece.empty()) return;
  uint32_t size = static_cast<uint32_t>(piece.size());
  if (end_of_word_suffix_.empty() || ignore_merges_) {
    auto it = symbols_.find(ToAbsl(piece));
    if (it != symbols_.end() && symbol_vocab_id_[it->second] >= 0 &&
        (ignore_merges_ || symbol_whole_[it->second])) {
      out->push_back(ModelToken{symbol_vocab_id_[it->second], 0, size});
      return;
    }
  }
  // Per-thread scratch space: the model itself stays immutable.
  thread_local std::vector<Symbol> word;
  word.clear();
  InitialSymbols(piece, &word);
  ApplyMerges(&word);
  size_t first = out->size();
  Emit(word, out);
  // Replace unresolved symbols by byte fallback or the unknown token.
  for (size_t k = first; k < out->size(); ++k) {
    if ((*out)[k].id >= 0) continue;
    ModelToken t = (*out)[k];
    std::vector<ModelToken> repl;
    EmitUnknown(piece.substr(t.begin, t.end - t.begin), t.begin, t.end, &repl);
    out->erase(out->begin() + k);
    out->insert(out->begin() + k, repl.begin(), repl.end());
    k += repl.size();
    --k;
  }
}

}  // namespace inferd::text
