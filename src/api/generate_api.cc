#include "api/generate_api.h"

#include <memory>
#include <string>
#include <utility>

#include "api/status_http.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "http/chunk_queue.h"

namespace inferd {
namespace {

namespace json = boost::json;

absl::Status Bad(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(StrCat(field, ": ", rule));
}

absl::StatusOr<double> Number(const json::value& v, std::string_view field) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return Bad(field, "must be a number");
}

absl::StatusOr<int64_t> Integer(const json::value& v, std::string_view field) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.get_uint64());
  }
  return Bad(field, "must be an integer");
}

std::string ModelFields(const ModelVersion& model, json::object extra) {
  json::object out{{"model_name", model.name()}, {"model_version", model.version_string()}};
  for (auto& [key, value] : extra) out[key] = std::move(value);
  return json::serialize(out);
}

json::object ResultFields(const GenerateResult& result) {
  return json::object{{"finish_reason", result.finish_reason},
                      {"prompt_tokens", result.prompt_tokens},
                      {"generated_tokens", result.generated_tokens}};
}

// Decodes and prepares; on failure returns the error response.
absl::StatusOr<GenerateCall> Prepare(const ApiContext* context, const HttpRequest& http) {
  absl::StatusOr<ModelHandle> model =
      context->service->Model(http.param("model"), http.param("version"));
  if (!model.ok()) return model.status();
  absl::StatusOr<GenerateInput> input = DecodeGenerateInput(http.body);
  if (!input.ok()) return input.status();
  return context->service->PrepareGenerate(*std::move(model), *std::move(input));
}

}  // namespace

absl::StatusOr<GenerateInput> DecodeGenerateInput(std::string_view body) {
  // Invalid UTF-8 is let through the parser so that the error can name the
  // field that holds it.
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  std::error_code ec;
  json::value doc = json::parse(body, ec, json::storage_ptr(), options);
  if (ec) return absl::InvalidArgumentError(StrCat("request body is not JSON: ", ec.message()));
  if (!doc.is_object()) return absl::InvalidArgumentError("request body must be a JSON object");
  const json::object& root = doc.get_object();
  GenerateInput input;
  const json::value* text = root.if_contains("text_input");
  if (text == nullptr) return Bad("text_input", "is required");
  if (!text->is_string()) return Bad("text_input", "must be a string");
  input.text_input = std::string(text->get_string());
  const json::value* params = root.if_contains("parameters");
  if (params == nullptr || params->is_null()) return input;
  if (!params->is_object()) return Bad("parameters", "must be an object");
  for (const auto& [key, value] : params->get_object()) {
    if (key == "max_tokens") {
      absl::StatusOr<int64_t> n = Integer(value, "max_tokens");
      if (!n.ok()) return n.status();
      input.max_tokens = *n;
    } else if (key == "temperature" || key == "top_p") {
      absl::StatusOr<double> x = Number(value, key);
      if (!x.ok()) return x.status();
      (key == "temperature" ? input.temperature : input.top_p) = *x;
    } else if (key == "top_k") {
      absl::StatusOr<int64_t> n = Integer(value, "top_k");
      if (!n.ok()) return n.status();
      input.top_k = *n;
    } else if (key == "seed") {
      absl::StatusOr<int64_t> n = Integer(value, "seed");
      if (!n.ok()) return n.status();
      if (*n < 0) return Bad("seed", "must be >= 0");
      input.seed = static_cast<uint64_t>(*n);
    } else if (key == "ignore_eos") {
      if (!value.is_bool()) return Bad("ignore_eos", "must be true or false");
      input.ignore_eos = value.get_bool();
    } else if (key == "stop") {
      if (value.is_string()) {
        input.stop.emplace_back(value.get_string());
      } else if (value.is_array()) {
        for (const json::value& s : value.get_array()) {
          if (!s.is_string()) return Bad("stop", "must be a string or an array of strings");
          input.stop.emplace_back(s.get_string());
        }
      } else {
        return Bad("stop", "must be a string or an array of strings");
      }
    }
    // Other parameters (Triton's clients send a few) are ignored.
  }
  return input;
}

void GenerateApi::Generate(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<GenerateCall> call = Prepare(context_, http);
  if (!call.ok()) return respond(ErrorResponse(call.status()));
  ModelHandle model = call->model;
  context_->service->Generate(
      *std::move(call), http.cancel, nullptr,
      [model, codec = context_->codec_pool,
       respond = std::move(respond)](absl::StatusOr<GenerateResult> result) {
        auto shared = std::make_shared<absl::StatusOr<GenerateResult>>(std::move(result));
        codec->Post([model, shared, respond] {
          if (!shared->ok()) return respond(ErrorResponse(shared->status()));
          json::object fields = ResultFields(**shared);
          fields["text_output"] = (*shared)->text;
          respond(JsonBody(200, ModelFields(*model, std::move(fields))));
        });
      });
}

void GenerateApi::GenerateStream(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<GenerateCall> call = Prepare(context_, http);
  if (!call.ok()) return respond(ErrorResponse(call.status()));
  ModelHandle model = call->model;
  std::shared_ptr<CancelSignal> cancel = http.cancel ? http.cancel : std::make_shared<CancelSignal>();
  // A client that goes away closes the stream, which ends the sequence.
  auto queue = std::make_shared<ChunkQueue>([cancel] { cancel->Cancel(); });
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = queue;
  respond(std::move(response));
  const auto event = [](const std::string& data) { return StrCat("data: ", data, "\n\n"); };
  context_->service->Generate(
      *std::move(call), cancel,
      [model, queue, event](std::string_view delta) {
        queue->Push(event(ModelFields(*model, {{"text_output", delta}})));
      },
      [model, queue, event](absl::StatusOr<GenerateResult> result) {
        if (result.ok()) {
          json::object fields = ResultFields(*result);
          fields["text_output"] = "";
          queue->Push(event(ModelFields(*model, std::move(fields))));
        } else {
          queue->Push(event(json::serialize(json::object{{"error", std::string(result.status().message())}})));
        }
        queue->Finish();
      });
}

}  // namespace inferd
