#pragma once

// The generation loop of one loaded GGUF model version: owns its llm::Engine
// and a thread that calls Engine::Step while sequences are active, sleeping
// on a condition while idle, and hands each StepEvent to the callback of the
// sequence it belongs to.
//
// Use it the way a tensor model uses its ModelScheduler: the repository
// creates one per GGUF version and drains it on unload.
//
// Thread-safe: Submit(), Cancel() and Drain() may be called from any thread.
// Callbacks run on the scheduler's thread, one event at a time, and must not
// block (hand work to another thread); a sequence's last event has
// `finish != kNone`, and no event follows it.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backend/llm/engine.h"
#include "backend/llm/model.h"
#include "metrics/inference_metrics.h"

namespace inferd {

class GenerationScheduler {
 public:
  using EventCallback = std::function<void(const llm::StepEvent& event)>;

  struct Options {
    std::string name;              // "model:version", for logs
    llm::Engine::Options engine;   // see llm::Engine::Options
    // Sequences that may wait for admission; beyond it Submit() refuses
    // with Unavailable (503 with Retry-After).
    int64_t max_waiting = 256;
    std::optional<LlmMetrics> metrics;  // unset: none recorded
  };

  // Creates the engine and starts the loop thread. Errors are the engine's
  // (options the model cannot take).
  static absl::StatusOr<std::unique_ptr<GenerationScheduler>> Create(
      std::shared_ptr<const llm::Model> model, Options options);
  // Drains.
  ~GenerationScheduler();

  // Queues a sequence; `on_event` receives its events. InvalidArgument
  // naming the field for a request the engine refuses; Unavailable once
  // Drain() began or when max_waiting sequences already wait.
  absl::StatusOr<llm::SequenceId> Submit(llm::GenerationRequest request, EventCallback on_event)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Ends sequence `id` at the next step (its callback gets a kCancelled
  // event); unknown or finished ids are ignored.
  void Cancel(llm::SequenceId id);
  // Refuses new sequences, waits until the active ones finish and stops the
  // thread. Idempotent.
  void Drain() ABSL_LOCKS_EXCLUDED(mu_);
  // Whether the calling thread is this scheduler's step thread (a callback
  // running there); destroying the scheduler there would join it from itself.
  bool RunsOnCurrentThread() const { return thread_id_ == std::this_thread::get_id(); }

  // Sequences submitted and not yet finished.
  int64_t active() const ABSL_LOCKS_EXCLUDED(mu_);
  llm::Engine::Stats stats() const { return engine_->stats(); }
  const llm::Model& model() const { return engine_->model(); }
  // The engine's options with defaults resolved (max_context, threads).
  const llm::Engine::Options& engine_options() const { return engine_->options(); }

 private:
  using Clock = std::chrono::steady_clock;
  // A submitted sequence: where its events go, and its timing for the
  // metrics (touched by the loop thread only once submitted).
  struct Sequence {
    EventCallback on_event;
    int64_t prompt_tokens = 0;
    Clock::time_point submitted;
    Clock::time_point last_token;
    bool started = false;  // produced a token
  };

  GenerationScheduler(Options options, std::unique_ptr<llm::Engine> engine);
  void Loop();
  // Records `event` of `seq` in the metrics.
  void Observe(Sequence& seq, const llm::StepEvent& event, Clock::time_point now) const;
  void ObserveEngine() const;

  const std::string name_;
  const int64_t max_waiting_;
  const std::optional<LlmMetrics> metrics_;
  const std::unique_ptr<llm::Engine> engine_;
  mutable absl::Mutex mu_;
  absl::flat_hash_map<llm::SequenceId, std::shared_ptr<Sequence>> callbacks_
      ABSL_GUARDED_BY(mu_);
  bool draining_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  absl::Mutex drain_mu_;  // serialises Drain() callers around the join
  std::thread thread_;
  std::thread::id thread_id_;
  // Prefix-cache hits already added to the metrics; the loop thread's (and
  // Create()'s, before the loop runs).
  mutable int64_t reported_prefix_hits_ = 0;  // set once the thread starts, then read-only
};

}  // namespace inferd
