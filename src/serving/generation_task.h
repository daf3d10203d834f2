#pragma once

// :predict on a GGUF language model: the text generation tasks of Hugging
// Face pipelines, declared in the model's config.pbtxt
//
//   parameters { key: "task" value { string_value: "summarization" } }
//
//   task                 instance                      prediction
//   text-generation      "text" | {"text"}             {"generated_text"}
//   summarization        "text" | {"text"}             {"summary_text"}
//   translation          "text" | {"text"}             {"translation_text"}
//   question-answering   {"question", "context"}       {"answer"}
//
// Each instance fills the task's prompt template ({text}, {question},
// {context}, {source_lang}, {target_lang}); the default templates are below,
// and `prompt_template` (config parameter, or request parameter) replaces
// it; `source_lang` / `target_lang` come from the request's parameters, else
// the config's. A model with a chat template gets the filled prompt as one
// user message. The request's `parameters` may also set max_new_tokens (or
// max_tokens), temperature, top_p, top_k, seed, stop and, for
// text-generation, return_full_text (default true, as Hugging Face: the
// prompt is part of generated_text). Every instance is its own sequence of
// the model's generation loop, so instances are batched with each other and
// with other requests; an instance that fails carries its own error.
//
// Stateless; thread-safe.

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"
#include "repository/model_version.h"
#include "serving/generate_call.h"

namespace inferd {

struct GenerationTask {
  std::string name;             // "summarization", ...
  std::string prompt_template;  // with {text} or {question}/{context} placeholders
  std::string output_key;       // "summary_text", ...
  bool return_full_text = false;  // text-generation: prompt + continuation
};

// The task `model`'s config declares, with the request's `parameters`
// (may be null) applied; InvalidArgument naming the parameter.
absl::StatusOr<GenerationTask> GenerationTaskOf(const ModelVersion& model,
                                                const boost::json::object* parameters);

// The generation input of one instance: the filled prompt (as a user
// message when the model has a chat template) and the request's sampling
// parameters. InvalidArgument naming what the instance lacks.
absl::StatusOr<GenerateInput> GenerationTaskInput(const ModelVersion& model,
                                                  const GenerationTask& task,
                                                  const boost::json::value& instance,
                                                  const boost::json::object* parameters);

// The prediction for one finished instance.
boost::json::value GenerationTaskPrediction(const GenerationTask& task,
                                            const std::string& instance_text,
                                            const GenerateResult& result);

}  // namespace inferd
