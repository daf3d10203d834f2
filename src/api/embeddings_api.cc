#include "api/embeddings_api.h"

#include <cmath>
#include <cstring>

#include "absl/strings/escaping.h"
#include "api/cache_key_builder.h"
#include "api/cached_response.h"
#include "api/status_http.h"
#include "serving/task_runner.h"
#include "common/strings.h"
#include "pipelines/task/feature_extraction.h"

namespace inferd {
namespace json = boost::json;
namespace {

absl::Status Invalid(OpenAiError* error, std::string message, std::string param) {
  error->status = 400;
  error->message = message;
  error->param = std::move(param);
  return absl::InvalidArgumentError(message);
}

// A token id fits int64 (a larger uint64 would wrap to a negative id).
bool IsInteger(const json::value& v) {
  return v.is_int64() || (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX));
}

// Which of the four shapes of "input" this is; checks every element.
absl::Status ReadInputs(const json::value& input, size_t max_inputs,
                        std::vector<const json::value*>* inputs, OpenAiError* error) {
  if (input.is_string()) {
    if (input.get_string().empty()) {
      return Invalid(error, "'input' must not be an empty string", "input");
    }
    inputs->push_back(&input);
    return absl::OkStatus();
  }
  if (!input.is_array()) {
    return Invalid(error,
                   "'input' must be a string, an array of strings, an array of token ids "
                   "or an array of arrays of token ids",
                   "input");
  }
  const json::array& array = input.get_array();
  if (array.empty()) return Invalid(error, "'input' must not be an empty array", "input");
  if (array.front().is_number()) {  // one list of token ids
    for (size_t i = 0; i < array.size(); ++i) {
      if (!IsInteger(array[i])) {
        return Invalid(error,
                       StrCat("'input'[", i, "] must be a token id (an integer below 2^63)"),
                       "input");
      }
    }
    inputs->push_back(&input);
    return absl::OkStatus();
  }
  if (array.size() > max_inputs) {
    return Invalid(error,
                   StrCat("'input' has ", array.size(), " items; at most ", max_inputs,
                          " are accepted"),
                   "input");
  }
  const bool strings = array.front().is_string();
  for (size_t i = 0; i < array.size(); ++i) {
    const json::value& item = array[i];
    if (strings) {
      if (!item.is_string()) {
        return Invalid(error, StrCat("'input'[", i, "] must be a string like the others"),
                       "input");
      }
      if (item.get_string().empty()) {
        return Invalid(error, StrCat("'input'[", i, "] must not be an empty string"), "input");
      }
    } else {
      if (!item.is_array() || item.get_array().empty()) {
        return Invalid(error,
                       StrCat("'input'[", i,
                              "] must be a non-empty array of token ids like the others"),
                       "input");
      }
      for (const json::value& id : item.get_array()) {
        if (!IsInteger(id)) {
          return Invalid(error, StrCat("'input'[", i, "] must hold token ids (integers) only"),
                         "input");
        }
      }
    }
    inputs->push_back(&item);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<EmbeddingsRequest> ParseEmbeddingsRequest(std::string_view body,
                                                         size_t max_inputs,
                                                         OpenAiError* error) {
  boost::system::error_code ec;
  auto document = std::make_shared<json::value>(
      json::parse(json::string_view(body.data(), body.size()), ec));
  if (ec) {
    error->param.reset();
    error->message = StrCat("the body is not valid JSON: ", ec.message());
    return absl::InvalidArgumentError(error->message);
  }
  if (!document->is_object()) {
    error->message = "the body must be a JSON object";
    return absl::InvalidArgumentError(error->message);
  }
  const json::object& object = document->get_object();
  for (const auto& field : object) {
    const std::string_view key = field.key();
    if (key != "model" && key != "input" && key != "encoding_format" && key != "dimensions" &&
        key != "user") {
      return Invalid(error, StrCat("unrecognized request argument supplied: ", key),
                     std::string(key));
    }
  }
  EmbeddingsRequest request;
  const json::value* model = object.if_contains("model");
  if (model == nullptr) return Invalid(error, "you must provide a model parameter", "model");
  if (!model->is_string() || model->get_string().empty()) {
    return Invalid(error, "'model' must be a non-empty string", "model");
  }
  request.model = std::string(model->get_string());
  const json::value* input = object.if_contains("input");
  if (input == nullptr) return Invalid(error, "'input' is a required property", "input");
  absl::Status inputs = ReadInputs(*input, max_inputs, &request.inputs, error);
  if (!inputs.ok()) return inputs;
  if (const json::value* format = object.if_contains("encoding_format")) {
    if (!format->is_string() ||
        (format->get_string() != "float" && format->get_string() != "base64")) {
      return Invalid(error, "'encoding_format' must be \"float\" or \"base64\"",
                     "encoding_format");
    }
    request.base64 = format->get_string() == "base64";
  }
  if (const json::value* dimensions = object.if_contains("dimensions")) {
    if (!dimensions->is_int64() || dimensions->get_int64() < 1) {
      return Invalid(error, "'dimensions' must be an integer of at least 1", "dimensions");
    }
    request.dimensions = dimensions->get_int64();
  }
  if (const json::value* user = object.if_contains("user")) {
    if (!user->is_string()) return Invalid(error, "'user' must be a string", "user");
  }
  request.body = std::move(document);
  return request;
}

void ShortenEmbedding(std::vector<float>& embedding, size_t dimensions, bool normalize) {
  if (dimensions >= embedding.size()) return;
  embedding.resize(dimensions);
  if (!normalize) return;
  double squares = 0;
  for (float v : embedding) squares += static_cast<double>(v) * v;
  if (squares == 0) return;
  const double scale = 1.0 / std::sqrt(squares);
  for (float& v : embedding) v = static_cast<float>(v * scale);
}

std::string EncodeEmbeddingsResponse(const std::string& model,
                                     const std::vector<std::vector<float>>& embeddings,
                                     bool base64, int64_t prompt_tokens) {
  json::array data;
  data.reserve(embeddings.size());
  for (size_t i = 0; i < embeddings.size(); ++i) {
    json::value vector;
    if (base64) {
      // float32 little-endian, as OpenAI's clients decode it (x86 and ARM
      // hosts are little-endian).
      std::string bytes(embeddings[i].size() * sizeof(float), '\0');
      std::memcpy(bytes.data(), embeddings[i].data(), bytes.size());
      vector = absl::Base64Escape(bytes);
    } else {
      json::array values;
      values.reserve(embeddings[i].size());
      for (float v : embeddings[i]) values.emplace_back(static_cast<double>(v));
      vector = std::move(values);
    }
    data.push_back(json::object{{"object", "embedding"},
                                {"index", static_cast<int64_t>(i)},
                                {"embedding", std::move(vector)}});
  }
  json::object body{
      {"object", "list"},
      {"data", std::move(data)},
      {"model", model},
      {"usage", json::object{{"prompt_tokens", prompt_tokens}, {"total_tokens", prompt_tokens}}},
  };
  return json::serialize(body);
}

absl::StatusOr<const pipelines::FeatureExtraction*> EmbeddingPipeline(
    const ModelVersion& model, std::string_view route, std::optional<int64_t> dimensions) {
  const auto* pipeline = dynamic_cast<const pipelines::FeatureExtraction*>(model.attachment());
  if (pipeline == nullptr) {
    const auto* task = dynamic_cast<const pipelines::TaskPipeline*>(model.attachment());
    return absl::InvalidArgumentError(
        StrCat("model \"", model.name(), "\" is not an embeddings model: ",
               task ? StrCat("its task is ", task->task()) : std::string("it declares no task"),
               "; ", route, " needs task \"feature-extraction\""));
  }
  if (dimensions && pipeline->dimensions() > 0 && *dimensions > pipeline->dimensions()) {
    return absl::InvalidArgumentError(StrCat("dimensions: ", *dimensions, " exceeds the model's ",
                                             pipeline->dimensions()));
  }
  return pipeline;
}

absl::StatusOr<EmbeddingVectors> EmbeddingVectorsOf(const TaskOutcome& outcome,
                                                    std::optional<int64_t> dimensions,
                                                    bool normalize, size_t* failed_input) {
  EmbeddingVectors out;
  for (size_t i = 0; i < outcome.predictions.size(); ++i) {
    const absl::StatusOr<json::value>& prediction = outcome.predictions[i];
    if (!prediction.ok()) {
      *failed_input = i;
      return prediction.status();
    }
    std::vector<float> vector;
    for (const json::value& v : prediction->as_array()) {
      vector.push_back(static_cast<float>(v.to_number<double>()));
    }
    if (dimensions) ShortenEmbedding(vector, static_cast<size_t>(*dimensions), normalize);
    out.vectors.push_back(std::move(vector));
    out.tokens += outcome.tokens[i];
  }
  return out;
}

HttpResponse OpenAiErrorResponse(const OpenAiError& error) {
  json::object inner{{"message", error.message}, {"type", error.type}};
  inner["param"] = error.param ? json::value(*error.param) : json::value(nullptr);
  inner["code"] = error.code ? json::value(*error.code) : json::value(nullptr);
  return JsonBody(error.status, json::serialize(json::object{{"error", std::move(inner)}}));
}

namespace {

// The answer for an outcome: the embeddings, or the first failing input's
// error in OpenAI's shape.
HttpResponse EmbeddingsResponse(const absl::StatusOr<TaskOutcome>& outcome,
                                const EmbeddingsRequest& request, bool normalize) {
  OpenAiError error;
  if (!outcome.ok()) {
    error.status = HttpStatusFor(outcome.status());
    error.type = error.status >= 500 ? "server_error" : "invalid_request_error";
    error.message = std::string(outcome.status().message());
    return OpenAiErrorResponse(error);
  }
  size_t failed = 0;
  absl::StatusOr<EmbeddingVectors> vectors =
      EmbeddingVectorsOf(*outcome, request.dimensions, normalize, &failed);
  if (!vectors.ok()) {
    error.status = HttpStatusFor(vectors.status());
    if (error.status >= 500) error.type = "server_error";
    error.message = request.inputs.size() == 1
                        ? StrCat("'input': ", vectors.status().message())
                        : StrCat("'input'[", failed, "]: ", vectors.status().message());
    error.param = "input";
    return OpenAiErrorResponse(error);
  }
  return JsonBody(200, EncodeEmbeddingsResponse(request.model, vectors->vectors, request.base64,
                                                vectors->tokens));
}

}  // namespace

void EmbeddingsApi::Embeddings(HttpRequest&& http, Responder respond) const {
  auto shared = std::make_shared<HttpRequest>(std::move(http));
  auto respond_shared = std::make_shared<Responder>(std::move(respond));
  ThreadPool* pool = options_.pool;
  const ApiContext* context = context_;
  const size_t max_inputs = options_.max_inputs;
  const absl::Time started = absl::Now();
  pool->Post([shared, respond_shared, context, max_inputs, started] {
    const Responder& respond = *respond_shared;
    OpenAiError error;
    absl::StatusOr<EmbeddingsRequest> request =
        ParseEmbeddingsRequest(shared->body, max_inputs, &error);
    if (!request.ok()) return respond(OpenAiErrorResponse(error));

    absl::StatusOr<ModelHandle> model = context->service->Model(request->model, "");
    if (!model.ok()) {
      error.status = HttpStatusFor(model.status());
      error.message = std::string(model.status().message());
      error.param = "model";
      if (error.status == 404) error.code = "model_not_found";
      HttpResponse response = OpenAiErrorResponse(error);
      // Not ready yet (loading, unloading): the same retry hint as every route.
      if (error.status == 503) response.headers.emplace_back("Retry-After", "1");
      return respond(std::move(response));
    }
    absl::StatusOr<const pipelines::FeatureExtraction*> pipeline =
        EmbeddingPipeline(**model, "/v1/embeddings", request->dimensions);
    if (!pipeline.ok()) {
      error.message = std::string(pipeline.status().message());
      error.param = error.message.rfind("dimensions", 0) == 0 ? "dimensions" : "model";
      return respond(OpenAiErrorResponse(error));
    }

    PredictInput input;
    input.body = request->body;
    for (const json::value* v : request->inputs) {
      pipelines::TaskInstance instance;
      instance.json = v;
      input.instances.push_back(std::move(instance));
    }
    absl::StatusOr<std::shared_ptr<TaskCall>> call =
        context->service->PreparePredict(*model, std::move(input), shared->cancel);
    if (!call.ok()) {
      error.status = HttpStatusFor(call.status());
      if (error.status >= 500) error.type = "server_error";
      error.message = std::string(call.status().message());
      return respond(OpenAiErrorResponse(error));
    }
    const bool normalize = (*pipeline)->normalize();
    ModelHandle handle = *model;
    auto compute = [context, call = *std::move(call), request = *std::move(request),
                    normalize](Responder done) mutable {
      context->service->Predict(std::move(call), [done = std::move(done), request = std::move(request),
                                                  normalize](absl::StatusOr<TaskOutcome> outcome) {
        done(EmbeddingsResponse(outcome, request, normalize));
      });
    };
    if (!context->cache || !handle->config().response_cache().enable()) {
      return compute([respond_shared](HttpResponse response) {
        TagCache(response, "bypass");
        (*respond_shared)(std::move(response));
      });
    }
    // The body is the whole request: the same body, the same embeddings.
    absl::StatusOr<cache::CacheKey> key =
        cache::CacheKeyBuilder("embeddings", handle->name(), handle->version_string())
            .AddParameter("body", shared->body)
            .Build();
    if (!key.ok()) return respond(ErrorResponse(key.status()));
    RespondThroughCache(context->cache, context->cache_metrics, *key,
                        ParseCacheDirectives(*shared), started, std::move(compute),
                        [respond_shared](HttpResponse response) {
                          (*respond_shared)(std::move(response));
                        });
  });
}

}  // namespace inferd
