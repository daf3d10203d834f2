#pragma once

// Loads one version of a GGUF language model: reads its settings from the
// config's `parameters`, maps the file, starts its generation loop and
// parses its chat template (the `chat_template` parameter names a file
// beside config.pbtxt that overrides the GGUF's `tokenizer.chat_template`).
// A template the interpreter cannot run fails the load with the construct
// and its line; a model without any template loads, and chat requests to it
// are refused with a message that says so.
//
// Stateless; thread-safe.

#include <string>

#include "absl/status/status.h"
#include "metrics/inference_metrics.h"
#include "repository/model_version.h"

namespace inferd {

// `path` is the model file; `model_dir` the folder of config.pbtxt ("" for a
// model given as a file, which then cannot name a template file); `metrics`
// (optional) gets the model's counters.
absl::Status LoadGguf(const std::string& path, const std::string& model_dir,
                      InferenceMetrics* metrics, ModelVersion& model);

}  // namespace inferd
