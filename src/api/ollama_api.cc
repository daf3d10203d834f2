#include "api/ollama_api.h"

#include <memory>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "api/embeddings_api.h"
#include "api/ollama_model_info.h"
#include "api/ollama_response.h"
#include "api/status_http.h"
#include "api/token_charge.h"
#include "boost/json/serialize.hpp"
#include "common/strings.h"
#include "http/chunk_queue.h"
#include "pipelines/task/feature_extraction.h"

namespace inferd {
namespace {

namespace json = boost::json;

constexpr char kNdjson[] = "application/x-ndjson";

// The name Ollama's clients list a model under.
std::string Tagged(const std::string& name) { return StrCat(name, ":latest"); }

bool IsZero(const std::optional<absl::Duration>& keep) {
  return keep && *keep == absl::ZeroDuration();
}

HttpResponse Ndjson(std::shared_ptr<ChunkQueue> queue) {
  HttpResponse response;
  response.content_type = kNdjson;
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = std::move(queue);
  return response;
}

// A model of the repository that is not loaded, as ModelRepository::Index
// says it ("not loaded", or "unloaded" after an unload), rather than one
// that failed: in explicit mode, one a request loads.
bool Loadable(const ModelStatus& model) {
  for (const VersionStatus& version : model.versions) {
    if (version.state != ModelState::kUnavailable) return false;
    if (version.reason != "not loaded" && version.reason != "unloaded") return false;
  }
  return true;
}

}  // namespace

void OllamaApi::WithModel(const std::string& name, ModelDone done) const {
  absl::StatusOr<ModelHandle> model = context_->service->Model(name, "");
  if (model.ok() || options_.keep_alive == nullptr ||
      model.status().code() != absl::StatusCode::kUnavailable) {
    return done(std::move(model));
  }
  // Not loaded (or loading, or unloading): load it on the control pool,
  // whose one thread also runs every other load, so two requests for the
  // same model load it once.
  const InferenceService* service = context_->service;
  ModelRepository* repository = context_->repository;
  KeepAlive* keep_alive = options_.keep_alive;
  context_->control_pool->Post([service, repository, keep_alive, name, done = std::move(done)] {
    absl::StatusOr<ModelHandle> model = service->Model(name, "");
    if (!model.ok() && model.status().code() == absl::StatusCode::kUnavailable) {
      if (absl::Status loaded = repository->Load(name); !loaded.ok()) {
        return done(loaded.code() == absl::StatusCode::kNotFound
                        ? loaded
                        : absl::InternalError(StrCat("model \"", name, "\" failed to load: ",
                                                     loaded.message())));
      }
      keep_alive->Loaded(name);
      model = service->Model(name, "");
    }
    done(std::move(model));
  });
}

void OllamaApi::Generate(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OllamaRequest> request = DecodeOllamaGenerate(http.body);
  if (!request.ok()) return respond(ErrorResponse(request.status()));
  Run(*std::move(request), http.cancel, std::move(respond), http.charge_tokens);
}

void OllamaApi::Chat(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OllamaRequest> request = DecodeOllamaChat(http.body);
  if (!request.ok()) return respond(ErrorResponse(request.status()));
  Run(*std::move(request), http.cancel, std::move(respond), http.charge_tokens);
}

void OllamaApi::Unload(const OllamaRequest& request, Responder respond) const {
  ModelRepository* repository = context_->repository;
  KeepAlive* keep_alive = options_.keep_alive;
  const ollama::AnswerHeader header{request.chat, request.model};
  context_->control_pool->Post(
      [repository, keep_alive, header, name = request.name, respond = std::move(respond)] {
        if (keep_alive != nullptr) keep_alive->Forget(name);
        absl::Status status = repository->Unload(name);
        if (!status.ok()) return respond(ErrorResponse(status));
        respond(JsonBody(200, ollama::DoneObject(header, "unload")));
      });
}

void OllamaApi::Run(OllamaRequest request, std::shared_ptr<CancelSignal> cancel,
                    Responder respond, std::function<void(int64_t)> charge) const {
  if (!request.has_prompt && IsZero(request.keep_alive)) return Unload(request, std::move(respond));
  if (cancel == nullptr) cancel = std::make_shared<CancelSignal>();
  const absl::Time received = absl::Now();
  const std::string name = request.name;
  WithModel(name, [this, request = std::move(request), cancel = std::move(cancel), received,
                   respond = std::move(respond),
                   charge = std::move(charge)](absl::StatusOr<ModelHandle> model) mutable {
    if (!model.ok()) return respond(ErrorResponse(model.status()));
    const absl::Duration load = absl::Now() - received;
    std::shared_ptr<KeepAlive::Lease> lease;
    if (options_.keep_alive != nullptr) {
      lease = options_.keep_alive->Hold(request.name, request.keep_alive);
    }
    const ollama::AnswerHeader header{request.chat, request.model};
    if (!request.has_prompt) {
      if ((*model)->generator() == nullptr) {
        return respond(ErrorResponse(absl::InvalidArgumentError(StrCat(
            "model \"", request.model, "\" is not a language model (platform \"gguf\")"))));
      }
      return respond(JsonBody(200, ollama::DoneObject(header, "load")));
    }
    const bool stream = request.stream;
    const bool chat = request.chat;
    // An answer that may be tool calls is held until it is whole.
    auto tools = std::make_shared<const std::vector<std::string>>(std::move(request.tool_names));
    const bool held = chat && !tools->empty();
    absl::StatusOr<GenerateInput> input = OllamaGenerateInput(**model, std::move(request));
    if (!input.ok()) return respond(ErrorResponse(input.status()));
    absl::StatusOr<GenerateCall> call =
        context_->service->PrepareGenerate(*model, *std::move(input));
    if (!call.ok()) return respond(ErrorResponse(OllamaFieldError(call.status(), chat)));
    if (!stream) {
      return context_->service->Generate(
          *std::move(call), cancel, nullptr,
          ChargeGenerated(std::move(charge), [codec = context_->codec_pool, header, received,
                                              load, lease, tools, held, respond = std::move(respond)](
                                                 absl::StatusOr<GenerateResult> result) mutable {
            const absl::Duration total = absl::Now() - received;
            codec->Post([header, result = std::move(result), total, load, lease, tools, held,
                         respond = std::move(respond)] {
              if (!result.ok()) return respond(ErrorResponse(result.status()));
              std::optional<std::vector<ToolCall>> calls;
              if (held && result->finish_reason == "stop") calls = ParseToolCalls(result->text, *tools);
              respond(JsonBody(200, ollama::FinalObject(header, *result, /*streamed=*/false,
                                                        {total, load}, calls ? &*calls : nullptr)));
            });
          }));
    }
    auto queue = std::make_shared<ChunkQueue>([cancel] { cancel->Cancel(); });
    respond(Ndjson(queue));
    context_->service->Generate(
        *std::move(call), cancel,
        [queue, header, held](const GenerateDelta& delta) {
          if (!held) queue->Push(ollama::DeltaLine(header, delta.text));
        },
        ChargeGenerated(std::move(charge), [queue, header, received, load, lease, tools, held](
                                               absl::StatusOr<GenerateResult> result) mutable {
          if (!result.ok()) {
            // Cancelled: the client is gone; anything else is told in the stream.
            if (result.status().code() != absl::StatusCode::kCancelled) {
              queue->Push(ollama::ErrorLine(result.status()));
            }
          } else {
            if (held) {
              std::optional<std::vector<ToolCall>> calls;
              if (result->finish_reason == "stop") calls = ParseToolCalls(result->text, *tools);
              if (calls) {
                queue->Push(ollama::ToolCallsLine(header, *calls));
              } else if (!result->text.empty()) {
                queue->Push(ollama::DeltaLine(header, result->text));
              }
            }
            queue->Push(ollama::FinalObject(header, *result, /*streamed=*/true,
                                            {absl::Now() - received, load}));
          }
          queue->Finish();
          lease.reset();  // the model's idle time starts now
        }));
  });
}

void OllamaApi::Embed(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OllamaEmbedRequest> request =
      DecodeOllamaEmbed(http.body, options_.max_embed_inputs);
  if (!request.ok()) return respond(ErrorResponse(request.status()));
  RunEmbed(*std::move(request), /*legacy=*/false, http.cancel, std::move(respond));
}

void OllamaApi::Embeddings(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OllamaEmbedRequest> request = DecodeOllamaEmbeddings(http.body);
  if (!request.ok()) return respond(ErrorResponse(request.status()));
  RunEmbed(*std::move(request), /*legacy=*/true, http.cancel, std::move(respond));
}

void OllamaApi::RunEmbed(OllamaEmbedRequest request, bool legacy,
                         std::shared_ptr<CancelSignal> cancel, Responder respond) const {
  const absl::Time received = absl::Now();
  const std::string name = request.name;
  WithModel(name, [this, request = std::move(request), legacy, cancel = std::move(cancel),
                   received, respond = std::move(respond)](
                      absl::StatusOr<ModelHandle> model) mutable {
    if (!model.ok()) return respond(ErrorResponse(model.status()));
    const absl::Duration load = absl::Now() - received;
    std::shared_ptr<KeepAlive::Lease> lease;
    if (options_.keep_alive != nullptr) {
      lease = options_.keep_alive->Hold(request.name, request.keep_alive);
    }
    absl::StatusOr<const pipelines::FeatureExtraction*> pipeline = EmbeddingPipeline(
        **model, legacy ? "/api/embeddings" : "/api/embed", request.dimensions);
    if (!pipeline.ok()) return respond(ErrorResponse(pipeline.status()));
    const auto encode = [legacy, model = request.model, received, load](
                            const EmbeddingVectors& vectors) {
      if (legacy) {
        return ollama::EmbeddingObject(vectors.vectors.empty() ? std::vector<float>()
                                                               : vectors.vectors[0]);
      }
      return ollama::EmbedObject(model, vectors.vectors, vectors.tokens,
                                 {absl::Now() - received, load});
    };
    if (request.inputs.empty()) return respond(JsonBody(200, encode(EmbeddingVectors())));
    PredictInput input;
    input.body = request.body;
    for (const json::value* v : request.inputs) {
      pipelines::TaskInstance instance;
      instance.json = v;
      input.instances.push_back(std::move(instance));
    }
    absl::StatusOr<std::shared_ptr<TaskCall>> call =
        context_->service->PreparePredict(*model, std::move(input), cancel);
    if (!call.ok()) return respond(ErrorResponse(call.status()));
    context_->service->Predict(
        *std::move(call),
        [request = std::move(request), normalize = (*pipeline)->normalize(), encode, lease,
         respond = std::move(respond)](absl::StatusOr<TaskOutcome> outcome) {
          if (!outcome.ok()) return respond(ErrorResponse(outcome.status()));
          size_t failed = 0;
          absl::StatusOr<EmbeddingVectors> vectors =
              EmbeddingVectorsOf(*outcome, request.dimensions, normalize, &failed);
          if (!vectors.ok()) {
            const std::string field =
                request.inputs.size() == 1 ? "input" : StrCat("input[", failed, "]");
            return respond(ErrorResponse(absl::Status(
                vectors.status().code(), StrCat(field, ": ", vectors.status().message()))));
          }
          respond(JsonBody(200, encode(*vectors)));
        });
  });
}

HttpResponse OllamaApi::Tags() const {
  json::array models;
  const bool explicit_mode = context_->repository->control_mode() == ModelControlMode::kExplicit;
  for (const ModelStatus& status : context_->repository->Index()) {
    absl::StatusOr<ModelHandle> model = context_->service->Model(status.name, "");
    json::object entry{{"name", Tagged(status.name)}, {"model", Tagged(status.name)}};
    if (model.ok()) {
      const ollama::ModelFacts facts = ollama::FactsOf(**model, context_->started);
      entry["modified_at"] = ollama::Timestamp(facts.modified_at);
      entry["size"] = facts.size;
      entry["digest"] = facts.digest;
      entry["details"] = ollama::DetailsJson(facts);
    } else if (explicit_mode && options_.keep_alive != nullptr && Loadable(status)) {
      // Not loaded: a request loads it; what it is is known once it is.
      ollama::ModelFacts facts;
      entry["modified_at"] = ollama::Timestamp(context_->started);
      entry["size"] = 0;
      entry["digest"] = "";
      entry["details"] = ollama::DetailsJson(facts);
    } else {
      continue;
    }
    models.push_back(std::move(entry));
  }
  return JsonBody(200, json::serialize(json::object{{"models", std::move(models)}}));
}

HttpResponse OllamaApi::Ps() const {
  json::array models;
  for (const ModelHandle& model : context_->repository->ReadyVersions()) {
    // One entry per model: its latest READY version (the one requests get).
    absl::StatusOr<ModelHandle> serving = context_->service->Model(model->name(), "");
    if (!serving.ok() || *serving != model) continue;
    const ollama::ModelFacts facts = ollama::FactsOf(*model, context_->started);
    int64_t size = facts.size;
    if (const GenerationScheduler* generator = model->generator()) {
      size += generator->stats().kv_capacity_bytes;
    }
    absl::Time expires = options_.keep_alive != nullptr
                             ? options_.keep_alive->ExpiresAt(model->name())
                             : absl::InfiniteFuture();
    // Kept without a time limit: as far away as Ollama says for keep_alive -1.
    if (expires == absl::InfiniteFuture()) expires = absl::Now() + absl::Nanoseconds(INT64_MAX);
    models.push_back(json::object{{"name", Tagged(model->name())},
                                  {"model", Tagged(model->name())},
                                  {"size", size},
                                  {"digest", facts.digest},
                                  {"details", ollama::DetailsJson(facts)},
                                  {"expires_at", ollama::Timestamp(expires)},
                                  {"size_vram", 0},
                                  {"context_length", facts.context_length}});
  }
  return JsonBody(200, json::serialize(json::object{{"models", std::move(models)}}));
}

HttpResponse OllamaApi::Version() const {
  return JsonBody(200, json::serialize(json::object{{"version", context_->server_version}}));
}

void OllamaApi::Show(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OllamaModelRequest> request = DecodeOllamaModelRequest(http.body);
  if (!request.ok()) return respond(ErrorResponse(request.status()));
  WithModel(request->name, [started = context_->started, respond = std::move(respond)](
                               absl::StatusOr<ModelHandle> model) {
    if (!model.ok()) return respond(ErrorResponse(model.status()));
    const ollama::ModelFacts facts = ollama::FactsOf(**model, started);
    json::object body{{"modelfile", ollama::Modelfile(**model)},
                      {"parameters", ollama::Parameters(**model)},
                      {"template", ollama::Template(**model)},
                      {"details", ollama::DetailsJson(facts)},
                      {"model_info", ollama::ModelInfo(**model)},
                      {"capabilities", ollama::Capabilities(facts)},
                      {"modified_at", ollama::Timestamp(facts.modified_at)}};
    respond(JsonBody(200, json::serialize(body)));
  });
}

void OllamaApi::Pull(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OllamaModelRequest> request = DecodeOllamaModelRequest(http.body);
  if (!request.ok()) return respond(ErrorResponse(request.status()));
  bool known = false;
  for (const ModelStatus& status : context_->repository->Index()) {
    known = known || status.name == request->name;
  }
  if (!known) {
    return respond(ErrorResponse(absl::NotFoundError(
        StrCat("pull model manifest: model \"", request->model,
               "\" is not in the model repository and no registry is reachable; put the GGUF "
               "file in the model repository"))));
  }
  const std::string success = json::serialize(json::object{{"status", "success"}});
  if (!request->stream) return respond(JsonBody(200, success));
  auto queue = std::make_shared<ChunkQueue>();
  respond(Ndjson(queue));
  queue->Push(StrCat(success, "\n"));
  queue->Finish();
}

}  // namespace inferd
