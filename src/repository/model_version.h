#pragma once

// One loaded version of a model: its effective config, signature and the
// scheduler that owns its instances; a GGUF language model also has a
// generation scheduler (its ModelScheduler then has no instance).
// Immutable once built.
//
// Requests hold a ModelHandle while they use a version; holding it keeps the
// object (and so its instances) alive, but does not stop an unload from
// draining the scheduler: new work is refused once unloading begins.

#include <memory>
#include <map>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "config/model_attachment.h"
#include "config/model_config.pb.h"
#include "config/model_signature.h"
#include "scheduling/generation_scheduler.h"
#include "scheduling/gguf_settings.h"
#include "scheduling/model_scheduler.h"
#include "text/chat_template.h"
#include "text/tokenizer.h"

namespace inferd {

class ModelVersion {
 public:
  ModelVersion(std::string name, int64_t version, config::ModelConfig config,
               ModelSignature signature)
      : name_(std::move(name)),
        version_(version),
        version_string_(std::to_string(version)),
        config_(std::move(config)),
        signature_(std::move(signature)) {}

  const std::string& name() const { return name_; }
  int64_t version() const { return version_; }
  const std::string& version_string() const { return version_string_; }
  const config::ModelConfig& config() const { return config_; }
  const ModelSignature& signature() const { return signature_; }
  ModelScheduler& scheduler() const { return *scheduler_; }
  // Null when the server runs without metrics (unit tests).
  const ModelMetrics* metrics() const { return metrics_ ? &*metrics_ : nullptr; }
  void set_metrics(ModelMetrics metrics) { metrics_ = metrics; }

  // The class labels of an output (its config's label_filename, one label a
  // line), for the classification extension; empty when it has none.
  const std::vector<std::string>& labels(const std::string& output) const {
    static const std::vector<std::string> kNone;
    auto it = labels_.find(output);
    return it == labels_.end() ? kNone : it->second;
  }
  void set_labels(std::string output, std::vector<std::string> labels) {
    labels_[std::move(output)] = std::move(labels);
  }

  // Null when the server attached nothing (a model without a task).
  const ModelAttachment* attachment() const { return attachment_.get(); }
  void set_attachment(std::shared_ptr<const ModelAttachment> attachment) {
    attachment_ = std::move(attachment);
  }

  ~ModelVersion() {
    // The last handle may be dropped by a completion running on one of this
    // version's own threads (a request that outlived an unload): a
    // scheduler cannot drain (join its threads) from there, so it is
    // drained and destroyed on a thread of its own. What it still owns runs
    // nothing more once it stops.
    if (scheduler_ && scheduler_->RunsOnCurrentThread()) {
      std::thread([scheduler = std::move(scheduler_)]() mutable { scheduler.reset(); }).detach();
    }
    if (generator_ && generator_->RunsOnCurrentThread()) {
      std::thread([generator = std::move(generator_)]() mutable { generator.reset(); }).detach();
    }
  }

  // The tokenizer the model file carries (a GGUF embedding model's), for its
  // text pipeline; null when the model's folder provides one.
  const std::shared_ptr<const text::Tokenizer>& file_tokenizer() const { return file_tokenizer_; }
  void set_file_tokenizer(std::shared_ptr<const text::Tokenizer> tokenizer) {
    file_tokenizer_ = std::move(tokenizer);
  }

  // Null for a tensor model; set for a GGUF language model.
  GenerationScheduler* generator() const { return generator_.get(); }
  // The request defaults of a GGUF model (meaningless without generator()).
  const GgufSettings& gguf_settings() const { return gguf_settings_; }
  // The chat template of a GGUF model; null when it has none.
  const ChatTemplate* chat_template() const {
    return chat_template_ ? &*chat_template_ : nullptr;
  }
  void set_generator(std::unique_ptr<GenerationScheduler> generator, GgufSettings settings,
                     std::optional<ChatTemplate> chat_template) {
    generator_ = std::move(generator);
    gguf_settings_ = std::move(settings);
    chat_template_ = std::move(chat_template);
  }

  // Set once by the repository right after the instances are created.
  void set_scheduler(std::unique_ptr<ModelScheduler> scheduler) {
    scheduler_ = std::move(scheduler);
  }

 private:
  const std::string name_;
  const int64_t version_;
  const std::string version_string_;
  const config::ModelConfig config_;
  const ModelSignature signature_;  // instances refer to it: declared first
  std::optional<ModelMetrics> metrics_;
  std::map<std::string, std::vector<std::string>> labels_;
  std::shared_ptr<const ModelAttachment> attachment_;
  std::shared_ptr<const text::Tokenizer> file_tokenizer_;
  std::unique_ptr<ModelScheduler> scheduler_;
  GgufSettings gguf_settings_;
  std::optional<ChatTemplate> chat_template_;
  std::unique_ptr<GenerationScheduler> generator_;
};

using ModelHandle = std::shared_ptr<const ModelVersion>;

}  // namespace inferd
