#include "tools/generate_command.h"

#include <chrono>
#include <memory>
#include <random>
#include <utility>

#include "backend/llm/engine.h"
#include "backend/llm/kernels.h"
#include "backend/llm/model.h"

namespace inferd {

absl::Status RunGenerate(const GenerateOptions& options, std::FILE* out,
                         std::FILE* err) {
  const auto load_start = std::chrono::steady_clock::now();
  auto model = llm::Model::Load(options.model_path);
  if (!model.ok()) return model.status();
  std::shared_ptr<const llm::Model> shared(*std::move(model));
  const double load_seconds = std::chrono::duration<double>(
                                  std::chrono::steady_clock::now() - load_start)
                                  .count();

  llm::Engine::Options engine_options;
  engine_options.threads = options.threads;
  engine_options.max_context = options.context;
  engine_options.max_sequences = 1;
  engine_options.kv_cache_tokens = 0;  // two full contexts
  absl::StatusOr<llm::GgmlType> kv_type = llm::KvCache::ParseType(options.kv_type);
  if (!kv_type.ok()) {
    return absl::InvalidArgumentError("--kv-type must be f16, f32 or q8_0");
  }
  engine_options.kv_type = *kv_type;
  auto engine = llm::Engine::Create(shared, engine_options);
  if (!engine.ok()) return engine.status();

  llm::GenerationRequest request;
  request.prompt =
      shared->tokenizer().Encode(options.prompt, true, options.parse_special);
  request.max_tokens = options.max_tokens;
  request.sampling = options.sampling;
  request.stop = options.stop;
  request.ignore_eos = options.ignore_eos;
  auto id = (*engine)->Add(std::move(request));
  if (!id.ok()) return id.status();

  if (options.echo_prompt) {
    std::fputs(options.prompt.c_str(), out);
    std::fflush(out);
  }
  std::vector<llm::StepEvent> events;
  llm::SequenceTimings timings;
  llm::FinishReason finish = llm::FinishReason::kNone;
  std::string detail;
  while ((*engine)->active_sequences() > 0) {
    if (absl::Status s = (*engine)->Step(&events); !s.ok()) return s;
    for (const llm::StepEvent& e : events) {
      if (!e.text.empty()) {
        std::fwrite(e.text.data(), 1, e.text.size(), out);
        std::fflush(out);
      }
      if (e.finish != llm::FinishReason::kNone) {
        finish = e.finish;
        timings = e.timings;
        detail = e.detail;
      }
    }
  }
  std::fputs("\n", out);
  std::fflush(out);
  const llm::ModelConfig& c = shared->config();
  std::fprintf(err,
               "\nmodel: %s (%s, %lld layers, dim %lld, vocab %lld), "
               "loaded in %.2f s, %d threads, %s kernels, %s KV cache\n",
               options.model_path.c_str(), c.arch.c_str(),
               static_cast<long long>(c.n_layers),
               static_cast<long long>(c.dim), static_cast<long long>(c.n_vocab),
               load_seconds, (*engine)->options().threads,
               llm::KernelsName(), options.kv_type.c_str());
  std::fprintf(err, "prompt:     %5lld tokens in %8.3f s = %8.2f tokens/s\n",
               static_cast<long long>(timings.prompt_tokens),
               timings.prompt_seconds, timings.prompt_tokens_per_second());
  std::fprintf(err, "generation: %5lld tokens in %8.3f s = %8.2f tokens/s\n",
               static_cast<long long>(timings.generated_tokens),
               timings.generation_seconds, timings.decode_tokens_per_second());
  std::fprintf(err, "finish: %s%s%s\n", llm::FinishReasonName(finish),
               detail.empty() ? "" : ": ", detail.c_str());
  return absl::OkStatus();
}

void RegisterGenerateCommand(CLI::App& app) {
  auto options = std::make_shared<GenerateOptions>();
  auto seed = std::make_shared<int64_t>(-1);
  CLI::App* cmd = app.add_subcommand(
      "generate", "Generate text from a prompt with a GGUF language model");
  cmd->add_option("--model,-m", options->model_path, "GGUF model file")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--prompt,-p", options->prompt, "Prompt text")->required();
  cmd->add_option("--max-tokens,-n", options->max_tokens,
                  "Most tokens to generate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  cmd->add_option("--threads,-t", options->threads,
                  "Compute threads (0: all hardware threads)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--ctx-size,-c", options->context,
                  "Context length (0: the model's, at most 4096)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--kv-type", options->kv_type,
                  "KV cache element type: f16, f32 or q8_0 (q8_0 needs a "
                  "head dimension that is a multiple of 32)")
      ->capture_default_str()
      ->check(CLI::IsMember({"f16", "f32", "q8_0"}));
  llm::SamplingParams& s = options->sampling;
  cmd->add_option("--temperature,--temp", s.temperature,
                  "Sampling temperature (0: greedy)")
      ->capture_default_str();
  cmd->add_option("--top-k", s.top_k, "Top-k (0: off)")->capture_default_str();
  cmd->add_option("--top-p", s.top_p, "Top-p nucleus (1: off)")
      ->capture_default_str();
  cmd->add_option("--min-p", s.min_p, "Min-p relative to the top (0: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-penalty", s.repeat_penalty,
                  "Repetition penalty (1: off)")
      ->capture_default_str();
  cmd->add_option("--repeat-last-n", s.repeat_last_n,
                  "Tokens the penalties look back over")
      ->capture_default_str();
  cmd->add_option("--presence-penalty", s.presence_penalty, "Presence penalty")
      ->capture_default_str();
  cmd->add_option("--frequency-penalty", s.frequency_penalty,
                  "Frequency penalty")
      ->capture_default_str();
  cmd->add_option("--seed,-s", *seed, "Random seed (-1: random)")
      ->capture_default_str();
  cmd->add_option("--stop", options->stop,
                  "Stop string (repeatable); not printed");
  cmd->add_flag("--ignore-eos", options->ignore_eos,
                "Keep generating past end-of-text tokens");
  cmd->add_flag("--special", options->parse_special,
                "Parse special-token text such as <|im_start|> in the prompt");
  cmd->add_flag("!--no-echo", options->echo_prompt,
                "Do not print the prompt before the generated text");
  cmd->callback([options, seed] {
    options->sampling.seed =
        *seed >= 0 ? static_cast<uint64_t>(*seed) : std::random_device()();
    if (absl::Status s = RunGenerate(*options, stdout, stderr); !s.ok()) {
      std::fprintf(stderr, "inferd generate: %s\n",
                   std::string(s.message()).c_str());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace inferd
