#include "api/repository_api.h"

#include "absl/strings/escaping.h"
#include "api/status_http.h"
#include "common/strings.h"
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

// Triton's load parameters: "config" (a model config as a JSON string) and
// "file:<path>" (a file of the model folder, base64). Anything else is a 400
// naming it.
absl::StatusOr<ModelRepository::LoadOverrides> ParseLoadParameters(const json::object& body) {
  ModelRepository::LoadOverrides overrides;
  const json::value* params = body.if_contains("parameters");
  if (params == nullptr) return overrides;
  if (!params->is_object()) {
    return absl::InvalidArgumentError("load: \"parameters\" must be an object");
  }
  for (const auto& [key, value] : params->get_object()) {
    const std::string_view name(key);
    if (name == "config") {
      if (!value.is_string()) {
        return absl::InvalidArgumentError(
            "load parameter \"config\" must be a string holding the model config as JSON");
      }
      overrides.config_json = std::string(value.get_string());
    } else if (name.starts_with("file:")) {
      std::string contents;
      if (!value.is_string() ||
          !absl::Base64Unescape(ToAbsl(std::string_view(value.get_string())), &contents)) {
        return absl::InvalidArgumentError(
            StrCat("load parameter \"", name, "\" must be the file's contents in base64"));
      }
      overrides.files[std::string(name.substr(5))] = std::move(contents);
    } else {
      return absl::InvalidArgumentError(
          StrCat("load parameter \"", name, "\" is not supported (supported: config, file:<path>)"));
    }
  }
  return overrides;
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
  absl::StatusOr<ModelRepository::LoadOverrides> overrides = ParseLoadParameters(*body);
  if (!overrides.ok()) return respond(ErrorResponse(overrides.status()));
  std::string name = request.param("model");
  ModelRepository* repository = context_->repository;
  context_->control_pool->Post([repository, name, overrides = *std::move(overrides),
                                respond = std::move(respond)] {
    absl::Status status = repository->Load(name, overrides);
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
