#include "pipelines/task/token_classification.h"

#include <cctype>

#include "absl/strings/str_split.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "pipelines/task/request_parameters.h"
#include "pipelines/task/task_settings.h"

namespace inferd::pipelines {
namespace json = boost::json;
namespace {

const std::vector<std::string> kStrategies = {"none", "simple", "first", "average", "max"};

struct Parameters : TaskParameters {
  Aggregation aggregation = Aggregation::kNone;
};

struct State {
  std::string text;
  text::Encoding encoding;
};

std::vector<std::string> SplitNames(const std::string& names) {
  std::vector<std::string> out;
  for (absl::string_view name : absl::StrSplit(names, ',', absl::SkipWhitespace())) {
    out.emplace_back(name);
  }
  return out;
}

bool StartsWith(const std::string& s, const std::string& prefix) {
  return !prefix.empty() && s.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

absl::StatusOr<std::unique_ptr<TaskPipeline>> TokenClassification::Create(
    const TaskContext& context) {
  INFERD_ASSIGN_OR_RETURN(TextModelInputs text, TextModelInputs::Create(context));
  auto task = std::unique_ptr<TokenClassification>(new TokenClassification(std::move(text)));
  TaskSettings settings(context);
  const ModelSignature& signature = *context.signature;
  INFERD_ASSIGN_OR_RETURN(task->output_index_, settings.OutputIndex(signature));
  const TensorSpec& output = signature.outputs()[task->output_index_];
  if (output.dtype != DataType::kFp32 || output.dims.size() != 2) {
    return absl::InvalidArgumentError(StrCat(
        "model output \"", output.name, "\" must be TYPE_FP32 with dims [ -1, num_labels ]"));
  }
  if (settings.has("labels")) {
    INFERD_ASSIGN_OR_RETURN(std::string path, settings.File("labels"));
    INFERD_ASSIGN_OR_RETURN(task->labels_, ReadLabelsFile(path, "labels"));
  } else if (settings.has("label_names")) {
    INFERD_ASSIGN_OR_RETURN(std::string names, settings.String("label_names"));
    task->labels_ = SplitNames(names);
  }
  if (task->labels_.empty()) {
    return absl::InvalidArgumentError(
        "parameters[\"labels\"] or [\"label_names\"] is required for token-classification");
  }
  if (output.dims[1] > 0 && static_cast<size_t>(output.dims[1]) != task->labels_.size()) {
    return absl::InvalidArgumentError(StrCat("the model output \"", output.name, "\" has ",
                                             output.dims[1], " labels but there are ",
                                             task->labels_.size(), " labels"));
  }
  INFERD_ASSIGN_OR_RETURN(std::string strategy,
                          settings.Choice("aggregation_strategy", kStrategies, "none"));
  INFERD_ASSIGN_OR_RETURN(task->aggregation_, ParseAggregation(strategy));
  task->ignore_ = SplitNames(settings.String("ignore_labels", "O"));
  // A WordPiece vocabulary marks word continuations; look for the marker
  // once here rather than guessing per request.
  const text::Tokenizer& tokenizer = task->text_.tokenizer();
  for (int32_t id = 0; id < tokenizer.vocab_size(); ++id) {
    std::optional<std::string> token = tokenizer.IdToToken(id);
    if (token && token->size() > 2 && StartsWith(*token, "##")) {
      task->continuation_prefix_ = "##";
      break;
    }
  }
  return std::unique_ptr<TaskPipeline>(std::move(task));
}

absl::StatusOr<std::unique_ptr<TaskParameters>> TokenClassification::ParseParameters(
    const json::object* parameters) const {
  RequestParameters reader(parameters);
  auto parsed = std::make_unique<Parameters>();
  parsed->aggregation = aggregation_;
  if (reader.has("aggregation_strategy")) {
    INFERD_ASSIGN_OR_RETURN(std::string strategy,
                            reader.Choice("aggregation_strategy", kStrategies, "none"));
    INFERD_ASSIGN_OR_RETURN(parsed->aggregation, ParseAggregation(strategy));
  }
  INFERD_RETURN_IF_ERROR(reader.CheckNoOthers());
  return std::unique_ptr<TaskParameters>(std::move(parsed));
}

absl::StatusOr<Features> TokenClassification::Preprocess(const TaskInstance& instance,
                                                         const TaskParameters&) const {
  if (instance.json == nullptr) {
    return absl::InvalidArgumentError("token-classification takes JSON text instances");
  }
  INFERD_ASSIGN_OR_RETURN(InstanceText text,
                          ReadInstanceText(*instance.json, /*pair_allowed=*/false));
  auto state = std::make_shared<State>();
  state->text = std::string(text.text);
  INFERD_ASSIGN_OR_RETURN(state->encoding, text_.Encode(state->text));
  Features features = text_.ToFeatures(state->encoding);
  features.state = std::shared_ptr<const State>(std::move(state));
  return features;
}

absl::StatusOr<json::value> TokenClassification::Postprocess(
    const Features& features, const std::vector<Tensor>& outputs,
    const TaskParameters& parameters) const {
  const auto& params = static_cast<const Parameters&>(parameters);
  const auto* held = std::any_cast<std::shared_ptr<const State>>(&features.state);
  if (held == nullptr || *held == nullptr) {
    return absl::InternalError("token-classification: instance state is missing");
  }
  const State& state = **held;
  const text::Encoding& encoding = state.encoding;
  if (output_index_ >= outputs.size()) {
    return absl::InternalError("the model returned too few outputs");
  }
  const Tensor& logits = outputs[output_index_];
  const size_t n_labels = labels_.size();
  if (logits.dtype != DataType::kFp32 || logits.shape.size() != 3 || logits.shape[0] != 1 ||
      logits.shape[1] < static_cast<int64_t>(encoding.size()) ||
      logits.shape[2] != static_cast<int64_t>(n_labels)) {
    return absl::InternalError(StrCat("the model returned logits of shape ",
                                      ShapeToString(logits.shape), " for ", encoding.size(),
                                      " tokens and ", n_labels, " labels"));
  }
  const float* data = logits.data_as<float>();
  const std::string& text = state.text;
  std::vector<TokenScores> tokens;
  for (size_t t = 0; t < encoding.size(); ++t) {
    if (encoding.special_tokens_mask[t] != 0 || encoding.attention_mask[t] == 0) continue;
    TokenScores token;
    token.index = static_cast<int64_t>(t);
    token.span = encoding.offsets[t];
    if (!continuation_prefix_.empty()) {
      token.subword = StartsWith(encoding.tokens[t], continuation_prefix_);
    } else {
      const uint32_t start = token.span.start;
      token.subword = start > 0 && start < text.size() &&
                      !std::isspace(static_cast<unsigned char>(text[start - 1])) &&
                      !std::isspace(static_cast<unsigned char>(text[start]));
    }
    token.probabilities = Softmax(data + t * n_labels, n_labels);
    tokens.push_back(std::move(token));
  }
  INFERD_ASSIGN_OR_RETURN(std::vector<Entity> entities,
                          GroupEntities(tokens, labels_, params.aggregation, ignore_));
  const text::ByteToCharIndex to_char(text, text::Encoding::CharUnit::kCodePoint);
  json::array out;
  for (const Entity& entity : entities) {
    json::object item;
    if (params.aggregation == Aggregation::kNone) {
      item["entity"] = entity.label;
    } else {
      item["entity_group"] = entity.label;
    }
    item["score"] = entity.score;
    if (params.aggregation == Aggregation::kNone) item["index"] = entity.index;
    item["word"] = text.substr(entity.span.start, entity.span.end - entity.span.start);
    item["start"] = static_cast<int64_t>(to_char(entity.span.start));
    item["end"] = static_cast<int64_t>(to_char(entity.span.end));
    out.push_back(std::move(item));
  }
  return json::value(std::move(out));
}

}  // namespace inferd::pipelines
