#pragma once

// Text generation for many sequences at once over one model: the serving
// entry point of the LLM backend.
//
// Callers Add() generation requests (prompt tokens, sampling, limits, stop
// strings) from any thread; one step thread calls Step() in a loop. Each step
// runs one batched forward pass that mixes the single decode token of every
// generating sequence with prompt chunks of sequences still prefilling (up to
// `max_batch_tokens`), samples one token per sequence that produced logits,
// and reports what happened as StepEvents: the token, the new text (whole
// UTF-8 characters only, with any possible stop-string prefix held back), and
// a finish reason with timings when a sequence ends. Cancel() takes effect at
// the next step. Each sequence owns blocks of the shared KV cache and returns
// them when it ends. A sequence is admitted into the batch (by priority,
// then arrival order, at most max_sequences at once) only when the blocks of its whole
// budget, prompt + max_tokens, are free; until then it waits. With the
// prefix cache (Options::prefix_cache, on by default), blocks outlive their
// sequence and a later prompt that starts with the same tokens reuses them
// instead of computing that prefix again (see PrefixCache).
//
// Thread-safety: Add(), Cancel(), active_sequences() and stats() are
// thread-safe; Step() must be called from one thread at a time.

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "backend/llm/kv_cache.h"
#include "backend/llm/model.h"
#include "backend/llm/prefix_cache.h"
#include "backend/llm/sampler.h"
#include "common/clock.h"
#include "common/thread_pool.h"
#include "backend/llm/transformer.h"
#include "text/grammar.h"
#include "text/token_trie.h"
#include "text/utf8_stream_decoder.h"

namespace inferd::llm {

using SequenceId = int64_t;

enum class FinishReason {
  kNone,       // still running
  kStop,       // end-of-generation token or a stop string
  kLength,     // max_tokens reached
  kContext,    // context length or KV cache exhausted
  kCancelled,  // Cancel()
  kTimeout,    // the request's deadline passed, waiting or running
  kRefused,    // the request cannot be followed as asked (detail says why)
};
const char* FinishReasonName(FinishReason reason);

struct GenerationRequest {
  std::vector<int32_t> prompt;  // token ids, non-empty (BOS included if wanted)
  SamplingParams sampling;
  int32_t max_tokens = 128;       // >= 1
  std::vector<std::string> stop;  // text stops; not part of the output
  bool ignore_eos = false;        // keep going past end-of-generation tokens
  // -1: no log-probabilities; k >= 0: each event carries the sampled token's
  // log-probability and the k most likely tokens (at most 20).
  int32_t logprobs = -1;
  // Admission order: a lower level joins the batch first (1 is the most
  // urgent), arrival order within a level. Running sequences are never
  // preempted.
  uint32_t priority = 1;
  // When set, the sequence ends with kTimeout at the first step at or after
  // it (measured on Options::clock), whether it still waits or runs.
  std::optional<absl::Time> deadline;
  // When set, every token is sampled from those the grammar allows next;
  // end of generation only where the grammar accepts, and the sequence
  // stops (kStop) as soon as the output is complete and nothing can follow.
  std::shared_ptr<const text::Grammar> grammar;
};

struct SequenceTimings {
  int64_t prompt_tokens = 0;
  int64_t cached_prompt_tokens = 0;  // of prompt_tokens, from the prefix cache
  int64_t generated_tokens = 0;
  double prompt_seconds = 0;      // first scheduled step to first token
  double generation_seconds = 0;  // first token to last token
  // Generated tokens after the first, per second of generation_seconds.
  double decode_tokens_per_second() const;
  double prompt_tokens_per_second() const;
};

struct StepEvent {
  SequenceId id = 0;
  int32_t token = -1;  // token sampled this step; -1 when none
  // When the request asked for logprobs: the sampled token's log-probability
  // under the model's distribution (after logit bias and penalties, before
  // temperature and truncation) and the most likely alternatives.
  float logprob = 0;
  std::vector<TokenLogprob> top_logprobs;
  std::string text;    // text released this step (may be empty)
  FinishReason finish = FinishReason::kNone;
  std::string detail;       // why, for kContext and kRefused
  SequenceTimings timings;  // set when finish != kNone
};

class Engine {
 public:
  static constexpr int64_t kDefaultMaxContext = 4096;
  static constexpr int32_t kMaxTopLogprobs = 20;
  struct Options {
    int threads = 0;                 // 0: hardware threads
    int64_t max_batch_tokens = 256;  // tokens per forward pass
    int64_t max_sequences = 64;      // sequences advanced per step
    // Longest sequence (prompt + generated); 0: the model's context length
    // capped at kDefaultMaxContext. Never more than the model's.
    int64_t max_context = 0;
    int64_t kv_cache_tokens = 0;  // pool size; 0: 2 x max_context
    int64_t kv_block_tokens = 16;
    // Element type of the KV cache: kF16, kF32 or kQ8_0 (KvCache).
    GgmlType kv_type = GgmlType::kF16;
    // Keep the KV blocks of ended sequences and reuse them for prompts that
    // share their prefix (whole blocks only); evicted least recently used.
    bool prefix_cache = true;
    // Time for request deadlines; nullptr: RealClock.
    inferd::Clock* clock = nullptr;
  };

