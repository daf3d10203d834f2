#include "pipelines/task/text_model_inputs.h"

#include <algorithm>

#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/task/task_settings.h"

namespace inferd::pipelines {

namespace json = boost::json;
namespace {

Tensor IntRow(DataType dtype, const std::vector<int32_t>& values) {
  Tensor t;
  t.dtype = dtype;
  t.shape = {1, static_cast<int64_t>(values.size())};
  if (dtype == DataType::kInt32) {
    t.data.assign(reinterpret_cast<const char*>(values.data()), values.size() * 4);
  } else {
    std::vector<int64_t> wide(values.begin(), values.end());
    t.data.assign(reinterpret_cast<const char*>(wide.data()), wide.size() * 8);
  }
  return t;
}

}  // namespace

absl::StatusOr<TextModelInputs> TextModelInputs::Create(const TaskContext& context) {
  TaskSettings settings(context);
  TextModelInputs inputs;
  if (context.tokenizer != nullptr && !settings.has("tokenizer")) {
    inputs.tokenizer_ = context.tokenizer;
  } else {
    const std::string tokenizer_name = settings.String("tokenizer", "tokenizer.json");
    std::string path = StrCat(context.model_dir, "/", tokenizer_name);
    if (settings.has("tokenizer")) {
      INFERD_ASSIGN_OR_RETURN(path, settings.File("tokenizer"));
    }
    absl::StatusOr<std::unique_ptr<text::Tokenizer>> tokenizer = text::Tokenizer::FromFile(path);
    if (!tokenizer.ok()) {
      return absl::InvalidArgumentError(StrCat("parameters[\"tokenizer\"] (", tokenizer_name,
                                               "): ", tokenizer.status().message()));
    }
    inputs.tokenizer_ = *std::move(tokenizer);
  }
  INFERD_ASSIGN_OR_RETURN(int64_t max_length, settings.Int("max_length", 512, 2, 65536));
  inputs.options_ = inputs.tokenizer_->default_options();
  inputs.options_.truncation.max_length = static_cast<size_t>(max_length);
  inputs.options_.padding.strategy = text::PaddingOptions::Strategy::kNone;

  bool has_ids = false;
  for (const TensorSpec& input : context.signature->inputs()) {
    Field field;
    if (input.name == "input_ids") {
      field = Field::kIds;
      has_ids = true;
    } else if (input.name == "attention_mask") {
      field = Field::kMask;
    } else if (input.name == "token_type_ids") {
      field = Field::kTypeIds;
    } else {
      return absl::InvalidArgumentError(
          StrCat("model input \"", input.name,
                 "\" is not one of input_ids, attention_mask, token_type_ids"));
    }
    if (input.dtype != DataType::kInt64 && input.dtype != DataType::kInt32) {
      return absl::InvalidArgumentError(
          StrCat("model input \"", input.name, "\" must be TYPE_INT64 or TYPE_INT32"));
    }
    if (input.dims.size() != 1) {
      return absl::InvalidArgumentError(
          StrCat("model input \"", input.name, "\" must have dims [ -1 ] (one sequence)"));
    }
    inputs.fields_.push_back(field);
    inputs.dtypes_.push_back(input.dtype);
  }
  if (!has_ids) return absl::InvalidArgumentError("the model has no input \"input_ids\"");
  if (!context.signature->batched()) {
    return absl::InvalidArgumentError("the model must batch (max_batch_size > 0)");
  }
  return inputs;
}

absl::StatusOr<text::Encoding> TextModelInputs::Encode(std::string_view text,
                                                 std::optional<std::string_view> pair) const {
  return tokenizer_->Encode(text, pair, options_);
}

absl::StatusOr<text::Encoding> TextModelInputs::FromIds(absl::Span<const int64_t> ids) const {
  if (ids.empty()) return absl::InvalidArgumentError("the token list is empty");
  if (ids.size() > max_length()) {
    return absl::InvalidArgumentError(StrCat(ids.size(), " tokens exceed the model's maximum of ",
                                             max_length()));
  }
  text::Encoding encoding;
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] >= tokenizer_->vocab_size()) {
      return absl::InvalidArgumentError(StrCat("token ", i, " (", ids[i],
                                               ") is outside the vocabulary [0, ",
                                               tokenizer_->vocab_size(), ")"));
    }
    encoding.ids.push_back(static_cast<int32_t>(ids[i]));
  }
  encoding.type_ids.assign(ids.size(), 0);
  encoding.attention_mask.assign(ids.size(), 1);
  encoding.special_tokens_mask.assign(ids.size(), 0);
  encoding.sequence_ids.assign(ids.size(), 0);
  encoding.offsets.assign(ids.size(), text::Span{});
  return encoding;
}

Features TextModelInputs::ToFeatures(const text::Encoding& encoding) const {
  Features features;
  features.tokens = static_cast<int64_t>(encoding.size());
  for (size_t i = 0; i < fields_.size(); ++i) {
    const std::vector<int32_t>& values = fields_[i] == Field::kIds    ? encoding.ids
                                         : fields_[i] == Field::kMask ? encoding.attention_mask
                                                                      : encoding.type_ids;
    features.inputs.push_back(IntRow(dtypes_[i], values));
  }
  return features;
}

absl::StatusOr<InstanceText> ReadInstanceText(const json::value& value, bool pair_allowed) {
  InstanceText out;
  if (value.is_string()) {
    out.text = value.get_string();
  } else if (value.is_object()) {
    const json::object& object = value.get_object();
    for (const auto& item : object) {
      if (item.key() != "text" && (!pair_allowed || item.key() != "text_pair")) {
        return absl::InvalidArgumentError(
            StrCat("unknown field \"", item.key(), "\"; an instance has ",
                   pair_allowed ? "text and text_pair" : "text"));
      }
    }
    const json::value* text = object.if_contains("text");
    if (text == nullptr || !text->is_string()) {
      return absl::InvalidArgumentError("\"text\" must be a string");
    }
    out.text = text->get_string();
    if (const json::value* pair = object.if_contains("text_pair")) {
      if (!pair->is_string()) return absl::InvalidArgumentError("\"text_pair\" must be a string");
      out.pair = pair->get_string();
    }
  } else {
    return absl::InvalidArgumentError(pair_allowed
                                          ? "an instance must be a string or {\"text\": ..., "
                                            "\"text_pair\": ...}"
                                          : "an instance must be a string or {\"text\": ...}");
  }
  if (out.text.empty()) return absl::InvalidArgumentError("the text is empty");
  return out;
}

bool TextModelInputs::has_attention_mask() const {
  return std::find(fields_.begin(), fields_.end(), Field::kMask) != fields_.end();
}

}  // namespace inferd::pipelines
