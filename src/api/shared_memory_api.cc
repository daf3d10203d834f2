#include "api/shared_memory_api.h"

#include "api/shared_memory_registry.h"
#include "api/status_http.h"
#include "boost/json.hpp"
#include "common/strings.h"

namespace inferd {
namespace {

namespace json = boost::json;

absl::StatusOr<uint64_t> Unsigned(const json::object& body, std::string_view key, bool required) {
  const json::value* v = body.if_contains(key);
  if (v == nullptr) {
    if (!required) return 0;
    return absl::InvalidArgumentError(StrCat("register: missing \"", key, "\""));
  }
  if (v->is_uint64()) return v->get_uint64();
  if (v->is_int64() && v->get_int64() >= 0) return static_cast<uint64_t>(v->get_int64());
  return absl::InvalidArgumentError(StrCat("register: \"", key, "\" must be a non-negative integer"));
}

HttpResponse Unavailable() {
  return JsonError(400, "system shared memory is not available on this server");
}

}  // namespace

void SharedMemoryApi::SystemStatus(const HttpRequest& request, Responder respond) const {
  if (context_->shared_memory == nullptr) return respond(Unavailable());
  absl::StatusOr<std::vector<SharedMemoryRegistry::RegionStatus>> regions =
      context_->shared_memory->Status(request.param("region"));
  if (!regions.ok()) return respond(ErrorResponse(regions.status()));
  json::array out;
  for (const auto& region : *regions) {
    out.emplace_back(json::object{{"name", region.name},
                                  {"key", region.key},
                                  {"offset", region.offset},
                                  {"byte_size", region.byte_size}});
  }
  respond(JsonBody(200, json::serialize(out)));
}

void SharedMemoryApi::SystemRegister(const HttpRequest& request, Responder respond) const {
  if (context_->shared_memory == nullptr) return respond(Unavailable());
  boost::system::error_code ec;
  json::value body = json::parse(request.body, ec);
  if (ec || !body.is_object()) {
    return respond(JsonError(400, "register: the body must be a JSON object "
                                  "{\"key\", \"offset\", \"byte_size\"}"));
  }
  const json::object& object = body.get_object();
  for (const auto& [key, value] : object) {
    if (key != "key" && key != "offset" && key != "byte_size") {
      return respond(JsonError(
          400, StrCat("register: field \"", std::string_view(key),
                      "\" is not supported (supported: key, offset, byte_size)")));
    }
  }
  const json::value* key = object.if_contains("key");
  if (key == nullptr || !key->is_string() || key->get_string().empty()) {
    return respond(JsonError(400, "register: \"key\" must name a shared memory object"));
  }
  absl::StatusOr<uint64_t> offset = Unsigned(object, "offset", false);
  if (!offset.ok()) return respond(ErrorResponse(offset.status()));
  absl::StatusOr<uint64_t> byte_size = Unsigned(object, "byte_size", true);
  if (!byte_size.ok()) return respond(ErrorResponse(byte_size.status()));
  absl::Status status = context_->shared_memory->Register(
      request.param("region"), std::string(key->get_string()), *offset, *byte_size);
  respond(status.ok() ? JsonBody(200, "{}") : ErrorResponse(status));
}

void SharedMemoryApi::SystemUnregister(const HttpRequest& request, Responder respond) const {
  if (context_->shared_memory == nullptr) return respond(Unavailable());
  context_->shared_memory->Unregister(request.param("region"));
  respond(JsonBody(200, "{}"));
}

void SharedMemoryApi::CudaStatus(const HttpRequest& request, Responder respond) const {
  if (!request.param("region").empty()) {
    return respond(JsonError(400, StrCat("Unable to find cuda shared memory region: '",
                                         request.param("region"),
                                         "' (inferd runs on the CPU: no GPU)")));
  }
  respond(JsonBody(200, "[]"));
}

void SharedMemoryApi::CudaRegister(const HttpRequest&, Responder respond) const {
  respond(JsonError(400,
                    "CUDA shared memory is not supported: inferd runs on the CPU (no GPU); "
                    "use system shared memory (/v2/systemsharedmemory)"));
}

void SharedMemoryApi::CudaUnregister(const HttpRequest&, Responder respond) const {
  respond(JsonBody(200, "{}"));
}

}  // namespace inferd
