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
#include "serving/inference_service.h"

namespace inferd {

using PredictRequest = PredictInput;

// `content_type` is the request's Content-Type header (empty: JSON). Needs
// at least one instance; does not bound their number (the caller answers
// 413 past its limit). Used by the route and by async jobs, which keep the
// body and its content type.
absl::StatusOr<PredictRequest> ParsePredictRequest(std::string_view content_type,
                                                   const std::string& body);

}  // namespace inferd
