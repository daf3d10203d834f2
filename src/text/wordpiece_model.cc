#include "text/wordpiece_model.h"

#include "common/status_macros.h"
#include "text/unicode.h"

namespace inferd::text {

absl::StatusOr<std::unique_ptr<WordPieceModel>> WordPieceModel::Create(
    const JsonFields& fields) {
  std::unique_ptr<WordPieceModel> m(new WordPieceModel());
  INFERD_ASSIGN_OR_RETURN(const boost::json::object* vocab,
                          fields.Object("vocab", /*required=*/true));
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
    m->vocab_.Add(std::string(token), static_cast<int32_t>(id));
  }
  INFERD_ASSIGN_OR_RETURN(std::string unk, fields.String("unk_token", "[UNK]"));
  m->unk_id_ = m->vocab_.Find(unk);
  if (m->unk_id_ < 0) {
    return fields.Error("unk_token",
                        StrCat("\"", unk, "\" is not in the vocabulary"));
  }
  INFERD_ASSIGN_OR_RETURN(m->prefix_,
                          fields.String("continuing_subword_prefix", "##"));
  INFERD_ASSIGN_OR_RETURN(m->max_chars_,
                          fields.Int("max_input_chars_per_word", 100));
  INFERD_ASSIGN_OR_RETURN(m->fuse_unk_, fields.Bool("fuse_unk", false));
  return m;
}

void WordPieceModel::Tokenize(std::string_view piece,
                              std::vector<ModelToken>* out) const {
  if (piece.empty()) return;
  uint32_t size = static_cast<uint32_t>(piece.size());
  // Character boundaries (byte offsets), including the end.
  std::vector<uint32_t> bounds;
  bounds.reserve(piece.size() + 1);
  for (uint32_t i = 0; i < size;) {
    bounds.push_back(i);
    i += unicode::SequenceLength(static_cast<unsigned char>(piece[i]));
  }
  bounds.push_back(size);
  size_t chars = bounds.size() - 1;
  if (static_cast<int64_t>(chars) > max_chars_) {
    out->push_back(ModelToken{unk_id_, 0, size});
    return;
  }
  size_t first = out->size();
  std::string candidate;
  size_t start = 0;
  while (start < chars) {
    size_t end = chars;
    int32_t found = -1;
    while (start < end) {
      std::string_view sub =
          piece.substr(bounds[start], bounds[end] - bounds[start]);
      if (start > 0) {
        candidate.assign(prefix_);
        candidate.append(sub);
        found = vocab_.Find(candidate);
      } else {
        found = vocab_.Find(sub);
      }
      if (found >= 0) break;
      --end;
    }
    if (found < 0) {
      out->resize(first);
      out->push_back(ModelToken{unk_id_, 0, size});
      return;
    }
    out->push_back(ModelToken{found, bounds[start], bounds[end]});
    start = end;
  }
}

}  // namespace inferd::text
