#pragma once

// KServe v1 / TF Serving REST predict, answered by the model's task
// pipeline (pipelines/task):
//
//   POST /v1/models/{model}:predict
//   POST /v1/models/{model}/versions/{version}:predict
//
// Bodies:
//   application/json     {"instances": [...], "parameters": {...}}; an
//                        instance is a string, {"text", "text_pair"},
//                        {"b64": "..."} (an image), or numbers
//   multipart/form-data  one instance per file part (image uploads); a part
//                        named "parameters" holds the parameters as JSON
//   image/*              the body is one image
// Answer: {"predictions": [...], "model_name", "model_version",
// "request_id", "inference_time_ms", "success_count", "failure_count"}; an
// instance that fails on its own is {"error": "..."} in place. A malformed
// request is a 400 naming the field; more than `max_instances` instances a
// 413; when every instance fails the answer is a 400 with the same body.
//
// Parsing and preprocessing run on the task pool (never the I/O thread);
// the model runs on its scheduler. Thread-safe.

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "api/api_context.h"
#include "common/thread_pool.h"
#include "http/route_table.h"

namespace inferd {

// Decodes a :predict body (by its Content-Type) for `model`/`version` and
// prepares it through the inference service: the same checks for the route
// and for async jobs. More than `max_instances` instances is OutOfRange
// (413).
absl::StatusOr<std::shared_ptr<TaskCall>> DecodePredictCall(
    const InferenceService& service, const std::string& model, const std::string& version,
    std::string_view content_type, const std::string& body, size_t max_instances,
    std::shared_ptr<CancelSignal> cancel);

// The route's answer for an outcome (see above), or the error.
HttpResponse PredictResponse(const absl::StatusOr<TaskOutcome>& outcome, const ModelVersion& model,
                             const std::string& request_id, absl::Time started);

// A fresh request id (16 hex digits) for answers that carry one.
std::string NewRequestId();

class PredictApi {
 public:
  struct Options {
    size_t max_instances = 1000;     // per request
    ThreadPool* pool = nullptr;      // not owned: preprocessing, responses
  };

  PredictApi(const ApiContext* context, Options options)
      : context_(context), options_(options) {}

  void Predict(HttpRequest&& request, Responder respond) const;

 private:
  const ApiContext* context_;
  const Options options_;
};

}  // namespace inferd
