#pragma once

// KServe v2 / Open Inference Protocol infer request and response codec,
// JSON plus the binary tensor data extension.
//
// Decoding validates everything a client controls (JSON syntax, field types,
// datatypes, shapes against data length, numeric ranges, binary sizes) and
// returns InvalidArgument naming the field. It does not know the model: the
// model signature checks names, datatypes and dims afterwards.
// Stateless; safe to call from any thread.

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "tensor/inference_request.h"

namespace inferd {

// Decodes a request body. `json_header_length` is the value of the
// Inference-Header-Content-Length header when present: the first that many
// bytes are JSON and the rest holds binary tensor data.
absl::StatusOr<InferenceRequest> DecodeV2InferRequest(
    std::string_view body, std::optional<size_t> json_header_length);

// Fills `tensor` (dtype and shape set) from binary tensor data: packed
// little-endian elements, or for BYTES 4-byte length-prefixed strings.
// InvalidArgument naming `input` when the size does not match the shape.
absl::Status DecodeV2BinaryTensor(std::string_view bytes, std::string_view input,
                                  Tensor& tensor);

// The size of `tensor` as binary tensor data, and its bytes appended to `out`.
size_t V2BinarySize(const Tensor& tensor);
void AppendV2BinaryData(const Tensor& tensor, std::string& out);

struct EncodedResponse {
  std::string body;
  std::string content_type;
  // Set when the body carries binary outputs after the JSON header.
  std::optional<size_t> json_header_length;
};

EncodedResponse EncodeV2InferResponse(const InferenceResponse& response);

}  // namespace inferd
