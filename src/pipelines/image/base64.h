#pragma once

// Base64 payloads of images in JSON requests ({"b64": "..."}, as TF Serving
// and KServe v1 clients send them).
//
// Accepts the standard and the URL-safe alphabet, with or without '='
// padding, and an optional data URL prefix ("data:image/png;base64,").
// Decoding is Abseil's. Pure function; thread-safe.

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace inferd::pipelines {

// InvalidArgument for characters outside the alphabet or a bad length.
absl::StatusOr<std::string> DecodeBase64(std::string_view text);

}  // namespace inferd::pipelines
