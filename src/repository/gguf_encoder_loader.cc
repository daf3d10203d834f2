#include "repository/gguf_encoder_loader.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "backend/gguf_encoder_instance.h"
#include "backend/llm/gguf_file.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "scheduling/gguf_settings.h"

namespace inferd {
namespace {

constexpr int kDefaultMaxBatchSize = 32;

// The config declares no tensors of its own (CompleteModelConfig gave it
// the generate extension's text_input / text_output).
bool HasDefaultTensors(const config::ModelConfig& config) {
  return config.input_size() == 1 && config.input(0).name() == "text_input" &&
         config.output_size() == 1 && config.output(0).name() == "text_output";
}

void SetDefault(config::ModelConfig& config, const std::string& key, const std::string& value) {
  auto& parameters = *config.mutable_parameters();
  if (parameters.find(key) == parameters.end()) parameters[key].set_string_value(value);
}

absl::StatusOr<config::ModelConfig> EffectiveConfig(const config::ModelConfig& user,
                                                    const llm::EncoderConfig& c) {
  config::ModelConfig config = user;
  if (!HasDefaultTensors(config)) {
    return absl::InvalidArgumentError(
        StrCat("an embedding GGUF (", c.arch,
               ") takes input_ids and attention_mask and gives last_hidden_state; leave "
               "input and output out of config.pbtxt"));
  }
  config.clear_input();
  config.clear_output();
  for (const char* name : {"input_ids", "attention_mask"}) {
    auto* input = config.add_input();
    input->set_name(name);
    input->set_data_type(config::TYPE_INT64);
    input->add_dims(-1);
  }
  auto* output = config.add_output();
  output->set_name("last_hidden_state");
  output->set_data_type(config::TYPE_FP32);
  output->add_dims(-1);
  output->add_dims(c.dim);
  if (config.max_batch_size() == 0) config.set_max_batch_size(kDefaultMaxBatchSize);
  if (!config.has_dynamic_batching()) config.mutable_dynamic_batching();

  const auto& parameters = config.parameters();
  if (auto it = parameters.find("task");
      it != parameters.end() && it->second.string_value() != "feature-extraction") {
    return absl::InvalidArgumentError(
        StrCat("parameter \"task\" = \"", it->second.string_value(), "\": an embedding GGUF (",
               c.arch, ") serves \"feature-extraction\""));
  }
  SetDefault(config, "task", "feature-extraction");
  SetDefault(config, "pooling", c.pooling == llm::EncoderConfig::Pooling::kCls ? "cls" : "mean");
  SetDefault(config, "normalize", "true");
  SetDefault(config, "max_length", std::to_string(c.context_length));
  const std::string& max_length = parameters.at("max_length").string_value();
  int64_t length = 0;
  if (!absl::SimpleAtoi(max_length, &length) || length < 2 || length > c.context_length) {
    return absl::InvalidArgumentError(
        StrCat("parameter \"max_length\" = \"", max_length, "\": must be 2..", c.context_length,
               " (the model's context length)"));
  }
  return config;
}

}  // namespace

absl::StatusOr<std::optional<GgufEncoder>> LoadGgufEncoder(const std::string& path,
                                                           const config::ModelConfig& config) {
  absl::StatusOr<std::unique_ptr<llm::GgufFile>> file = llm::GgufFile::Open(path);
  if (!file.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", file.status().message()));
  }
  absl::StatusOr<std::string_view> arch = (*file)->GetString("general.architecture");
  if (!arch.ok() || !llm::IsEncoderArchitecture(*arch)) return std::optional<GgufEncoder>();
  absl::StatusOr<std::unique_ptr<llm::EncoderModel>> model =
      llm::EncoderModel::FromFile(*std::move(file));
  if (!model.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", model.status().message()));
  }
  GgufEncoder encoder;
  encoder.model = *std::move(model);
  INFERD_ASSIGN_OR_RETURN(encoder.config, EffectiveConfig(config, encoder.model->config()));
  INFERD_ASSIGN_OR_RETURN(GgufSettings settings, GgufSettingsFromConfig(encoder.config));
  encoder.threads = settings.engine.threads;
  return std::optional<GgufEncoder>(std::move(encoder));
}

std::vector<std::unique_ptr<ModelInstance>> CreateGgufEncoderInstances(
    const GgufEncoder& encoder) {
  std::vector<std::unique_ptr<ModelInstance>> instances;
  for (const auto& group : encoder.config.instance_group()) {
    for (int i = 0; i < group.count(); ++i) {
      instances.push_back(std::make_unique<GgufEncoderInstance>(encoder.model, encoder.threads));
    }
  }
  return instances;
}

}  // namespace inferd
