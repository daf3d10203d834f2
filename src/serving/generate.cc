// InferenceService::PrepareGenerate and Generate: text generation with a
// GGUF language model, kept apart from the tensor paths.

#include <cmath>
#include <memory>
#include <random>
#include <utility>

#include "common/strings.h"
#include "serving/inference_service.h"
#include "text/unicode.h"

namespace inferd {
namespace {

constexpr size_t kMaxStops = 16;

absl::Status Invalid(const ModelVersion& model, std::string message) {
  if (const ModelMetrics* metrics = model.metrics()) metrics->Fail(FailureReason::kInvalid);
  return absl::InvalidArgumentError(message);
}

}  // namespace

absl::StatusOr<GenerateCall> InferenceService::PrepareGenerate(ModelHandle model,
                                                               GenerateInput input) const {
  GenerationScheduler* generator = model->generator();
  if (generator == nullptr) {
    return Invalid(*model, StrCat("model \"", model->name(),
                                  "\" is not a language model (platform \"gguf\"); use "
                                  "POST /v2/models/", model->name(), "/infer"));
  }
  const GgufSettings& defaults = model->gguf_settings();
  const int64_t context = generator->engine_options().max_context;
  if (!text::unicode::IsValidUtf8(input.text_input)) {
    return Invalid(*model, "text_input: not valid UTF-8");
  }
  GenerateCall call;
  llm::GenerationRequest& request = call.request;
  request.max_tokens = defaults.max_tokens;
  if (input.max_tokens) {
    if (*input.max_tokens < 1 || *input.max_tokens > context) {
      return Invalid(*model, StrCat("max_tokens = ", *input.max_tokens, ": must be in [1, ",
                                    context, "] (the model's context length)"));
    }
    request.max_tokens = static_cast<int32_t>(*input.max_tokens);
  }
  request.sampling = defaults.sampling;
  if (input.temperature) request.sampling.temperature = static_cast<float>(*input.temperature);
  if (input.top_p) request.sampling.top_p = static_cast<float>(*input.top_p);
  if (input.top_k) {
    if (*input.top_k < 0 || *input.top_k > (int64_t{1} << 30)) {
      return Invalid(*model, StrCat("top_k = ", *input.top_k, ": must be >= 0"));
    }
    request.sampling.top_k = static_cast<int32_t>(*input.top_k);
  }
  if (absl::Status s = llm::ValidateSamplingParams(request.sampling); !s.ok()) {
    return Invalid(*model, std::string(s.message()));
  }
  request.sampling.seed = input.seed ? *input.seed : std::random_device()();
  if (input.stop.size() > kMaxStops) {
    return Invalid(*model, StrCat("stop: at most ", kMaxStops, " strings, got ", input.stop.size()));
  }
  for (const std::string& stop : input.stop) {
    if (stop.empty() || !text::unicode::IsValidUtf8(stop)) {
      return Invalid(*model, "stop: each stop string must be non-empty UTF-8");
    }
  }
  request.stop = std::move(input.stop);
  request.ignore_eos = input.ignore_eos;
  request.prompt = generator->model().tokenizer().Encode(input.text_input, true, false);
  if (request.prompt.empty()) return Invalid(*model, "text_input: the prompt has no tokens");
  if (static_cast<int64_t>(request.prompt.size()) >= context) {
    return Invalid(*model, StrCat("text_input: the prompt is ", request.prompt.size(),
                                  " tokens, longer than the context length ", context - 1));
  }
  call.model = std::move(model);
  return call;
}

void InferenceService::Generate(GenerateCall call, const std::shared_ptr<CancelSignal>& cancel,
                                TextDeltaCallback on_delta, GenerateDone done) const {
  struct State {
    std::string text;
    TextDeltaCallback on_delta;
    GenerateDone done;
  };
  auto state = std::make_shared<State>();
  state->on_delta = std::move(on_delta);
  state->done = std::move(done);
  auto on_event = [state](const llm::StepEvent& event) {
    if (!event.text.empty()) {
      state->text += event.text;
      if (state->on_delta) state->on_delta(event.text);
    }
    if (event.finish == llm::FinishReason::kNone) return;
    if (event.finish == llm::FinishReason::kCancelled) {
      if (!event.detail.empty()) return state->done(absl::InternalError(event.detail));
      return state->done(absl::CancelledError("the request was cancelled"));
    }
    GenerateResult result;
    result.text = std::move(state->text);
    result.finish_reason = llm::FinishReasonName(event.finish);
    result.prompt_tokens = event.timings.prompt_tokens;
    result.generated_tokens = event.timings.generated_tokens;
    result.prompt_seconds = event.timings.prompt_seconds;
    result.generation_seconds = event.timings.generation_seconds;
    state->done(std::move(result));
  };
  // A caller that is already gone starts nothing (the sequence could
  // otherwise finish before the cancel action below is registered).
  if (cancel && cancel->cancelled()) {
    return state->done(absl::CancelledError("the request was cancelled"));
  }
  GenerationScheduler* generator = call.model->generator();
  absl::StatusOr<llm::SequenceId> id =
      generator->Submit(std::move(call.request), std::move(on_event));
  if (!id.ok()) return state->done(id.status());
  if (cancel) {
    // Weak: the signal may outlive the version and must not keep it loaded.
    cancel->OnCancel([weak = std::weak_ptr<const ModelVersion>(call.model), id = *id] {
      if (ModelHandle model = weak.lock()) model->generator()->Cancel(id);
    });
  }
}

}  // namespace inferd
