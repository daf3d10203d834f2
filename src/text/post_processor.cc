#include "text/post_processor.h"

#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"

namespace inferd::text {
namespace {

void AppendSpecial(const PostProcessor::Special& s, Encoding* out) {
  for (size_t i = 0; i < s.ids.size(); ++i) {
    out->ids.push_back(s.ids[i]);
    out->type_ids.push_back(s.type_id);
    out->tokens.push_back(s.tokens[i]);
    out->offsets.push_back(Span{});
    out->sequence_ids.push_back(-1);
    out->attention_mask.push_back(1);
    out->special_tokens_mask.push_back(1);
  }
}

void AppendSequence(const Encoding& seq, int32_t type_id, Encoding* out) {
  out->ids.insert(out->ids.end(), seq.ids.begin(), seq.ids.end());
  out->type_ids.insert(out->type_ids.end(), seq.size(), type_id);
  out->tokens.insert(out->tokens.end(), seq.tokens.begin(), seq.tokens.end());
  out->offsets.insert(out->offsets.end(), seq.offsets.begin(),
                      seq.offsets.end());
  out->sequence_ids.insert(out->sequence_ids.end(), seq.sequence_ids.begin(),
                           seq.sequence_ids.end());
  out->attention_mask.insert(out->attention_mask.end(), seq.size(), 1);
  out->special_tokens_mask.insert(out->special_tokens_mask.end(),
                                  seq.special_tokens_mask.begin(),
                                  seq.special_tokens_mask.end());
}

absl::StatusOr<PostProcessor::Special> SpecialFromPair(
    const JsonFields& fields, std::string_view key,
    const PostProcessor::TokenLookup& lookup) {
  INFERD_ASSIGN_OR_RETURN(const boost::json::array* pair,
                          fields.Array(key, /*required=*/true));
  if (pair->size() != 2 || !(*pair)[0].is_string() || !AsId((*pair)[1])) {
    return fields.Error(key, "must be [token, id]");
  }
  PostProcessor::Special s;
  std::string token(ToView((*pair)[0].get_string()));
  int32_t id = lookup(token);
  if (id < 0) id = *AsId((*pair)[1]);
  s.ids.push_back(id);
  s.tokens.push_back(std::move(token));
  return s;
}

class BertProcessor : public PostProcessor {
 public:
  BertProcessor(Special cls, Special sep, bool roberta)
      : cls_(std::move(cls)), sep_(std::move(sep)), roberta_(roberta) {}

  int AddedTokens(bool pair) const override {
    return pair ? (roberta_ ? 4 : 3) : 2;
  }

  void Process(const Encoding& a, const Encoding* b, bool add_special,
               Encoding* out) const override {
    Special sep1 = sep_;
    sep1.type_id = 1;
    if (add_special) AppendSpecial(cls_, out);
    AppendSequence(a, 0, out);
    if (add_special) AppendSpecial(sep_, out);
    if (b != nullptr) {
      if (add_special && roberta_) AppendSpecial(sep1, out);
      AppendSequence(*b, 1, out);
      if (add_special) AppendSpecial(sep1, out);
    }
  }

 private:
  Special cls_, sep_;
  bool roberta_;
};

class TemplateProcessor : public PostProcessor {
 public:
  // An item: a special token, or sequence A (0) / B (1).
  struct Item {
    int sequence = -1;  // -1: special
    int32_t type_id = 0;
    Special special;
  };
  TemplateProcessor(std::vector<Item> single, std::vector<Item> pair)
      : single_(std::move(single)), pair_(std::move(pair)) {}

  int AddedTokens(bool pair) const override {
    int n = 0;
    for (const Item& item : pair ? pair_ : single_) {
      if (item.sequence < 0) n += static_cast<int>(item.special.ids.size());
    }
    return n;
  }

  void Process(const Encoding& a, const Encoding* b, bool add_special,
               Encoding* out) const override {
    for (const Item& item : b != nullptr ? pair_ : single_) {
      if (item.sequence < 0) {
        if (add_special) AppendSpecial(item.special, out);
      } else if (item.sequence == 0) {
        AppendSequence(a, item.type_id, out);
      } else if (b != nullptr) {
        AppendSequence(*b, item.type_id, out);
      }
    }
  }

