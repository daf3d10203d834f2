#pragma once

// Converts KServe v2 gRPC inference messages (inference.ModelInferRequest /
// ModelInferResponse) to and from the protocol-neutral InferenceRequest and
// InferenceResponse that the inference service runs, as the v2 JSON codec
// (tensor/v2_codec.h) does for HTTP.
//
// Decoding validates everything a client controls and returns
// InvalidArgument naming the field: datatypes, shapes against the element
// count, raw contents sizes (BYTES elements length-prefixed), typed contents
// in the field the datatype calls for, value ranges of narrow integer types,
// and parameters (an unknown one is refused, never ignored). It does not
// know the model: the inference service checks names and dims afterwards.
// Nothing is allocated from a shape before the data proves it holds that
// many elements.
//
// Encoding always answers with raw_output_contents, as Triton does.
// Stateless; safe to call from any thread.

#include "absl/status/statusor.h"
#include "grpc/grpc_service.pb.h"
#include "tensor/inference_request.h"

namespace inferd::grpc_api {

absl::StatusOr<InferenceRequest> DecodeGrpcInferRequest(
    const inference::ModelInferRequest& request);

// Fills `out` (cleared first) from `response`, whose tensors it moves.
void EncodeGrpcInferResponse(InferenceResponse&& response, inference::ModelInferResponse* out);

}  // namespace inferd::grpc_api
