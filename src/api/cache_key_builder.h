#pragma once

// CacheKeyBuilder: turns a decoded inference request into a CacheKey, so two
// requests share a cache entry exactly when they would get the same response
// bytes.
//
// What goes into the key, in this canonical order, every variable-length
// field length-prefixed (so no two different field lists serialise alike):
//   1. a format version tag ("inferd-cache-key-v1");
//   2. the route ("infer", "predict", ...): it decides the response encoding;
//   3. the model name and the resolved model version (callers pass the
//      version that actually serves the request, not "latest");
//   4. every input, sorted by name: name, datatype name ("FP32"), rank and
//      dims, then the element payload: packed little-endian bytes for
//      fixed-size types, and for BYTES each element as a length and its
//      bytes. Hashing the decoded tensor, not the JSON text, makes the JSON
//      spelling irrelevant: [1.0] and [1] for FP32 decode to the same bytes.
//      (Bit patterns count: -0.0 and 0.0, or two NaN payloads, differ.)
//   5. the requested outputs, sorted by name, each with its effective binary
//      flag (its own binary_data, else the request default); an empty list
//      means "all outputs" and is recorded as such, together with the
//      request-level binary_data_output default;
//   6. parameters that affect the output (AddParameter), sorted by name;
//   7. the request id when non-empty, because v2 responses echo it: requests
//      with different ids never share response bytes.
// Nothing else: not headers, not the JSON whitespace or key order, not the
// order inputs or outputs were listed in.
//
// Not thread-safe; build one key per request.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "cache/response_cache.h"
#include "tensor/inference_request.h"
#include "tensor/tensor.h"

namespace inferd::cache {

class CacheKeyBuilder {
 public:
  CacheKeyBuilder(std::string_view route, std::string_view model,
                  std::string_view version);

  // The key of a KServe v2 infer request: all its inputs, outputs and
  // binary flags, and its id. InvalidArgument on a duplicate input or
  // output name.
  static absl::StatusOr<CacheKey> ForInferRequest(
      std::string_view route, std::string_view model, std::string_view version,
      const InferenceRequest& request);

  // The tensor is referenced, not copied: it must outlive Build().
  CacheKeyBuilder& AddInput(const NamedTensor& input);
  CacheKeyBuilder& AddRequestedOutput(std::string_view name, bool binary);
  CacheKeyBuilder& SetBinaryDataOutputDefault(bool binary);
  // An output-affecting parameter, as canonical text chosen by the caller
  // (e.g. "0.7" for a temperature the caller has already parsed).
  CacheKeyBuilder& AddParameter(std::string_view name, std::string_view value);
  CacheKeyBuilder& SetRequestId(std::string_view id);

  // InvalidArgument when two inputs, outputs or parameters share a name.
  absl::StatusOr<CacheKey> Build() const;

 private:
  std::string route_;
  std::string model_;
  std::string version_;
  std::vector<const NamedTensor*> inputs_;
  std::vector<std::pair<std::string, bool>> outputs_;
  std::vector<std::pair<std::string, std::string>> parameters_;
  bool binary_default_ = false;
  std::string request_id_;
};

}  // namespace inferd::cache