  static absl::StatusOr<std::vector<Item>> ParseItems(
      const JsonFields& fields, std::string_view key,
      const boost::json::object* specials, const TokenLookup& lookup) {
    INFERD_ASSIGN_OR_RETURN(const boost::json::array* list,
                            fields.Array(key, /*required=*/true));
    std::vector<Item> items;
    for (size_t i = 0; i < list->size(); ++i) {
      std::string path = StrCat(fields.path(), ".", key, "[", i, "]");
      const boost::json::object* o = (*list)[i].if_object();
      if (o == nullptr) {
        return absl::InvalidArgumentError(
            StrCat("tokenizer.json: ", path, " must be an object"));
      }
      JsonFields item_fields(*o, path);
      Item item;
      if (const boost::json::value* s = item_fields.Find("Sequence")) {
        if (!s->is_object()) return item_fields.Error("Sequence", "must be an object");
        JsonFields seq(s->get_object(), path + ".Sequence");
        INFERD_ASSIGN_OR_RETURN(std::string id, seq.String("id"));
        INFERD_ASSIGN_OR_RETURN(int64_t type_id, seq.Int("type_id", 0));
        if (id != "A" && id != "B") return seq.Error("id", "must be \"A\" or \"B\"");
        item.sequence = id == "A" ? 0 : 1;
        item.type_id = static_cast<int32_t>(type_id);
      } else if (const boost::json::value* s = item_fields.Find("SpecialToken")) {
        if (!s->is_object()) return item_fields.Error("SpecialToken", "must be an object");
        JsonFields sp(s->get_object(), path + ".SpecialToken");
        INFERD_ASSIGN_OR_RETURN(std::string id, sp.String("id"));
        INFERD_ASSIGN_OR_RETURN(int64_t type_id, sp.Int("type_id", 0));
        item.type_id = static_cast<int32_t>(type_id);
        item.special.type_id = item.type_id;
        const boost::json::value* def =
            specials == nullptr ? nullptr : specials->if_contains(id);
        if (def != nullptr && def->is_object()) {
          JsonFields d(def->get_object(),
                       StrCat(fields.path(), ".special_tokens.", id));
          INFERD_ASSIGN_OR_RETURN(const boost::json::array* ids,
                                  d.Array("ids", /*required=*/true));
          INFERD_ASSIGN_OR_RETURN(const boost::json::array* tokens,
                                  d.Array("tokens", /*required=*/true));
          if (ids->size() != tokens->size()) {
            return d.Error("ids", "and tokens differ in length");
          }
          for (size_t k = 0; k < ids->size(); ++k) {
            std::optional<int32_t> id = AsId((*ids)[k]);
            if (!id || !(*tokens)[k].is_string()) {
              return d.Error("ids", "must be ids and tokens strings");
            }
            item.special.ids.push_back(*id);
            item.special.tokens.emplace_back(ToView((*tokens)[k].get_string()));
          }
        } else {
          int32_t tid = lookup(id);
          if (tid < 0) {
            return absl::InvalidArgumentError(
                StrCat("tokenizer.json: ", path, " special token \"", id,
                       "\" is not in the vocabulary"));
          }
          item.special.ids.push_back(tid);
          item.special.tokens.push_back(id);
        }
      } else {
        return absl::InvalidArgumentError(StrCat(
            "tokenizer.json: ", path, " must be a Sequence or SpecialToken"));
      }
      items.push_back(std::move(item));
    }
    return items;
  }

 private:
  std::vector<Item> single_, pair_;
};

class ByteLevelProcessor : public PostProcessor {
 public:
  explicit ByteLevelProcessor(bool trim) : trim_(trim) {}
  int AddedTokens(bool) const override { return 0; }
  void Process(const Encoding& a, const Encoding* b, bool,
               Encoding* out) const override {
    Concatenate(a, b, out);
  }
  bool trim_offsets() const override { return trim_; }
  bool concatenates() const override { return true; }

