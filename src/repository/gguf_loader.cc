#include "repository/gguf_loader.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <utility>

#include "common/status_macros.h"
#include "common/strings.h"
#include "scheduling/gguf_settings.h"
#include "text/chat_template.h"

namespace inferd {
namespace fs = std::filesystem;
namespace {

constexpr char kTemplateKey[] = "tokenizer.chat_template";
constexpr size_t kMaxTemplateBytes = 1 << 20;

// The chat template source: the `chat_template` file when the config names
// one, else the GGUF's; nullopt when neither exists.
absl::StatusOr<std::optional<std::string>> TemplateSource(const GgufSettings& settings,
                                                          const std::string& model_dir,
                                                          const llm::Model& llm_model) {
  if (!settings.chat_template_file.empty()) {
    if (model_dir.empty()) {
      return absl::InvalidArgumentError(
          "parameter \"chat_template\": a model served from a file has no folder to read it from");
    }
    const std::string path = StrCat(model_dir, "/", settings.chat_template_file);
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) {
      return absl::NotFoundError(StrCat("parameter \"chat_template\": ", path, " is missing"));
    }
    if (fs::file_size(path, ec) > kMaxTemplateBytes) {
      return absl::InvalidArgumentError(
          StrCat("parameter \"chat_template\": ", path, " is larger than 1 MiB"));
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return absl::InternalError(StrCat("cannot read ", path));
    return std::optional<std::string>(text.str());
  }
  if (llm_model.file().Find(kTemplateKey) == nullptr) return std::optional<std::string>();
  absl::StatusOr<std::string_view> source = llm_model.file().GetString(kTemplateKey);
  if (!source.ok()) return absl::InvalidArgumentError(source.status().message());
  return std::optional<std::string>(std::string(*source));
}

}  // namespace

absl::Status LoadGguf(const std::string& path, const std::string& model_dir,
                      InferenceMetrics* metrics, ModelVersion& model) {
  INFERD_ASSIGN_OR_RETURN(GgufSettings settings, GgufSettingsFromConfig(model.config()));
  std::error_code ec;
  if (!fs::is_regular_file(path, ec)) {
    return absl::NotFoundError(StrCat("model file ", path, " is missing"));
  }
  absl::StatusOr<std::unique_ptr<llm::Model>> loaded = llm::Model::Load(path);
  if (!loaded.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", loaded.status().message()));
  }
  std::shared_ptr<const llm::Model> llm_model(*std::move(loaded));
  INFERD_ASSIGN_OR_RETURN(std::optional<std::string> source,
                          TemplateSource(settings, model_dir, *llm_model));
  std::optional<ChatTemplate> chat_template;
  if (source) {
    absl::StatusOr<ChatTemplate> parsed = ChatTemplate::Parse(*source);
    if (!parsed.ok()) {
      return absl::InvalidArgumentError(
          StrCat(settings.chat_template_file.empty() ? kTemplateKey : settings.chat_template_file,
                 ": ", parsed.status().message()));
    }
    chat_template = *std::move(parsed);
  }
  if (settings.kv_cache_bytes > 0) {
    const llm::ModelConfig& c = llm_model->config();
    const int64_t per_token =
        llm::KvCache::BytesPerToken(settings.engine.kv_type, c.n_layers, c.kv_dim());
    settings.engine.kv_cache_tokens = std::max<int64_t>(1, settings.kv_cache_bytes / per_token);
  }
  GenerationScheduler::Options options;
  options.name = StrCat(model.name(), ":", model.version());
  options.engine = settings.engine;
  options.max_waiting = settings.max_waiting;
  if (metrics != nullptr) {
    options.metrics = metrics->ForLanguageModel(model.name(), model.version_string());
    model.set_metrics(metrics->ForModel(model.name(), model.version_string()));
  }
  absl::StatusOr<std::unique_ptr<GenerationScheduler>> generator =
      GenerationScheduler::Create(std::move(llm_model), std::move(options));
  if (!generator.ok()) {
    return absl::InvalidArgumentError(StrCat(path, ": ", generator.status().message()));
  }
  model.set_generator(*std::move(generator), std::move(settings), std::move(chat_template));
  return absl::OkStatus();
}

}  // namespace inferd
