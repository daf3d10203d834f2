#include "api/generate_api.h"

#include <memory>
#include <string>
#include <utility>

#include "api/jobs_api.h"
#include "api/generate_scheduling.h"
#include "api/json_fields.h"
#include "api/structured_output.h"
#include "api/status_http.h"
#include "api/token_charge.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "http/chunk_queue.h"

namespace inferd {
namespace {

namespace json = boost::json;
using json_fields::Bad;

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

}  // namespace

absl::StatusOr<GenerateInput> DecodeGenerateInput(std::string_view body) {
  absl::StatusOr<json::value> doc = json_fields::ParseObject(body);
  if (!doc.ok()) return doc.status();
  const json::object& root = doc->get_object();
  GenerateInput input;
  input.prompt_field = "text_input";
  const json::value* text = root.if_contains("text_input");
  if (text == nullptr) return Bad("text_input", "is required");
  if (!text->is_string()) return Bad("text_input", "must be a string");
  input.text_input = std::string(text->get_string());
  const json::value* params = root.if_contains("parameters");
  if (params == nullptr || params->is_null()) return input;
  if (!params->is_object()) return Bad("parameters", "must be an object");
  if (absl::Status s = ReadGenerateScheduling(params->get_object(), "parameters.", &input); !s.ok()) return s;
  for (const auto& [key, value] : params->get_object()) {
    const std::string k(key);
    if (k == "max_tokens" || k == "top_k" || k == "seed") {
      absl::StatusOr<int64_t> n = json_fields::Integer(value, k);
      if (!n.ok()) return n.status();
      if (k == "seed" && *n < 0) return Bad("seed", "must be >= 0");
      if (k == "max_tokens") input.max_tokens = *n;
      if (k == "top_k") input.top_k = *n;
      if (k == "seed") input.seed = static_cast<uint64_t>(*n);
    } else if (k == "temperature" || k == "top_p" || k == "min_p" || k == "repeat_penalty") {
      absl::StatusOr<double> x = json_fields::Number(value, k);
      if (!x.ok()) return x.status();
      (k == "temperature" ? input.temperature
       : k == "top_p"     ? input.top_p
       : k == "min_p"     ? input.min_p
                          : input.repeat_penalty) = *x;
    } else if (k == "ignore_eos") {
      absl::StatusOr<bool> b = json_fields::Bool(value, k);
      if (!b.ok()) return b.status();
      input.ignore_eos = *b;
    } else if (k == "stop") {
      absl::StatusOr<std::vector<std::string>> stop = json_fields::StringOrList(value, k);
      if (!stop.ok()) return stop.status();
      input.stop = *std::move(stop);
    } else if (k == "json_schema" || k == "grammar") {
      absl::StatusOr<GrammarPtr> g = k == "grammar" ? TextGrammar(value, "parameters.grammar")
                                                    : SchemaGrammar(value, "parameters.json_schema");
      if (!g.ok()) return g.status();
      if (absl::Status s = SetGrammar(*std::move(g), StrCat("parameters.", k), &input.grammar); !s.ok()) {
        return s;
      }
    }
    // Other parameters (Triton's clients send a few) are ignored.
  }
  return input;
}

absl::StatusOr<GenerateCall> DecodeGenerateCall(const InferenceService& service,
                                                const std::string& model_name,
                                                const std::string& version, std::string_view body) {
  absl::StatusOr<ModelHandle> model = service.Model(model_name, version);
  if (!model.ok()) return model.status();
  absl::StatusOr<GenerateInput> input = DecodeGenerateInput(body);
  if (!input.ok()) return input.status();
  return service.PrepareGenerate(*std::move(model), *std::move(input));
}

std::string GenerateResponseBody(const ModelVersion& model, const GenerateResult& result) {
  json::object fields = ResultFields(result);
  fields["text_output"] = result.text;
  return ModelFields(model, std::move(fields));
}

void GenerateApi::Generate(HttpRequest&& http, Responder respond) const {
  if (context_->jobs && context_->jobs->MaybeSubmit("generate", http, respond)) return;
  absl::StatusOr<GenerateCall> call = DecodeGenerateCall(
      *context_->service, std::string(http.param("model")), std::string(http.param("version")),
      http.body);
  if (!call.ok()) return respond(ErrorResponse(call.status()));
  ModelHandle model = call->model;
  context_->service->Generate(
      *std::move(call), http.cancel, nullptr,
      ChargeGenerated(http.charge_tokens, [model, codec = context_->codec_pool,
                                           respond = std::move(respond)](
                                              absl::StatusOr<GenerateResult> result) {
        auto shared = std::make_shared<absl::StatusOr<GenerateResult>>(std::move(result));
        codec->Post([model, shared, respond] {
          if (!shared->ok()) return respond(ErrorResponse(shared->status()));
          respond(JsonBody(200, GenerateResponseBody(*model, **shared)));
        });
      }));
}

void GenerateApi::GenerateStream(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<GenerateCall> call = DecodeGenerateCall(
      *context_->service, std::string(http.param("model")), std::string(http.param("version")),
      http.body);
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
      [model, queue, event](const GenerateDelta& delta) {
        queue->Push(event(ModelFields(*model, {{"text_output", delta.text}})));
      },
      ChargeGenerated(http.charge_tokens, [model, queue, event](
                                              absl::StatusOr<GenerateResult> result) {
        if (result.ok()) {
          json::object fields = ResultFields(*result);
          fields["text_output"] = "";
          queue->Push(event(ModelFields(*model, std::move(fields))));
        } else {
          queue->Push(event(json::serialize(json::object{{"error", std::string(result.status().message())}})));
        }
        queue->Finish();
      }));
}

}  // namespace inferd
