#include "api/predict_request.h"

#include "tensor/scheduling_parameters.h"

#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "api/multipart.h"
#include "common/strings.h"

namespace inferd {
namespace {

namespace json = boost::json;
using pipelines::TaskInstance;

absl::StatusOr<std::shared_ptr<json::value>> ParseJson(std::string_view text,
                                                       std::string_view what) {
  boost::system::error_code ec;
  json::value value = json::parse(json::string_view(text.data(), text.size()), ec);
  if (ec) return absl::InvalidArgumentError(StrCat(what, " is not valid JSON: ", ec.message()));
  return std::make_shared<json::value>(std::move(value));
}

absl::StatusOr<PredictRequest> DecodeJson(std::string_view text) {
  PredictRequest out;
  absl::StatusOr<std::shared_ptr<json::value>> body = ParseJson(text, "the request body");
  if (!body.ok()) return body.status();
  out.body = *body;
  if (!out.body->is_object()) {
    return absl::InvalidArgumentError(
        "the request body must be a JSON object {\"instances\": [...]}");
  }
  const json::object& object = out.body->get_object();
  for (const auto& item : object) {
    if (item.key() != "instances" && item.key() != "parameters" &&
        item.key() != "signature_name") {
      return absl::InvalidArgumentError(
          StrCat("unknown field \"", item.key(),
                 "\"; a predict request has \"instances\" and \"parameters\""));
    }
  }
  const json::value* instances = object.if_contains("instances");
  if (instances == nullptr) return absl::InvalidArgumentError("\"instances\" is required");
  if (!instances->is_array()) {
    return absl::InvalidArgumentError("\"instances\" must be an array");
  }
  for (const json::value& instance : instances->get_array()) {
    TaskInstance task_instance;
    task_instance.json = &instance;
    out.instances.push_back(std::move(task_instance));
  }
  if (const json::value* parameters = object.if_contains("parameters")) {
    if (!parameters->is_object()) {
      return absl::InvalidArgumentError("\"parameters\" must be an object");
    }
    out.parameters = &parameters->get_object();
  }
  return out;
}

absl::StatusOr<PredictRequest> DecodeMultipart(std::string_view text, std::string_view boundary) {
  absl::StatusOr<std::vector<MultipartPart>> parts = ParseMultipart(text, boundary);
  if (!parts.ok()) return parts.status();
  PredictRequest out;
  for (MultipartPart& part : *parts) {
    if (part.name == "parameters" && part.filename.empty()) {
      absl::StatusOr<std::shared_ptr<json::value>> parameters =
          ParseJson(part.body, "the \"parameters\" part");
      if (!parameters.ok()) return parameters.status();
      if (!(*parameters)->is_object()) {
        return absl::InvalidArgumentError("the \"parameters\" part must be a JSON object");
      }
      out.body = *parameters;
      out.parameters = &out.body->get_object();
      continue;
    }
    TaskInstance instance;
    instance.bytes = std::move(part.body);
    instance.content_type = std::move(part.content_type);
    instance.filename = std::move(part.filename);
    out.instances.push_back(std::move(instance));
  }
  return out;
}

absl::StatusOr<PredictRequest> Decode(std::string_view content_type_header,
                                      const std::string& body) {
  const std::string content_type = absl::AsciiStrToLower(
      ToAbsl(content_type_header.empty() ? std::string_view("application/json")
                                         : content_type_header));
  absl::StatusOr<std::optional<std::string>> boundary = MultipartBoundary(content_type);
  if (!boundary.ok()) return boundary.status();
  if (boundary->has_value()) {
    // The boundary is case-sensitive: take it from the original header.
    boundary = MultipartBoundary(content_type_header);
    return DecodeMultipart(body, **boundary);
  }
  if (absl::StartsWith(content_type, "image/")) {
    PredictRequest out;
    TaskInstance instance;
    instance.bytes = body;
    instance.content_type = content_type.substr(0, content_type.find(';'));
    out.instances.push_back(std::move(instance));
    return out;
  }
  if (absl::StartsWith(content_type, "application/json") ||
      absl::StartsWith(content_type, "text/plain")) {
    return DecodeJson(body);
  }
  return absl::InvalidArgumentError(
      StrCat("Content-Type \"", content_type,
             "\" is not application/json, multipart/form-data or image/*"));
}

// Scheduler settings from the request parameters (the task ignores them).
absl::Status ReadScheduling(PredictRequest* request) {
  if (request->parameters == nullptr) return absl::OkStatus();
  SchedulingParameters scheduling;
  absl::Status status = ReadSchedulingParameters(*request->parameters, &scheduling);
  if (!status.ok()) return status;
  if (scheduling.priority) request->priority = *scheduling.priority;
  if (scheduling.timeout_us) {
    request->timeout = absl::Microseconds(static_cast<int64_t>(*scheduling.timeout_us));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<PredictRequest> ParsePredictRequest(std::string_view content_type,
                                                   const std::string& body) {
  absl::StatusOr<PredictRequest> request = Decode(content_type, body);
  if (!request.ok()) return request.status();
  if (request->instances.empty()) {
    return absl::InvalidArgumentError("\"instances\" must not be empty");
  }
  absl::Status scheduling = ReadScheduling(&*request);
  if (!scheduling.ok()) return scheduling;
  return request;
}

}  // namespace inferd
