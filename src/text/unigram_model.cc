#include "text/unigram_model.h"

#include <algorithm>
#include <limits>

#include "common/status_macros.h"
#include "text/unicode.h"

namespace inferd::text {

absl::StatusOr<std::unique_ptr<UnigramModel>> UnigramModel::Create(
    const JsonFields& fields) {
  std::unique_ptr<UnigramModel> m(new UnigramModel());
  INFERD_ASSIGN_OR_RETURN(const boost::json::array* vocab,
                          fields.Array("vocab", /*required=*/true));
  if (vocab->empty()) return fields.Error("vocab", "is empty");
  INFERD_ASSIGN_OR_RETURN(int64_t unk, fields.Int("unk_id", -1));
  m->scores_.resize(vocab->size());
  m->node_token_.push_back(-1);
  double min_score = std::numeric_limits<double>::infinity();
  for (size_t id = 0; id < vocab->size(); ++id) {
    const boost::json::value& v = (*vocab)[id];
    const boost::json::array* entry = v.if_array();
    if (entry == nullptr || entry->size() != 2 || !(*entry)[0].is_string() ||
        !(*entry)[1].is_number()) {
      return fields.Error("vocab", StrCat("[", id, "] must be [piece, score]"));
    }
    std::string piece(ToView((*entry)[0].get_string()));
    m->scores_[id] = (*entry)[1].to_number<double>();
    min_score = std::min(min_score, m->scores_[id]);
    m->vocab_.Add(piece, static_cast<int32_t>(id));
  }
  // Trie over the pieces as the vocabulary maps them (last duplicate wins).
  for (int32_t id = 0; id < m->vocab_.size(); ++id) {
    const std::string& piece = m->vocab_.Token(id);
    if (piece.empty() || m->vocab_.Find(piece) != id) continue;
    int32_t node = 0;
    for (unsigned char b : piece) {
      uint64_t key = (static_cast<uint64_t>(node) << 8) | b;
      auto it = m->children_.find(key);
      if (it == m->children_.end()) {
        int32_t child = static_cast<int32_t>(m->node_token_.size());
        m->node_token_.push_back(-1);
        m->children_.emplace(key, child);
        node = child;
      } else {
        node = it->second;
      }
    }
    m->node_token_[node] = id;
  }
  if (unk < 0 || unk >= static_cast<int64_t>(vocab->size())) {
    return fields.Error("unk_id", "must name a vocabulary entry");
  }
  m->unk_id_ = static_cast<int32_t>(unk);
  m->unk_score_ = min_score - 10;
  m->scores_[m->unk_id_] = m->unk_score_;
  return m;
}

void UnigramModel::Tokenize(std::string_view piece,
                            std::vector<ModelToken>* out) const {
  if (piece.empty()) return;
  size_t n = piece.size();
  // best[j]: best score of a segmentation of piece[0, j); from[j]: the last
  // token's start and id. Only character boundaries are reached.
  constexpr double kUnset = -std::numeric_limits<double>::infinity();
  std::vector<double> best(n + 1, kUnset);
  std::vector<uint32_t> from(n + 1, 0);
  std::vector<int32_t> token(n + 1, -1);
  std::vector<bool> reached(n + 1, false);
  best[0] = 0;
  reached[0] = true;
  size_t i = 0;
  while (i < n) {
    size_t char_len =
        unicode::SequenceLength(static_cast<unsigned char>(piece[i]));
    bool single = false;
    auto relax = [&](size_t j, int32_t id, double score) {
      double s = best[i] + score;
      if (!reached[j] || s > best[j]) {
        best[j] = s;
        from[j] = static_cast<uint32_t>(i);
        token[j] = id;
        reached[j] = true;
      }
    };
    int32_t node = 0;
    for (size_t j = i; j < n; ++j) {
      auto it = children_.find((static_cast<uint64_t>(node) << 8) |
                               static_cast<unsigned char>(piece[j]));
      if (it == children_.end()) break;
      node = it->second;
      int32_t id = node_token_[node];
      if (id >= 0) {
        relax(j + 1, id, scores_[id]);
        if (j + 1 == i + char_len) single = true;
      }
    }
    if (!single) relax(i + char_len, unk_id_, unk_score_);
    i += char_len;
  }
  size_t first = out->size();
  for (size_t j = n; j > 0; j = from[j]) {
    out->push_back(ModelToken{token[j], from[j], static_cast<uint32_t>(j)});
  }
  std::reverse(out->begin() + first, out->end());
}

}  // namespace inferd::text