  static absl::StatusOr<std::unique_ptr<Engine>> Create(
      std::shared_ptr<const Model> model, Options options);
  ~Engine();

  // Queues a request; InvalidArgument names the bad field.
  absl::StatusOr<SequenceId> Add(GenerationRequest request)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // Ends sequence `id` at the next step (a kCancelled event); unknown or
  // finished ids are ignored.
  void Cancel(SequenceId id) ABSL_LOCKS_EXCLUDED(mutex_);
  // Sequences queued or running.
  int64_t active_sequences() const ABSL_LOCKS_EXCLUDED(mutex_);

  // What the engine holds, as of the end of the last step, and cumulative
  // counts since it was created.
  struct Stats {
    int64_t running = 0;  // sequences in the batch (prefilling or decoding)
    int64_t waiting = 0;  // added, not yet admitted
    // KV cache held by running sequences (a block shared by several counts
    // once), and the pool's size.
    int64_t kv_used_bytes = 0;
    int64_t kv_capacity_bytes = 0;
    int64_t kv_used_tokens = 0;
    int64_t kv_capacity_tokens = 0;
    // Cached blocks no sequence holds (reusable, evicted first when the
    // pool runs short), in token positions.
    int64_t prefix_cache_tokens = 0;
    // Cumulative, counted when sequences are admitted or sample a token.
    int64_t prompt_tokens = 0;
    int64_t prefix_cache_hit_tokens = 0;  // prompt tokens not computed
    int64_t prefix_cache_hits = 0;        // sequences that reused a block
    int64_t generated_tokens = 0;
  };
  Stats stats() const ABSL_LOCKS_EXCLUDED(mutex_);

  // Advances every running sequence by one forward pass; appends what
  // happened to `events` (cleared first). OK with no events when idle.
  absl::Status Step(std::vector<StepEvent>* events);

  const Model& model() const { return *model_; }
  const Options& options() const { return options_; }

 private:
  using Clock = std::chrono::steady_clock;
  struct Sequence;

  Engine(std::shared_ptr<const Model> model, Options options);
  // KV positions a sequence may use: prompt + max_tokens, within the context.
  int64_t KvBudget(const GenerationRequest& request) const;
  void Finish(Sequence& seq, FinishReason reason, std::string detail,
              std::vector<StepEvent>* events);
  // Releases text from the held buffer, keeping back a possible stop prefix;
  // returns true when a stop string was found (text up to it released).
  bool ReleaseText(Sequence& seq, std::string* out, bool final);
  // The tokens `seq`'s grammar allows next (end of generation included
  // where it accepts), as a mask over the vocabulary; null when none is.
  const uint64_t* GrammarMask(Sequence& seq);

  std::shared_ptr<const Model> model_;
  Options options_;
  inferd::Clock* clock_;  // options_.clock or RealClock
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<Transformer> transformer_;
  std::unique_ptr<KvCache> cache_;
  std::unique_ptr<PrefixCache> blocks_;  // allocates cache_'s blocks
  std::vector<std::unique_ptr<Sequence>> running_;
  std::vector<BatchToken> batch_;
  std::vector<SequenceKv*> batch_seqs_;
  std::vector<Sequence*> logit_owners_;
  std::vector<float> logits_;
  // Constrained decoding: the vocabulary's trie, built on first use by the
  // step thread; the end-of-generation ids; the mask being sampled with.
  std::shared_ptr<const text::TokenTrie> trie_;
  std::vector<int32_t> end_tokens_;
  std::vector<uint64_t> mask_;

  mutable absl::Mutex mutex_;
  SequenceId next_id_ ABSL_GUARDED_BY(mutex_) = 1;
  std::vector<std::unique_ptr<Sequence>> pending_ ABSL_GUARDED_BY(mutex_);
  absl::flat_hash_set<SequenceId> cancelled_ ABSL_GUARDED_BY(mutex_);
  int64_t running_count_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t kv_used_blocks_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t kv_cached_blocks_ ABSL_GUARDED_BY(mutex_) = 0;
  Stats totals_ ABSL_GUARDED_BY(mutex_);  // the cumulative fields only
};

}  // namespace inferd::llm
