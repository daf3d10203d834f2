#pragma once

// The body of a KServe v1 / TF Serving :predict request, decoded into task
// instances (see predict_api.h for the routes and the answer):
//
//   application/json     {"instances": [...], "parameters": {...}}
//                        ("signature_name" is accepted and ignored)
//   multipart/form-data  one instance per part; a part named "parameters"
//                        without a filename holds the parameters as JSON
//   image/*              the body is one image
//
// The scheduling parameters "priority" and "timeout" (microseconds) are read
// here; the rest of "parameters" belongs to the task. Every error is
// InvalidArgument naming the field.

#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/json.hpp"
#include "http/http_message.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd {

struct PredictRequest {
  // The JSON body (or the "parameters" part) that instances and parameters
  // point into; null for a raw image or a multipart body without parameters.
  std::shared_ptr<boost::json::value> body;
  std::vector<pipelines::TaskInstance> instances;
  const boost::json::object* parameters = nullptr;  // null when absent
  uint32_t priority = 0;                              // 0: the model's default
  std::optional<absl::Duration> timeout;              // queue timeout
};

// Needs at least one instance; does not bound their number (the caller
// answers 413 past its limit).
absl::StatusOr<PredictRequest> ParsePredictRequest(const HttpRequest& http);

}  // namespace inferd
