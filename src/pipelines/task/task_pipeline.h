#pragma once

// A task pipeline: what turns a client's instances (a sentence, an image, a
// feature vector) into model input tensors and the model's output tensors
// back into a prediction in task terms ({"label": "POSITIVE", "score": 0.98}).
//
// One TaskPipeline is built per loaded model version, at load time, from the
// model's config.pbtxt `parameters` (`task` plus the task's own settings)
// and the files in the model folder (tokenizer.json, labels.txt). It is kept
// beside the version as its ModelAttachment, so a bad setting fails the load
// with a message naming the parameter, and requests find it through their
// ModelHandle. serving/task_runner.h drives it for a request:
//
//   params   = ParseParameters(request "parameters")       -> 400 on error
//   features = Preprocess(instance, params)  for each one  (worker threads;
//              an error answers that instance only)
//   inputs   = Collate([features...])  one batch of at most max_batch_size
//              rows -> the model's scheduler (dynamically batched with other
//              traffic, padded to the longest there too) -> outputs split
//              back per instance
//   json     = Postprocess(features, outputs, params) for each instance
//
// Adding a task (helpers: B image-*, D feature-extraction and others):
//  1. Write `pipelines/task/<task>.{h,cc}` (or under your own folder) with a
//     class deriving from TaskPipeline and a static
//       absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(const TaskContext&);
//     Read settings with TaskSettings (task_settings.h): errors name the
//     parameter; check the model's inputs/outputs against context.signature.
//     Parse request parameters with RequestParameters (request_parameters.h),
//     which also rejects names the task does not know.
//  2. Add one line to RegisterBuiltinTasks() in builtin_tasks.cc:
//       registry.Register("image-classification", &ImageClassification::Create);
//  3. Unit-test Create/Preprocess/Postprocess without a model (see
//     text_classification_test.cc); files matching pipelines/*/*.cc are
//     globbed into inferd_pipelines (re-run cmake after adding files).
//
// Thread-safety: const methods are called concurrently from many threads;
// a pipeline is immutable after Create.

#include <any>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json.hpp"
#include "config/model_config.pb.h"
#include "config/model_signature.h"
#include "config/model_attachment.h"
#include "tensor/tensor.h"
#include "text/tokenizer.h"

namespace inferd::pipelines {

// What a task factory builds from. Pointers are valid during Create only.
struct TaskContext {
  const config::ModelConfig* config = nullptr;
  const ModelSignature* signature = nullptr;
  std::string model_dir;  // holds config.pbtxt and the task's asset files
  // The tokenizer the model file carries (GGUF embedding models); text
  // tasks use it unless the config names a tokenizer file. May be null.
  std::shared_ptr<const text::Tokenizer> tokenizer;
};

// One instance of a request, as the client sent it: a JSON value (string,
// object, number array, {"b64": ...}) or, for uploads (multipart/form-data
// parts, a raw image/* body), raw bytes. Exactly one of the two is set.
struct TaskInstance {
  const boost::json::value* json = nullptr;  // not owned
  std::string bytes;         // raw upload
  std::string content_type;  // of the upload, e.g. "image/jpeg"; may be empty
  std::string filename;      // multipart filename; may be empty
};

// Request-level parameters after validation; each task derives its own.
class TaskParameters {
 public:
  virtual ~TaskParameters() = default;
};

// One preprocessed instance: its rows of every model input, and whatever
// the task needs again in Postprocess (offsets, the original image size).
struct Features {
  // One tensor per model input, in config order, each [rows, ...] for a
  // batching model (without the batch dimension otherwise).
  std::vector<Tensor> inputs;
  int64_t rows = 1;
  int64_t tokens = 0;  // tokens the instance used (OpenAI `usage`); 0 if n/a
  std::any state;      // task-private
};

class TaskPipeline : public ModelAttachment {
 public:
  // The registered task name, e.g. "text-classification".
  virtual std::string_view task() const = 0;

  // Validates the request's "parameters" object (null when the request has
  // none). InvalidArgument naming the field, e.g. `parameters.top_k must be
  // a positive integer or null`, or an unknown name.
  virtual absl::StatusOr<std::unique_ptr<TaskParameters>> ParseParameters(
      const boost::json::object* parameters) const = 0;

  // Turns one instance into model input rows. An error answers this
  // instance only (InvalidArgument naming what is wrong with it).
  virtual absl::StatusOr<Features> Preprocess(const TaskInstance& instance,
                                              const TaskParameters& parameters) const = 0;

  // Joins instances into one batch of model inputs (config order). The
  // default pads every input's non-batch dimensions to the largest among
  // `items` with pad_value(input index) and concatenates along dim 0: text
  // is padded to the longest sequence in the batch, not to max_length.
  virtual absl::StatusOr<std::vector<Tensor>> Collate(
      const std::vector<const Features*>& items) const;

  // Turns one instance's model outputs (config order; its own rows, with any
  // padding that Collate added still in place) into its prediction.
  virtual absl::StatusOr<boost::json::value> Postprocess(
      const Features& features, const std::vector<Tensor>& outputs,
      const TaskParameters& parameters) const = 0;

  // Value input `index` is padded with (0 unless overridden): by the default
  // Collate within a request, and by the model's scheduler when it joins
  // requests of different lengths into one batch (dynamic padding).
  virtual double pad_value(size_t index) const;

  // Whether the model's scheduler may batch this task's requests of
  // different lengths together, padding them with pad_value (false by
  // default). Only for models whose answer for an instance does not depend
  // on padding (the text tasks: when the model takes an attention_mask);
  // Postprocess must then accept outputs longer than its own instance.
  virtual bool pads_across_requests() const { return false; }
};

}  // namespace inferd::pipelines
