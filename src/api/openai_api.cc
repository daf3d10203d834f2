#include "api/openai_api.h"

#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "api/openai_request.h"
#include "api/openai_response.h"
#include "api/token_charge.h"
#include "boost/json/serialize.hpp"
#include "common/strings.h"
#include "api/jobs_api.h"
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
struct StreamState {
  std::mutex mu;
  size_t remaining = 0;
  openai::TokenUsage usage;
  bool failed = false;
};

// A signal for the choices of one response, cancelled with `request`'s:
// a failed choice cancels its siblings through it without telling the
// request's owner (the HTTP layer, a job worker) that the client left,
// which would drop the error answer itself.
std::shared_ptr<CancelSignal> ChoicesSignal(const std::shared_ptr<CancelSignal>& request) {
  auto choices = std::make_shared<CancelSignal>();
  if (request) {
    request->OnCancel([weak = std::weak_ptr<CancelSignal>(choices)] {
      if (std::shared_ptr<CancelSignal> signal = weak.lock()) signal->Cancel();
    });
  }
  return choices;
}

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

absl::StatusOr<OpenAiCall> PrepareOpenAiCall(const InferenceService& service,
                                             OpenAiRequest request) {
  absl::StatusOr<ModelHandle> model = service.Model(request.model, "");
  if (!model.ok()) return model.status();
  OpenAiCall call;
  call.calls.reserve(request.choices.size());
  for (GenerateInput& input : request.choices) {
    if (const ChatTemplate* chat = (*model)->chat_template(); chat != nullptr) {
      UseTemplateSyntax(request.tools, chat->source(), &input.grammar);
    }
    absl::StatusOr<GenerateCall> prepared = service.PrepareGenerate(*model, std::move(input));
    if (!prepared.ok()) return prepared.status();
    call.calls.push_back(*std::move(prepared));
  }
  request.choices.clear();
  call.request = std::move(request);
  return call;
}

void RunOpenAiCall(const InferenceService& service, OpenAiCall call,
                   const std::shared_ptr<CancelSignal>& request_cancel, OpenAiDone done) {
  const std::shared_ptr<CancelSignal> cancel = ChoicesSignal(request_cancel);
  const OpenAiRequest& request = call.request;
  const openai::ResponseHeader header{request.chat, openai::NewId(request.chat),
                                      absl::ToUnixSeconds(absl::Now()), request.model};
  auto gather = std::make_shared<Gather>();
  gather->results.resize(call.calls.size());
  gather->remaining = call.calls.size();
  auto shared_done = std::make_shared<OpenAiDone>(std::move(done));
  auto tools = std::make_shared<const ToolChoice>(request.tools);
  for (size_t i = 0; i < call.calls.size(); ++i) {
    service.Generate(
        std::move(call.calls[i]), cancel, nullptr,
        ChargeGenerated(call.charge_tokens, [gather, i, n = request.n,
                                             logprobs = request.logprobs, header, cancel,
                                             shared_done, tools](absl::StatusOr<GenerateResult> result) {
          std::unique_lock<std::mutex> lock(gather->mu);
          if (result.ok()) {
            gather->results[i] = *std::move(result);
          } else if (gather->error.ok()) {
            gather->error = result.status();
            cancel->Cancel();  // the other choices are of no use now
          }
          if (--gather->remaining > 0) return;
          lock.unlock();
          if (!gather->error.ok()) return (*shared_done)(gather->error);
          (*shared_done)(openai::CompletionBody(header, gather->results, n, logprobs, tools.get()));
        }));
  }
}

void OpenAiApi::Run(OpenAiRequest request, HttpRequest& http, Responder respond) const {
  if (request.stream && context_->jobs && PrefersAsync(http)) {
    return respond(openai::ErrorResponse(absl::InvalidArgumentError(
        "stream: a streamed response cannot be a job (Prefer: respond-async)")));
  }
  if (!request.stream && context_->jobs &&
      context_->jobs->MaybeSubmit(request.chat ? "chat_completions" : "completions", http,
                                  respond, request.model)) {
    return;
  }
  const bool stream = request.stream;
  absl::StatusOr<OpenAiCall> call = PrepareOpenAiCall(*context_->service, std::move(request));
  if (!call.ok()) return respond(openai::ErrorResponse(call.status()));
  call->charge_tokens = http.charge_tokens;
  std::shared_ptr<CancelSignal> cancel = http.cancel ? http.cancel : std::make_shared<CancelSignal>();
  if (stream) return Stream(*std::move(call), cancel, std::move(respond));
  RunOpenAiCall(*context_->service, *std::move(call), cancel,
                [codec = context_->codec_pool, respond = std::move(respond)](
                    absl::StatusOr<std::string> body) mutable {
                  codec->Post([body = std::move(body), respond = std::move(respond)] {
                    if (!body.ok()) return respond(openai::ErrorResponse(body.status()));
                    respond(JsonBody(200, *body));
                  });
                });
}

void OpenAiApi::Stream(OpenAiCall call, const std::shared_ptr<CancelSignal>& request_cancel,
                       Responder respond) const {
  const std::shared_ptr<CancelSignal> cancel = ChoicesSignal(request_cancel);
  const OpenAiRequest& request = call.request;
  const openai::ResponseHeader header{request.chat, openai::NewId(request.chat),
                                      absl::ToUnixSeconds(absl::Now()), request.model};
  const int n = request.n;
  const bool logprobs = request.logprobs;
  const bool usage = request.include_usage;
  // An answer that may be tool calls is held until it is whole: then it is
  // sent as tool-call deltas, or as its text.
  std::shared_ptr<const ToolChoice> tools;
  if (header.chat && request.tools.parse) tools = std::make_shared<const ToolChoice>(request.tools);
  auto queue = std::make_shared<ChunkQueue>([cancel] { cancel->Cancel(); });
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = queue;
  respond(std::move(response));
  std::vector<GenerateCall>& calls = call.calls;
  if (header.chat) {
    for (size_t i = 0; i < calls.size(); ++i) queue->Push(openai::RoleChunk(header, i, usage));
  }
  auto stream = std::make_shared<StreamState>();
  stream->remaining = calls.size();
  for (size_t i = 0; i < calls.size(); ++i) {
    const int index = static_cast<int>(i);
    context_->service->Generate(
        std::move(calls[i]), cancel,
        [queue, header, index, logprobs, usage, held = tools != nullptr](const GenerateDelta& delta) {
          if (!held) queue->Push(openai::DeltaChunk(header, index, delta, logprobs, usage));
        },
        ChargeGenerated(call.charge_tokens, [queue, header, index, n, usage, logprobs, stream,
                                             cancel, tools](absl::StatusOr<GenerateResult> result) {
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
          if (tools != nullptr) {
            std::optional<std::vector<ToolCall>> calls;
            if (result->finish_reason == "stop") calls = ParseToolCalls(result->text, tools->names);
            if (calls) {
              queue->Push(openai::ToolCallsChunk(header, index, *calls, usage));
              result->finish_reason = "tool_calls";
            } else if (!result->text.empty()) {
              queue->Push(openai::DeltaChunk(header, index, GenerateDelta{result->text, result->logprobs},
                                             logprobs, usage));
            }
          }
          queue->Push(openai::FinishChunk(header, index, result->finish_reason, usage));
          stream->usage.Add(*result, index, n);
          if (--stream->remaining > 0) return;
          if (usage) {
            queue->Push(openai::UsageChunk(header, stream->usage));
          }
          queue->Push(std::string(openai::kDoneChunk));
          queue->Finish();
        }));
  }
}

}  // namespace inferd
