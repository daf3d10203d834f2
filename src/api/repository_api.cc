#include "api/repository_api.h"

#include "api/status_http.h"
#include "boost/json.hpp"

namespace inferd {
namespace {

namespace json = boost::json;

// An optional JSON object body; empty bodies count as {}.
absl::StatusOr<json::object> OptionalObject(const std::string& body) {
  if (body.find_first_not_of(" \t\r\n") == std::string::npos) return json::object{};
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) {
    return absl::InvalidArgumentError("request body is not valid JSON: " + ec.message());
  }
  if (!value.is_object()) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  return std::move(value.get_object());
}

}  // namespace

void RepositoryApi::Index(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<json::object> body = OptionalObject(request.body);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  bool ready_only = false;
  if (const json::value* ready = body->if_contains("ready")) {
    if (!ready->is_bool()) return respond(JsonError(400, "\"ready\" must be true or false"));
    ready_only = ready->get_bool();
  }
  json::array out;
  for (const ModelStatus& model : context_->repository->Index()) {
    for (const VersionStatus& version : model.versions) {
      if (ready_only && version.state != ModelState::kReady) continue;
      json::object entry{{"name", model.name},
                         {"state", ModelStateName(version.state)},
                         {"reason", version.reason}};
      if (!version.version.empty()) entry["version"] = version.version;
      out.emplace_back(std::move(entry));
    }
  }
  respond(JsonBody(200, json::serialize(out)));
}

void RepositoryApi::Load(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<json::object> body = OptionalObject(request.body);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  if (const json::value* params = body->if_contains("parameters")) {
    if (params->is_object() && !params->get_object().empty()) {
      return respond(JsonError(
          400, "load \"parameters\" (config or file overrides) are not supported"));
    }
  }
  std::string name = request.param("model");
  ModelRepository* repository = context_->repository;
  context_->control_pool->Post([repository, name, respond = std::move(respond)] {
    absl::Status status = repository->Load(name);
    respond(status.ok() ? JsonBody(200, "{}") : ErrorResponse(status));
  });
}

void RepositoryApi::Unload(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<json::object> body = OptionalObject(request.body);
  if (!body.ok()) return respond(ErrorResponse(body.status()));
  std::string name = request.param("model");
  ModelRepository* repository = context_->repository;
  context_->control_pool->Post([repository, name, respond = std::move(respond)] {
    absl::Status status = repository->Unload(name);
    respond(status.ok() ? JsonBody(200, "{}") : ErrorResponse(status));
  });
}

}  // namespace inferd
