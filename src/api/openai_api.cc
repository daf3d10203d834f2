#include "api/openai_api.h"

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "api/openai_request.h"
#include "api/openai_response.h"
#include "boost/json/serialize.hpp"
#include "common/strings.h"
#include "http/chunk_queue.h"

namespace inferd {
namespace {

namespace json = boost::json;

json::object ModelObject(const std::string& name, int64_t created) {
  return json::object{{"id", name}, {"object", "model"}, {"created", created},
                      {"owned_by", "inferd"}};
}

// The choices of a non-streamed response, gathered from their generation
// threads; the last one to finish answers.
struct Gather {
  std::mutex mu;
  std::vector<GenerateResult> results;
  size_t remaining = 0;
  absl::Status error;
};

// The state of a streamed response shared by its choices.
struct Stream {
  std::mutex mu;
  size_t remaining = 0;
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  bool failed = false;
};

}  // namespace

HttpResponse OpenAiApi::Models() const {
  const int64_t created = absl::ToUnixSeconds(context_->started);
  json::array data;
  for (const ModelStatus& model : context_->repository->Index()) {
    for (const VersionStatus& version : model.versions) {
      if (version.state == ModelState::kReady) {
        data.push_back(ModelObject(model.name, created));
        break;
      }
    }
  }
  return JsonBody(200, json::serialize(json::object{{"object", "list"}, {"data", std::move(data)}}));
}

void OpenAiApi::Model(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<ModelHandle> model = context_->service->Model(request.param("model"), "");
  if (!model.ok()) return respond(openai::ErrorResponse(model.status()));
  respond(JsonBody(200, json::serialize(ModelObject((*model)->name(),
                                                    absl::ToUnixSeconds(context_->started)))));
}

void OpenAiApi::ChatCompletions(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OpenAiRequest> request = DecodeChatRequest(http.body);
  if (!request.ok()) return respond(openai::ErrorResponse(request.status()));
  Run(*std::move(request), http, std::move(respond));
}

void OpenAiApi::Completions(HttpRequest&& http, Responder respond) const {
  absl::StatusOr<OpenAiRequest> request = DecodeCompletionRequest(http.body);
  if (!request.ok()) return respond(openai::ErrorResponse(request.status()));
  Run(*std::move(request), http, std::move(respond));
}

void OpenAiApi::Run(OpenAiRequest request, const HttpRequest& http, Responder respond) const {
  const InferenceService& service = *context_->service;
  absl::StatusOr<ModelHandle> model = service.Model(request.model, "");
  if (!model.ok()) return respond(openai::ErrorResponse(model.status()));
  std::vector<GenerateCall> calls;
  calls.reserve(request.choices.size());
  for (GenerateInput& input : request.choices) {
    absl::StatusOr<GenerateCall> call = service.PrepareGenerate(*model, std::move(input));
    if (!call.ok()) return respond(openai::ErrorResponse(call.status()));
    calls.push_back(*std::move(call));
  }
  openai::ResponseHeader header{request.chat, openai::NewId(request.chat),
                                absl::ToUnixSeconds(absl::Now()), request.model};
  const int n = request.n;
  const bool logprobs = request.logprobs;
  std::shared_ptr<CancelSignal> cancel = http.cancel ? http.cancel : std::make_shared<CancelSignal>();

  if (!request.stream) {
    auto gather = std::make_shared<Gather>();
    gather->results.resize(calls.size());
    gather->remaining = calls.size();
    auto shared_respond = std::make_shared<Responder>(std::move(respond));
    for (size_t i = 0; i < calls.size(); ++i) {
      service.Generate(
          std::move(calls[i]), cancel, nullptr,
          [gather, i, n, logprobs, header, cancel, codec = context_->codec_pool,
           shared_respond](absl::StatusOr<GenerateResult> result) {
            std::lock_guard<std::mutex> lock(gather->mu);
            if (result.ok()) {
              gather->results[i] = *std::move(result);
            } else if (gather->error.ok()) {
              gather->error = result.status();
              cancel->Cancel();  // the other choices are of no use now
            }
            if (--gather->remaining > 0) return;
            codec->Post([gather, n, logprobs, header, shared_respond] {
              if (!gather->error.ok()) return (*shared_respond)(openai::ErrorResponse(gather->error));
              (*shared_respond)(
                  JsonBody(200, openai::CompletionBody(header, gather->results, n, logprobs)));
            });
          });
    }
    return;
  }

  auto queue = std::make_shared<ChunkQueue>([cancel] { cancel->Cancel(); });
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = queue;
  respond(std::move(response));
  const bool usage = request.include_usage;
  if (header.chat) {
    for (size_t i = 0; i < calls.size(); ++i) queue->Push(openai::RoleChunk(header, i, usage));
  }
  auto stream = std::make_shared<Stream>();
  stream->remaining = calls.size();
  for (size_t i = 0; i < calls.size(); ++i) {
    const int index = static_cast<int>(i);
    service.Generate(
        std::move(calls[i]), cancel,
        [queue, header, index, logprobs, usage](const GenerateDelta& delta) {
          queue->Push(openai::DeltaChunk(header, index, delta, logprobs, usage));
        },
        [queue, header, index, n, usage, stream, cancel](absl::StatusOr<GenerateResult> result) {
          std::lock_guard<std::mutex> lock(stream->mu);
          if (stream->failed) return;
          if (!result.ok()) {
            // Cancelled: the client is gone; anything else is told in the stream.
            stream->failed = true;
            if (result.status().code() != absl::StatusCode::kCancelled) {
              queue->Push(openai::ErrorChunk(result.status()));
            }
            queue->Finish();
            cancel->Cancel();
            return;
          }
          queue->Push(openai::FinishChunk(header, index, result->finish_reason, usage));
          if (index % n == 0) stream->prompt_tokens += result->prompt_tokens;
          stream->completion_tokens += result->generated_tokens;
          if (--stream->remaining > 0) return;
          if (usage) {
            queue->Push(openai::UsageChunk(header, stream->prompt_tokens, stream->completion_tokens));
          }
          queue->Push(std::string(openai::kDoneChunk));
          queue->Finish();
        });
  }
}

}  // namespace inferd
