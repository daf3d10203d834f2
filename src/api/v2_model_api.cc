#include "api/v2_model_api.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/cached_response.h"
#include "api/jobs_api.h"
#include "api/status_http.h"
#include "api/cache_key_builder.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "boost/json.hpp"
#include "config/model_config_loader.h"
#include "tensor/v2_codec.h"

namespace inferd {
namespace {

namespace json = boost::json;

json::array TensorMetadata(const ModelSignature& signature,
                           const std::vector<TensorSpec>& specs) {
  json::array out;
  for (const TensorSpec& spec : specs) {
    json::array shape;
    for (int64_t d : signature.ClientShape(spec)) shape.emplace_back(d);
    out.emplace_back(json::object{{"name", spec.name},
                                  {"datatype", DataTypeName(spec.dtype)},
                                  {"shape", std::move(shape)}});
  }
  return out;
}

absl::StatusOr<ModelHandle> HandleFor(const ApiContext* context,
                                      const HttpRequest& request) {
  return context->service->Model(request.param("model"), request.param("version"));
}

// Outputs up to this many bytes are encoded where they are produced.
constexpr size_t kInlineEncodeBytes = 16 << 10;

size_t OutputBytes(const InferenceResponse& response) {
  size_t bytes = 0;
  for (const NamedTensor& output : response.outputs) {
    bytes += output.tensor.data.size();
    for (const std::string& s : output.tensor.strings) bytes += s.size();
  }
  return bytes;
}

bool UsesSharedMemory(const InferenceRequest& request) {
  if (!request.shared_memory_inputs.empty()) return true;
  for (const RequestedOutput& output : request.outputs) {
    if (output.shared_memory) return true;
  }
  return false;
}

// Fills the inputs that name a shared memory region from it, with the same
// checks as binary data in the body (size against shape and datatype).
absl::Status ReadSharedMemoryInputs(const SharedMemoryRegistry* shared_memory,
                                    InferenceRequest& request) {
  if (!UsesSharedMemory(request)) return absl::OkStatus();
  if (shared_memory == nullptr) {
    return absl::InvalidArgumentError(
        "shared memory inputs and outputs are not available here (async jobs carry their "
        "tensors in the body)");
  }
  for (const SharedMemoryInput& in : request.shared_memory_inputs) {
    NamedTensor& input = request.inputs[in.input];
    const std::string what = StrCat("input \"", input.name, "\"");
    absl::StatusOr<std::string> bytes = shared_memory->Read(in.ref, what);
    if (!bytes.ok()) return bytes.status();
    INFERD_RETURN_IF_ERROR(DecodeV2BinaryTensor(*bytes, input.name, input.tensor));
  }
  return absl::OkStatus();
}

// Writes the outputs asked into shared memory there, as binary tensor data,
// and marks them so that the answer names the region instead of the data.
absl::Status WriteSharedMemoryOutputs(const SharedMemoryRegistry* shared_memory,
                                      const InferenceRequest& request,
                                      InferenceResponse& response) {
  if (request.outputs.empty()) return absl::OkStatus();
  for (size_t k = 0; k < request.outputs.size() && k < response.outputs.size(); ++k) {
    const std::optional<SharedMemoryRef>& ref = request.outputs[k].shared_memory;
    if (!ref) continue;
    if (shared_memory == nullptr) {
      return absl::InvalidArgumentError("shared memory outputs are not available here");
    }
    const NamedTensor& output = response.outputs[k];
    std::string bytes;
    bytes.reserve(V2BinarySize(output.tensor));
    AppendV2BinaryData(output.tensor, bytes);
    INFERD_RETURN_IF_ERROR(
        shared_memory->Write(*ref, bytes, StrCat("output \"", output.name, "\"")));
    response.shared_memory.resize(response.outputs.size());
    response.shared_memory[k] = SharedMemoryRef{ref->region, bytes.size(), ref->offset};
  }
  return absl::OkStatus();
}

}  // namespace

void V2ModelApi::Metadata(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<ModelHandle> model = HandleFor(context_, request);
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  // ReadyVersions() reads only memory; Index() would also scan the folder.
  json::array versions;
  for (const ModelHandle& ready : context_->repository->ReadyVersions()) {
    if (ready->name() == (*model)->name()) versions.emplace_back(ready->version_string());
  }
  const ModelSignature& signature = (*model)->signature();
  json::object body{
      {"name", (*model)->name()},
      {"versions", std::move(versions)},
      {"platform", (*model)->config().platform()},
      {"inputs", TensorMetadata(signature, signature.inputs())},
      {"outputs", TensorMetadata(signature, signature.outputs())},
  };
  respond(JsonBody(200, json::serialize(body)));
}

void V2ModelApi::Ready(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<ModelHandle> model = HandleFor(context_, request);
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  json::object body{{"name", (*model)->name()},
                    {"version", (*model)->version_string()},
                    {"ready", true}};
  respond(JsonBody(200, json::serialize(body)));
}

void V2ModelApi::Config(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<ModelHandle> model = HandleFor(context_, request);
  if (!model.ok()) return respond(ErrorResponse(model.status()));
  respond(JsonBody(200, ModelConfigToJson((*model)->config())));
}

absl::StatusOr<InferCall> DecodeInferCall(const InferenceService& service,
                                          const std::string& model, const std::string& version,
                                          std::optional<std::string_view> header_length_text,
                                          std::string_view body,
                                          const SharedMemoryRegistry* shared_memory) {
  absl::StatusOr<ModelHandle> handle = service.Model(model, version);
  if (!handle.ok()) return handle.status();
  std::optional<size_t> header_length;
  if (header_length_text) {
    size_t parsed;
    if (!absl::SimpleAtoi(absl::string_view(header_length_text->data(), header_length_text->size()),
                          &parsed)) {
      return absl::InvalidArgumentError(
          "Inference-Header-Content-Length must be a non-negative integer");
    }
    header_length = parsed;
  }
  absl::StatusOr<InferenceRequest> decoded = DecodeV2InferRequest(body, header_length);
  if (!decoded.ok()) return decoded.status();
  INFERD_RETURN_IF_ERROR(ReadSharedMemoryInputs(shared_memory, *decoded));
  return service.PrepareInfer(*std::move(handle), *std::move(decoded));
}

HttpResponse InferResponse(absl::StatusOr<InferenceResponse> result,
                           const InferenceRequest* request,
                           const SharedMemoryRegistry* shared_memory) {
  if (!result.ok()) return ErrorResponse(result.status());
  if (request != nullptr) {
    if (absl::Status written = WriteSharedMemoryOutputs(shared_memory, *request, *result);
        !written.ok()) {
      return ErrorResponse(written);
    }
  }
  EncodedResponse encoded = EncodeV2InferResponse(*result);
  HttpResponse response;
  response.content_type = std::move(encoded.content_type);
  response.body = std::move(encoded.body);
  if (encoded.json_header_length) {
    response.headers.emplace_back("Inference-Header-Content-Length",
                                  std::to_string(*encoded.json_header_length));
  }
  return response;
}

void V2ModelApi::Infer(HttpRequest&& http, Responder respond) const {
  if (context_->jobs && context_->jobs->MaybeSubmit("infer", http, respond)) return;
  const absl::Time started = absl::Now();
  absl::StatusOr<InferCall> call =
      DecodeInferCall(*context_->service, http.param("model"), http.param("version"),
                      http.header("inference-header-content-length"), http.body,
                      context_->shared_memory);
  if (!call.ok()) return respond(ErrorResponse(call.status()));

  // The cache key hashes the decoded inputs, so it is built before Infer()
  // moves them into the scheduler.
  // Classification and shared memory answers depend on more than the key
  // holds (and a region's contents may change): they bypass the cache.
  bool cacheable = call->request->shared_memory_inputs.empty();
  for (const RequestedOutput& output : call->request->outputs) {
    if (output.classification || output.shared_memory) cacheable = false;
  }
  std::optional<cache::CacheKey> key;
  if (cacheable && context_->cache && call->model->config().response_cache().enable()) {
    absl::StatusOr<cache::CacheKey> built = cache::CacheKeyBuilder::ForInferRequest(
        "infer", call->model->name(), call->model->version_string(), *call->request);
    if (!built.ok()) return respond(ErrorResponse(built.status()));
    key = *built;
  }
  // Kept for the shared memory outputs, written when the answer is encoded.
  std::shared_ptr<const InferenceRequest> request =
      UsesSharedMemory(*call->request) ? call->request : nullptr;
  auto compute = [service = context_->service, codec = context_->codec_pool,
                  shared_memory = context_->shared_memory, request,
                  call = *std::move(call), cancel = http.cancel](Responder done) mutable {
    // Large outputs are encoded on the codec pool, so the executor goes on
    // to its next batch; small ones (the common case: a few KiB) cost less
    // to encode than the hand-over to another thread (measured: ~10% of
    // `simple`'s throughput), so the executor encodes them itself.
    service->Infer(std::move(call), cancel,
                   [codec, shared_memory, request,
                    done = std::move(done)](absl::StatusOr<InferenceResponse> result) {
                     if (!result.ok() || OutputBytes(*result) <= kInlineEncodeBytes) {
                       return done(
                           InferResponse(std::move(result), request.get(), shared_memory));
                     }
                     auto shared = std::make_shared<absl::StatusOr<InferenceResponse>>(
                         std::move(result));
                     codec->Post([shared, done, request, shared_memory] {
                       done(InferResponse(std::move(*shared), request.get(), shared_memory));
                     });
                   });
  };
  if (!key) {
    return compute([respond = std::move(respond)](HttpResponse response) {
      TagCache(response, "bypass");
      respond(std::move(response));
    });
  }
  RespondThroughCache(context_->cache, context_->cache_metrics, *key, ParseCacheDirectives(http),
                      started, std::move(compute), std::move(respond));
}

}  // namespace inferd
