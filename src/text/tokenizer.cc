#include "text/tokenizer.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "text/unicode.h"

namespace inferd::text {
namespace {

using Range = PreTokenizedText::Range;

// JavaScript's trimEnd/trimStart on a byte range of `text`.
void TrimSection(std::string_view text, bool left, bool right,
                 AddedTokenMatcher::Section* s) {
  if (right) {
    while (s->end > s->begin) {
      // Step back over one character.
      uint32_t b = s->end - 1;
      while (b > s->begin &&
             unicode::IsContinuation(static_cast<unsigned char>(text[b]))) {
        --b;
      }
      int len;
      if (!unicode::IsJsWhitespace(unicode::Decode(text, b, &len))) break;
      s->end = b;
    }
  }
  if (left) {
    while (s->begin < s->end) {
      int len;
      if (!unicode::IsJsWhitespace(unicode::Decode(text, s->begin, &len))) {
        break;
      }
      s->begin += len;
    }
  }
}

// Applies the lstrip/rstrip of added tokens to their plain neighbours.
void StripAroundAddedTokens(std::string_view text,
                            const std::vector<AddedToken>& added,
                            const std::vector<int32_t>& pattern_to_token,
                            std::vector<AddedTokenMatcher::Section>* sections) {
  for (size_t i = 0; i < sections->size(); ++i) {
    int32_t t = (*sections)[i].token;
    if (t < 0) continue;
    const AddedToken& token = added[pattern_to_token[t]];
    if (token.lstrip && i > 0 && (*sections)[i - 1].token < 0) {
      TrimSection(text, false, true, &(*sections)[i - 1]);
    }
    if (token.rstrip && i + 1 < sections->size() &&
        (*sections)[i + 1].token < 0) {
      TrimSection(text, true, false, &(*sections)[i + 1]);
    }
  }
}

absl::Status ParseSide(const JsonFields& f, std::string_view key, Side* side) {
  INFERD_ASSIGN_OR_RETURN(std::string s, f.String(key, "Right"));
  if (s == "Right") {
    *side = Side::kRight;
  } else if (s == "Left") {
    *side = Side::kLeft;
  } else {
    return f.Error(key, StrCat("\"", s, "\" is not Left or Right"));
  }
  return absl::OkStatus();
}

absl::Status ParseTruncation(const JsonFields& f, TruncationOptions* t) {
  INFERD_ASSIGN_OR_RETURN(int64_t max_length, f.Int("max_length", 0));
  INFERD_ASSIGN_OR_RETURN(int64_t stride, f.Int("stride", 0));
  if (max_length < 0 || stride < 0) {
    return f.Error("max_length", "and stride must not be negative");
  }
  t->max_length = static_cast<size_t>(max_length);
  t->stride = static_cast<size_t>(stride);
  INFERD_ASSIGN_OR_RETURN(std::string strategy,
                          f.String("strategy", "LongestFirst"));
  if (strategy == "LongestFirst") {
    t->strategy = TruncationOptions::Strategy::kLongestFirst;
  } else if (strategy == "OnlyFirst") {
    t->strategy = TruncationOptions::Strategy::kOnlyFirst;
  } else if (strategy == "OnlySecond") {
    t->strategy = TruncationOptions::Strategy::kOnlySecond;
  } else {
    return f.Error("strategy", StrCat("\"", strategy, "\" is not supported"));
  }
  return ParseSide(f, "direction", &t->direction);
}

absl::Status ParsePadding(const JsonFields& f, PaddingOptions* p) {
  const boost::json::value* strategy = f.Find("strategy");
  p->strategy = PaddingOptions::Strategy::kBatchLongest;
  if (strategy != nullptr && strategy->is_object()) {
    JsonFields s(strategy->get_object(), f.path() + ".strategy");
    INFERD_ASSIGN_OR_RETURN(int64_t fixed, s.Int("Fixed", -1));
    if (fixed < 0) return s.Error("Fixed", "must be a non-negative integer");
    p->strategy = PaddingOptions::Strategy::kFixed;
    p->length = static_cast<size_t>(fixed);
  } else if (strategy != nullptr &&
             !(strategy->is_string() && strategy->get_string() == "BatchLongest")) {
    return f.Error("strategy", "must be \"BatchLongest\" or {\"Fixed\": n}");
  }
  INFERD_RETURN_IF_ERROR(ParseSide(f, "direction", &p->direction));
  INFERD_ASSIGN_OR_RETURN(int64_t multiple, f.Int("pad_to_multiple_of", 0));
  INFERD_ASSIGN_OR_RETURN(int64_t pad_id, f.Int("pad_id", 0));
  INFERD_ASSIGN_OR_RETURN(int64_t pad_type_id, f.Int("pad_type_id", 0));
  INFERD_ASSIGN_OR_RETURN(p->pad_token, f.String("pad_token", "[PAD]"));
  p->pad_to_multiple_of = multiple > 0 ? static_cast<size_t>(multiple) : 0;
  p->pad_id = static_cast<int32_t>(pad_id);
  p->pad_type_id = static_cast<int32_t>(pad_type_id);
  return absl::OkStatus();
}

// Reads optional component `key` of the root as an object (nullptr if null).
absl::StatusOr<const boost::json::object*> Component(const JsonFields& root,
                                                     std::string_view key) {
  return root.Object(key, /*required=*/false);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromJson(
    std::string_view json) {
  std::unique_ptr<Tokenizer> t(new Tokenizer());
  INFERD_RETURN_IF_ERROR(t->Load(json));
  return t;
}

absl::StatusOr<std::unique_ptr<Tokenizer>> Tokenizer::FromFile(
    const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::NotFoundError(StrCat("cannot read ", path));
  std::stringstream buffer;
  buffer << in.rdbuf();
  auto t = FromJson(buffer.str());
  if (!t.ok()) {
    return absl::Status(t.status().code(),
                        StrCat(path, ": ", ToStd(t.status().message())));
  }
  return t;
}

absl::Status Tokenizer::Load(std::string_view json) {
  boost::system::error_code ec;
  boost::json::value root_value =
      boost::json::parse(boost::json::string_view(json.data(), json.size()), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        StrCat("tokenizer.json is not valid JSON: ", ec.message()));
  }
  if (!root_value.is_object()) {
    return absl::InvalidArgumentError("tokenizer.json must be a JSON object");
  }
  JsonFields root(root_value.get_object(), "tokenizer");
  auto sub = [](const boost::json::object& o, std::string_view name) {
    return JsonFields(o, std::string(name));
  };

  INFERD_ASSIGN_OR_RETURN(const boost::json::object* normalizer,
                          Component(root, "normalizer"));
  if (normalizer != nullptr) {
    INFERD_ASSIGN_OR_RETURN(normalizer_,
                            Normalizer::FromJson(sub(*normalizer, "normalizer")));
  }
  INFERD_ASSIGN_OR_RETURN(const boost::json::object* pre,
                          Component(root, "pre_tokenizer"));
  if (pre != nullptr) {
    INFERD_ASSIGN_OR_RETURN(pre_tokenizer_,
                            PreTokenizer::FromJson(sub(*pre, "pre_tokenizer")));
  }
  bool byte_level = pre_tokenizer_ != nullptr && pre_tokenizer_->byte_level();
  INFERD_ASSIGN_OR_RETURN(const boost::json::object* model,
                          root.Object("model", /*required=*/true));
  JsonFields model_fields = sub(*model, "model");
  INFERD_ASSIGN_OR_RETURN(model_, Model::FromJson(model_fields, byte_level));
  INFERD_ASSIGN_OR_RETURN(end_of_word_suffix_,
                          model_fields.String("end_of_word_suffix", ""));

  // Vocabulary: the model's, then the added tokens over it.
  const Vocab& vocab = model_->vocab();
  tokens_.resize(vocab.size());
  ids_.reserve(vocab.size());
  for (int32_t id = 0; id < vocab.size(); ++id) {
    tokens_[id] = vocab.Token(id);
    if (!tokens_[id].empty()) ids_.insert_or_assign(tokens_[id], id);
  }
  INFERD_ASSIGN_OR_RETURN(const boost::json::array* added,
                          root.Array("added_tokens", /*required=*/false));
  std::vector<std::string> raw_patterns, normalized_patterns;
  if (added != nullptr) {
    for (size_t i = 0; i < added->size(); ++i) {
      std::string path = StrCat("added_tokens[", i, "]");
      const boost::json::object* o = (*added)[i].if_object();
      if (o == nullptr) {
        return absl::InvalidArgumentError(
            StrCat("tokenizer.json: ", path, " must be an object"));
      }
      JsonFields f(*o, path);
      AddedToken token;
      INFERD_ASSIGN_OR_RETURN(token.content, f.String("content"));
      INFERD_ASSIGN_OR_RETURN(int64_t id, f.Int("id", -1));
      if (id < 0 || id > kMaxTokenId) {
        return f.Error("id", "must be a non-negative integer");
      }
      if (token.content.empty()) return f.Error("content", "is empty");
      token.id = static_cast<int32_t>(id);
      INFERD_ASSIGN_OR_RETURN(token.special, f.Bool("special", false));
      INFERD_ASSIGN_OR_RETURN(token.lstrip, f.Bool("lstrip", false));
      INFERD_ASSIGN_OR_RETURN(token.rstrip, f.Bool("rstrip", false));
      INFERD_ASSIGN_OR_RETURN(token.normalized,
                              f.Bool("normalized", !token.special));
      if (!unicode::IsValidUtf8(token.content)) {
        return f.Error("content", "is not valid UTF-8");
      }
      int32_t index = static_cast<int32_t>(added_.size());
      if (token.id >= static_cast<int32_t>(tokens_.size())) {
        tokens_.resize(token.id + 1);
      }
      tokens_[token.id] = token.content;
      ids_.insert_or_assign(token.content, token.id);
      added_by_text_.insert_or_assign(token.content, index);
      added_contents_.insert(token.content);
      if (token.special) special_contents_.insert(token.content);
      if (token.normalized && normalizer_ != nullptr) {
        std::string key = normalizer_->NormalizeString(token.content);
        if (!key.empty()) {
          added_by_text_.insert_or_assign(key, index);
          normalized_patterns.push_back(key);
          normalized_tokens_.push_back(index);
        }
      } else {
        raw_patterns.push_back(token.content);
        raw_tokens_.push_back(index);
      }
      added_.push_back(std::move(token));
    }
  }
  raw_matcher_ = AddedTokenMatcher(raw_patterns);
  normalized_matcher_ = AddedTokenMatcher(normalized_patterns);

  INFERD_ASSIGN_OR_RETURN(const boost::json::object* post,
                          Component(root, "post_processor"));
  if (post != nullptr) {
    PostProcessor::TokenLookup lookup = [this](std::string_view token) {
      return TokenToId(token);
    };
    INFERD_ASSIGN_OR_RETURN(
        post_processor_,
        PostProcessor::FromJson(sub(*post, "post_processor"), lookup));
    trim_offsets_ = post_processor_->trim_offsets();
  }
  INFERD_ASSIGN_OR_RETURN(const boost::json::object* decoder,
                          Component(root, "decoder"));
  if (decoder != nullptr) {
    INFERD_ASSIGN_OR_RETURN(decoder_,
                            Decoder::FromJson(sub(*decoder, "decoder")));
  }
  INFERD_ASSIGN_OR_RETURN(const boost::json::object* truncation,
                          Component(root, "truncation"));
  if (truncation != nullptr) {
    INFERD_RETURN_IF_ERROR(ParseTruncation(sub(*truncation, "truncation"),
                                           &default_options_.truncation));
  }
  INFERD_ASSIGN_OR_RETURN(const boost::json::object* padding,
                          Component(root, "padding"));
  if (padding != nullptr) {
    INFERD_RETURN_IF_ERROR(
        ParsePadding(sub(*padding, "padding"), &default_options_.padding));
  }
  return absl::OkStatus();
}

int32_t Tokenizer::TokenToId(std::string_view token) const {
  auto it = ids_.find(ToAbsl(token));
  return it == ids_.end() ? -1 : it->second;
}

std::optional<std::string> Tokenizer::IdToToken(int32_t id) const {
  if (id < 0 || id >= vocab_size() || tokens_[id].empty()) return std::nullopt;
  return tokens_[id];
}

void Tokenizer::AppendToken(int32_t id, Span offsets, int32_t sequence_id,
                            bool special, Encoding* out) const {
  out->ids.push_back(id);
  out->type_ids.push_back(0);
  out->tokens.push_back(tokens_[id]);
  out->offsets.push_back(offsets);
  out->sequence_ids.push_back(sequence_id);
  out->attention_mask.push_back(1);
  out->special_tokens_mask.push_back(special ? 1 : 0);
}

void Tokenizer::EncodePieces(NormalizedText normalized,
                             std::vector<Range> ranges, int section_index,
                             int32_t sequence_id, Encoding* out) const {
  PreTokenizedText pt;
  pt.buffer = std::move(normalized);
  pt.pieces = std::move(ranges);
  if (pre_tokenizer_ != nullptr) pre_tokenizer_->PreTokenize(&pt, section_index);
  size_t first = out->size();
  bool fuse = model_->fuse_unk();
  int32_t unk = model_->unk_id();
  std::vector<ModelToken> tokens;
  for (const Range& r : pt.pieces) {
    if (r.end <= r.begin) continue;
    tokens.clear();
    model_->Tokenize(pt.Piece(r), &tokens);
    for (const ModelToken& t : tokens) {
      uint32_t b = r.begin + t.begin, e = r.begin + t.end;
      Span offsets = pt.buffer.Origin(b, e);
      if (trim_offsets_) {
        uint32_t tb = b, te = e;
        while (tb < te && pt.buffer.text[tb] == ' ') ++tb;
        while (te > tb && pt.buffer.text[te - 1] == ' ') --te;
        offsets = tb < te ? pt.buffer.Origin(tb, te)
                          : Span{offsets.end, offsets.end};
      }
      if (fuse && t.id == unk && out->size() > first && out->ids.back() == unk) {
        out->offsets.back().end = std::max(out->offsets.back().end, offsets.end);
        continue;
      }
      AppendToken(t.id, offsets, sequence_id, false, out);
    }
  }
}

void Tokenizer::EncodeSection(std::string_view text, uint32_t base,
                              int section_index, int32_t sequence_id,
                              Encoding* out) const {
  NormalizedText normalized = NormalizedText::FromOriginal(text, base);
  if (normalizer_ != nullptr) normalizer_->Normalize(&normalized);
  if (normalized.text.empty()) return;
  uint32_t size = static_cast<uint32_t>(normalized.text.size());
  if (normalized_matcher_.empty()) {
    EncodePieces(std::move(normalized), {Range{0, size}}, section_index,
                 sequence_id, out);
    return;
  }
  std::vector<AddedTokenMatcher::Section> sections;
  normalized_matcher_.Split(normalized.text, &sections);
  StripAroundAddedTokens(normalized.text, added_, normalized_tokens_,
                         &sections);
  for (const auto& s : sections) {
    if (s.end <= s.begin) continue;
    if (s.token >= 0) {
      const AddedToken& token = added_[normalized_tokens_[s.token]];
      AppendToken(token.id, normalized.Origin(s.begin, s.end), sequence_id,
                  token.special, out);
      continue;
    }
    std::string_view piece =
        std::string_view(normalized.text).substr(s.begin, s.end - s.begin);
    auto it = added_by_text_.find(ToAbsl(piece));
    if (it != added_by_text_.end()) {
      const AddedToken& token = added_[it->second];
      AppendToken(token.id, normalized.Origin(s.begin, s.end), sequence_id,
                  token.special, out);
      continue;
    }
    NormalizedText part;
    part.AppendFrom(normalized, s.begin, s.end);
    Range whole{0, static_cast<uint32_t>(part.text.size())};
    EncodePieces(std::move(part), {whole}, section_index, sequence_id, out);
  }
}

absl::StatusOr<Encoding> Tokenizer::EncodeSequence(std::string_view text,
                                                   int32_t sequence_id) const {
  if (!unicode::IsValidUtf8(text)) {
    return absl::InvalidArgumentError(
        sequence_id == 0 ? "text is not valid UTF-8"
                         : "text_pair is not valid UTF-8");
  }
  if (text.size() >= UINT32_MAX / 2) {
    return absl::InvalidArgumentError("text is too long to tokenize");
  }
  Encoding out;
  size_t expected = text.size() / 3 + 4;  // tokens, roughly
  out.ids.reserve(expected);
  out.type_ids.reserve(expected);
  out.tokens.reserve(expected);
  out.offsets.reserve(expected);
  out.sequence_ids.reserve(expected);
  out.attention_mask.reserve(expected);
  out.special_tokens_mask.reserve(expected);
  std::vector<AddedTokenMatcher::Section> sections;
  if (raw_matcher_.empty()) {
    if (!text.empty()) {
      sections.push_back(
          AddedTokenMatcher::Section{0, static_cast<uint32_t>(text.size()), -1});
    }
  } else {
    raw_matcher_.Split(text, &sections);
    StripAroundAddedTokens(text, added_, raw_tokens_, &sections);
  }
  for (size_t i = 0; i < sections.size(); ++i) {
    const auto& s = sections[i];
    if (s.end <= s.begin) continue;
    if (s.token >= 0) {
      const AddedToken& token = added_[raw_tokens_[s.token]];
      AppendToken(token.id, Span{s.begin, s.end}, sequence_id, token.special,
                  &out);
      continue;
    }
    std::string_view section = text.substr(s.begin, s.end - s.begin);
    if (!added_by_text_.empty()) {
      auto it = added_by_text_.find(ToAbsl(section));
      if (it != added_by_text_.end()) {
        const AddedToken& token = added_[it->second];
        AppendToken(token.id, Span{s.begin, s.end}, sequence_id, token.special,
                    &out);
        continue;
      }
    }
    EncodeSection(section, s.begin, static_cast<int>(i), sequence_id, &out);
  }
  return out;
}

absl::StatusOr<Encoding> Tokenizer::Encode(std::string_view text,
                                           std::optional<std::string_view> pair,
                                           bool add_special_tokens) const {
  EncodeOptions options = default_options_;
  options.add_special_tokens = add_special_tokens;
  return Encode(text, pair, options);
}

absl::StatusOr<Encoding> Tokenizer::Encode(std::string_view text,
                                           std::optional<std::string_view> pair,
                                           const EncodeOptions& options) const {
  constexpr size_t kMaxLength = 1 << 24;
  if (options.padding.length > kMaxLength ||
      options.padding.pad_to_multiple_of > kMaxLength) {
    return absl::InvalidArgumentError(
        StrCat("padding length must be at most ", kMaxLength));
  }
  INFERD_ASSIGN_OR_RETURN(Encoding a, EncodeSequence(text, 0));
  std::optional<Encoding> b;
  if (pair.has_value()) {
    INFERD_ASSIGN_OR_RETURN(b, EncodeSequence(*pair, 1));
  }
  Encoding* bp = b.has_value() ? &*b : nullptr;
  size_t added = post_processor_ != nullptr && options.add_special_tokens
                     ? post_processor_->AddedTokens(bp != nullptr)
                     : 0;
  std::vector<Encoding> overflowing;
  INFERD_RETURN_IF_ERROR(
      Truncate(options.truncation, added, &a, bp, &overflowing));
  auto process = [&](const Encoding& first, Encoding* out) {
    if (post_processor_ != nullptr) {
      post_processor_->Process(first, bp, options.add_special_tokens, out);
    } else {
      PostProcessor::Concatenate(first, bp, out);
    }
  };
  Encoding out;
  if (bp == nullptr &&
      (post_processor_ == nullptr || post_processor_->concatenates())) {
    out = std::move(a);  // nothing to add: skip the copy
  } else {
    process(a, &out);
  }
  for (const Encoding& window : overflowing) {
    Encoding o;
    process(window, &o);
    out.overflowing.push_back(std::move(o));
  }
  if (options.padding.strategy != PaddingOptions::Strategy::kNone) {
    std::vector<Encoding> one;
    one.push_back(std::move(out));
    Pad(options.padding, &one);
    out = std::move(one[0]);
  }
  return out;
}

absl::StatusOr<std::vector<Encoding>> Tokenizer::EncodeBatch(
    absl::Span<const TextInput> inputs, const EncodeOptions& options) const {
  EncodeOptions unpadded = options;
  unpadded.padding.strategy = PaddingOptions::Strategy::kNone;
  std::vector<Encoding> batch;
  batch.reserve(inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    auto e = Encode(inputs[i].text, inputs[i].pair, unpadded);
    if (!e.ok()) {
      return absl::Status(e.status().code(),
                          StrCat("input ", i, ": ", ToStd(e.status().message())));
    }
    batch.push_back(std::move(*e));
  }
  Pad(options.padding, &batch);
  return batch;
}

absl::StatusOr<std::string> Tokenizer::Decode(
    absl::Span<const int32_t> ids, bool skip_special_tokens,
    bool clean_up_tokenization_spaces) const {
  std::vector<std::string> tokens;
  tokens.reserve(ids.size());
  for (int32_t id : ids) {
    if (id < 0 || id >= vocab_size() || tokens_[id].empty()) {
      return absl::InvalidArgumentError(
          StrCat("token id ", id, " is not in the vocabulary (size ",
                 vocab_size(), ")"));
    }
    if (skip_special_tokens && special_contents_.contains(tokens_[id])) {
      continue;
    }
    tokens.push_back(tokens_[id]);
  }
  std::string text;
  if (decoder_ != nullptr) {
    decoder_->DecodeChain(&tokens, added_contents_);
    for (const std::string& t : tokens) text += t;
    if (!end_of_word_suffix_.empty()) {
      std::string replaced;
      size_t pos = 0, hit;
      while ((hit = text.find(end_of_word_suffix_, pos)) != std::string::npos) {
        replaced.append(text, pos, hit - pos);
        replaced.push_back(' ');
        pos = hit + end_of_word_suffix_.size();
      }
      replaced.append(text, pos, std::string::npos);
      text = std::move(replaced);
      if (skip_special_tokens) {
        size_t b = text.find_first_not_of(" \t\n\r\f\v");
        size_t e = text.find_last_not_of(" \t\n\r\f\v");
        text = b == std::string::npos ? "" : text.substr(b, e - b + 1);
      }
    }
  } else {
    for (size_t i = 0; i < tokens.size(); ++i) {
      if (i > 0) text.push_back(' ');
      text += tokens[i];
    }
  }
  if (clean_up_tokenization_spaces) text = CleanUpTokenization(std::move(text));
  return text;
}

}  // namespace inferd::text