 private:
  bool trim_;
};

// ByteLevel steps (offset trimming) around at most one combining processor.
class SequenceProcessor : public PostProcessor {
 public:
  SequenceProcessor(std::unique_ptr<PostProcessor> combine, bool trim)
      : combine_(std::move(combine)), trim_(trim) {}
  int AddedTokens(bool pair) const override {
    return combine_ ? combine_->AddedTokens(pair) : 0;
  }
  void Process(const Encoding& a, const Encoding* b, bool add_special,
               Encoding* out) const override {
    if (combine_) {
      combine_->Process(a, b, add_special, out);
    } else {
      Concatenate(a, b, out);
    }
  }
  bool trim_offsets() const override { return trim_; }
  bool concatenates() const override { return combine_ == nullptr; }

 private:
  std::unique_ptr<PostProcessor> combine_;
  bool trim_;
};

}  // namespace

void PostProcessor::Concatenate(const Encoding& a, const Encoding* b,
                                Encoding* out) {
  AppendSequence(a, 0, out);
  if (b != nullptr) AppendSequence(*b, 1, out);
}

absl::StatusOr<std::unique_ptr<PostProcessor>> PostProcessor::FromJson(
    const JsonFields& fields, const TokenLookup& lookup) {
  INFERD_ASSIGN_OR_RETURN(std::string type, fields.Type());
  if (type == "BertProcessing" || type == "RobertaProcessing") {
    INFERD_ASSIGN_OR_RETURN(Special cls, SpecialFromPair(fields, "cls", lookup));
    INFERD_ASSIGN_OR_RETURN(Special sep, SpecialFromPair(fields, "sep", lookup));
    return std::make_unique<BertProcessor>(std::move(cls), std::move(sep),
                                           type == "RobertaProcessing");
  }
  if (type == "TemplateProcessing") {
    INFERD_ASSIGN_OR_RETURN(const boost::json::object* specials,
                            fields.Object("special_tokens", false));
    INFERD_ASSIGN_OR_RETURN(
        auto single,
        TemplateProcessor::ParseItems(fields, "single", specials, lookup));
    INFERD_ASSIGN_OR_RETURN(
        auto pair,
        TemplateProcessor::ParseItems(fields, "pair", specials, lookup));
    return std::make_unique<TemplateProcessor>(std::move(single),
                                               std::move(pair));
  }
  if (type == "ByteLevel") {
    INFERD_ASSIGN_OR_RETURN(bool trim, fields.Bool("trim_offsets", false));
    return std::make_unique<ByteLevelProcessor>(trim);
  }
  if (type == "Sequence") {
    INFERD_ASSIGN_OR_RETURN(const boost::json::array* list,
                            fields.Array("processors", /*required=*/true));
    std::unique_ptr<PostProcessor> combine;
    bool trim = false;
    for (size_t i = 0; i < list->size(); ++i) {
      std::string path = StrCat(fields.path(), ".processors[", i, "]");
      const boost::json::object* o = (*list)[i].if_object();
      if (o == nullptr) {
        return absl::InvalidArgumentError(
            StrCat("tokenizer.json: ", path, " must be an object"));
      }
      JsonFields step_fields(*o, path);
      INFERD_ASSIGN_OR_RETURN(std::unique_ptr<PostProcessor> step,
                              FromJson(step_fields, lookup));
      INFERD_ASSIGN_OR_RETURN(std::string step_type, step_fields.Type());
      if (step_type == "ByteLevel") {
        trim = trim || step->trim_offsets();
      } else if (combine) {
        return absl::InvalidArgumentError(StrCat(
            "tokenizer.json: ", path,
            " is a second special-token post-processor, which is not "
            "supported"));
      } else {
        combine = std::move(step);
      }
    }
    return std::make_unique<SequenceProcessor>(std::move(combine), trim);
  }
  return absl::InvalidArgumentError(StrCat("tokenizer.json: ", fields.path(),
                                           " type \"", type,
                                           "\" is not supported"));
}

}  // namespace inferd::text
