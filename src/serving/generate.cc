// InferenceService::PrepareGenerate and Generate: text generation with a
// GGUF language model, kept apart from the tensor paths.

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <tuple>
#include <utility>

#include "absl/strings/cord.h"
#include "common/strings.h"
#include "pipelines/task/task_pipeline.h"
#include "serving/chat_prompt.h"
#include "serving/inference_service.h"
#include "text/unicode.h"

namespace inferd {
namespace {

constexpr size_t kMaxStops = 16;
constexpr size_t kMaxLogitBias = 1024;
constexpr char kErrorCodeUrl[] = "type.inferd/generate_error_code";

absl::Status Invalid(const ModelVersion& model, std::string message) {
  if (const ModelMetrics* metrics = model.metrics()) metrics->Fail(FailureReason::kInvalid);
  return absl::InvalidArgumentError(message);
}

// Checks `value` against [lo, hi] and stores it as a float.
absl::Status Range(const ModelVersion& model, const char* field, const std::optional<double>& value,
                   double lo, double hi, float* out) {
  if (!value) return absl::OkStatus();
  if (!(*value >= lo && *value <= hi)) {
    return Invalid(model, StrCat(field, " = ", *value, ": must be in [", lo, ", ", hi, "]"));
  }
  *out = static_cast<float>(*value);
  return absl::OkStatus();
}

// The sampling fields of `input` over the model's defaults.
absl::Status Sampling(const ModelVersion& model, const GenerateInput& input,
                      llm::SamplingParams* sampling) {
  if (absl::Status s = Range(model, "temperature", input.temperature, 0, 100,
                             &sampling->temperature); !s.ok()) {
    return s;
  }
  if (input.top_p && !(*input.top_p > 0 && *input.top_p <= 1)) {
    return Invalid(model, StrCat("top_p = ", *input.top_p, ": must be in (0, 1]"));
  }
  if (input.top_p) sampling->top_p = static_cast<float>(*input.top_p);
  if (input.top_k) {
    if (*input.top_k < 0 || *input.top_k > (int64_t{1} << 30)) {
      return Invalid(model, StrCat("top_k = ", *input.top_k, ": must be >= 0"));
    }
    sampling->top_k = static_cast<int32_t>(*input.top_k);
  }
  for (const auto& [field, value, lo, hi, out] :
       {std::tuple{"min_p", &input.min_p, 0.0, 1.0, &sampling->min_p},
        std::tuple{"presence_penalty", &input.presence_penalty, -2.0, 2.0,
                   &sampling->presence_penalty},
        std::tuple{"frequency_penalty", &input.frequency_penalty, -2.0, 2.0,
                   &sampling->frequency_penalty},
        std::tuple{"repeat_penalty", &input.repeat_penalty, 1e-3, 100.0,
                   &sampling->repeat_penalty}}) {
    if (absl::Status s = Range(model, field, *value, lo, hi, out); !s.ok()) return s;
  }
  const int32_t n_vocab = model.generator()->model().tokenizer().vocab_size();
  if (input.logit_bias.size() > kMaxLogitBias) {
    return Invalid(model, StrCat("logit_bias: at most ", kMaxLogitBias, " entries"));
  }
  for (const auto& [id, bias] : input.logit_bias) {
    if (id < 0 || id >= n_vocab) {
      return Invalid(model, StrCat("logit_bias: token id ", id, " is not in the vocabulary (0..",
                                   n_vocab - 1, ")"));
    }
    if (!(bias >= -100 && bias <= 100)) {
      return Invalid(model, StrCat("logit_bias: bias ", bias, " for token ", id,
                                   " must be in [-100, 100]"));
    }
    sampling->logit_bias.emplace_back(static_cast<int32_t>(id), static_cast<float>(bias));
  }
  sampling->seed = input.seed ? *input.seed : std::random_device()();
  return absl::OkStatus();
}

// The prompt's token ids: given, rendered from messages, or encoded text.
absl::StatusOr<std::vector<int32_t>> PromptTokens(const ModelVersion& model,
                                                  const GenerateInput& input) {
  if (input.prompt_tokens) {
    const int32_t n_vocab = model.generator()->model().tokenizer().vocab_size();
    std::vector<int32_t> ids;
    ids.reserve(input.prompt_tokens->size());
    for (int64_t id : *input.prompt_tokens) {
      if (id < 0 || id >= n_vocab) {
        return Invalid(model, StrCat(input.prompt_field, ": token id ", id, " is not in the vocabulary (0..",
                                     n_vocab - 1, ")"));
      }
      ids.push_back(static_cast<int32_t>(id));
    }
    return ids;
  }
  if (input.messages) {
    absl::StatusOr<std::string> text = RenderChatPrompt(model, input);
    if (!text.ok()) return Invalid(model, std::string(text.status().message()));
    return TokenizePrompt(model, *text);
  }
  if (!text::unicode::IsValidUtf8(input.text_input)) {
    return Invalid(model, StrCat(input.prompt_field, ": not valid UTF-8"));
  }
  return TokenizePrompt(model, input.text_input);
}

}  // namespace

std::string GenerateErrorCode(const absl::Status& status) {
  auto code = status.GetPayload(kErrorCodeUrl);
  return code ? std::string(*code) : std::string();
}

absl::StatusOr<GenerateCall> InferenceService::PrepareGenerate(ModelHandle model,
                                                               GenerateInput input) const {
  GenerationScheduler* generator = model->generator();
  if (generator == nullptr) {
    const auto* task = dynamic_cast<const pipelines::TaskPipeline*>(model->attachment());
    if (task != nullptr && task->task() == "feature-extraction") {
      return Invalid(*model, StrCat("model \"", model->name(),
                                    "\" is not a language model but an embedding model; use "
                                    "POST /v1/embeddings or POST /api/embed"));
    }
    return Invalid(*model, StrCat("model \"", model->name(),
                                  "\" is not a language model (platform \"gguf\"); use "
                                  "POST /v2/models/", model->name(), "/infer"));
  }
  const GgufSettings& defaults = model->gguf_settings();
  const int64_t context = generator->engine_options().max_context;
  GenerateCall call;
  llm::GenerationRequest& request = call.request;
  request.max_tokens = defaults.max_tokens;
  if (input.max_tokens) {
    if (*input.max_tokens < 1 || *input.max_tokens > context) {
      return Invalid(*model, StrCat(input.max_tokens_field, " = ", *input.max_tokens, ": must be in [1, ",
                                    context, "] (the model's context length)"));
    }
    request.max_tokens = static_cast<int32_t>(*input.max_tokens);
  }
  request.sampling = defaults.sampling;
  if (absl::Status s = Sampling(*model, input, &request.sampling); !s.ok()) return s;
  if (absl::Status s = llm::ValidateSamplingParams(request.sampling); !s.ok()) {
    return Invalid(*model, std::string(s.message()));
  }
  if (input.stop.size() > kMaxStops) {
    return Invalid(*model, StrCat("stop: at most ", kMaxStops, " strings, got ", input.stop.size()));
  }
  for (const std::string& stop : input.stop) {
    if (stop.empty() || !text::unicode::IsValidUtf8(stop)) {
      return Invalid(*model, "stop: each stop string must be non-empty UTF-8");
    }
  }
  if (input.logprobs < -1 || input.logprobs > llm::Engine::kMaxTopLogprobs) {
    return Invalid(*model, StrCat("top_logprobs = ", input.logprobs, ": must be in [0, ",
                                  llm::Engine::kMaxTopLogprobs, "]"));
  }
  request.logprobs = input.logprobs;
  const uint32_t levels = std::max<uint32_t>(1, defaults.priority_levels);
  const uint32_t level = input.priority.value_or(0);
  if (level > levels) {
    return Invalid(*model, StrCat("priority = ", level, ": must be in [0, ", levels,
                                  "] (the model's priority_levels; 1 is the most urgent, 0 its "
                                  "default)"));
  }
  request.priority = level != 0                            ? level
                     : defaults.default_priority_level != 0 ? defaults.default_priority_level
                                                            : 1;
  std::optional<absl::Duration> timeout = input.timeout;
  if (!timeout && defaults.timeout_seconds > 0) timeout = absl::Seconds(defaults.timeout_seconds);
  if (timeout) request.deadline = absl::Now() + *timeout;
  request.stop = std::move(input.stop);
  request.ignore_eos = input.ignore_eos;
  request.grammar = input.grammar;
  absl::StatusOr<std::vector<int32_t>> prompt = PromptTokens(*model, input);
  if (!prompt.ok()) return prompt.status();
  request.prompt = *std::move(prompt);
  if (request.prompt.empty()) {
    return Invalid(*model, StrCat(input.prompt_field, ": the prompt has no tokens"));
  }
  if (static_cast<int64_t>(request.prompt.size()) >= context) {
    absl::Status status = Invalid(
        *model, StrCat(input.messages ? "messages" : input.prompt_field, ": the prompt is ",
                       request.prompt.size(), " tokens; the model's context length is ", context,
                       " (prompt and output together)"));
    status.SetPayload(kErrorCodeUrl, absl::Cord("context_length_exceeded"));
    return status;
  }
  call.model = std::move(model);
  return call;
}

void InferenceService::Generate(GenerateCall call, const std::shared_ptr<CancelSignal>& cancel,
                                TextDeltaCallback on_delta, GenerateDone done) const {
  struct State {
    const text::GgufTokenizer* tokenizer;
    bool logprobs;
    GenerateResult result;
    size_t reported = 0;  // logprobs entries already handed to on_delta
    TextDeltaCallback on_delta;
    GenerateDone done;
  };
  auto state = std::make_shared<State>();
  state->tokenizer = &call.model->generator()->model().tokenizer();
  state->logprobs = call.request.logprobs >= 0;
  state->on_delta = std::move(on_delta);
  state->done = std::move(done);
  auto on_event = [state](const llm::StepEvent& event) {
    GenerateResult& result = state->result;
    if (state->logprobs && event.token >= 0) {
      TokenLogprobs entry{state->tokenizer->TokenBytes(event.token), event.logprob, {}};
      for (const llm::TokenLogprob& t : event.top_logprobs) {
        entry.top.push_back({state->tokenizer->TokenBytes(t.token), t.logprob});
      }
      result.logprobs.push_back(std::move(entry));
    }
    if (!event.text.empty()) {
      result.text += event.text;
      if (state->on_delta) {
        GenerateDelta delta{event.text, {}};
        delta.logprobs.assign(result.logprobs.begin() + state->reported, result.logprobs.end());
        state->reported = result.logprobs.size();
        state->on_delta(delta);
      }
    }
    if (event.finish == llm::FinishReason::kNone) return;
    if (event.finish == llm::FinishReason::kCancelled) {
      if (!event.detail.empty()) return state->done(absl::InternalError(event.detail));
      return state->done(absl::CancelledError("the request was cancelled"));
    }
    if (event.finish == llm::FinishReason::kRefused) {
      return state->done(absl::InvalidArgumentError(event.detail));
    }
    if (event.finish == llm::FinishReason::kTimeout) {
      return state->done(absl::DeadlineExceededError(
          StrCat("timeout: the request ran past its time limit after ",
                 event.timings.generated_tokens, " generated tokens")));
    }
    result.finish_reason = llm::FinishReasonName(event.finish);
    result.prompt_tokens = event.timings.prompt_tokens;
    result.cached_prompt_tokens = event.timings.cached_prompt_tokens;
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
