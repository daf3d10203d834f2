#include "scheduling/generation_scheduler.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "spdlog/spdlog.h"

namespace inferd {

absl::StatusOr<std::unique_ptr<GenerationScheduler>> GenerationScheduler::Create(
    std::shared_ptr<const llm::Model> model, Options options) {
  absl::StatusOr<std::unique_ptr<llm::Engine>> engine =
      llm::Engine::Create(std::move(model), options.engine);
  if (!engine.ok()) return engine.status();
  std::unique_ptr<GenerationScheduler> scheduler(
      new GenerationScheduler(std::move(options), *std::move(engine)));
  scheduler->ObserveEngine();
  scheduler->thread_ = std::thread([s = scheduler.get()] { s->Loop(); });
  scheduler->thread_id_ = scheduler->thread_.get_id();
  return scheduler;
}

GenerationScheduler::GenerationScheduler(Options options, std::unique_ptr<llm::Engine> engine)
    : name_(std::move(options.name)),
      max_waiting_(options.max_waiting),
      metrics_(options.metrics),
      engine_(std::move(engine)) {}

GenerationScheduler::~GenerationScheduler() { Drain(); }

absl::StatusOr<llm::SequenceId> GenerationScheduler::Submit(llm::GenerationRequest request,
                                                            EventCallback on_event) {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    return absl::UnavailableError(absl::StrCat("model ", name_, " is unloading"));
  }
  if (engine_->stats().waiting >= max_waiting_) {
    return absl::UnavailableError(absl::StrCat("model ", name_, ": ", max_waiting_,
                                               " sequences already wait; retry later"));
  }
  auto seq = std::make_shared<Sequence>();
  seq->on_event = std::move(on_event);
  seq->prompt_tokens = static_cast<int64_t>(request.prompt.size());
  seq->submitted = Clock::now();
  // Under mu_, so the loop cannot report the sequence before its callback
  // is registered.
  absl::StatusOr<llm::SequenceId> id = engine_->Add(std::move(request));
  if (!id.ok()) return id.status();
  callbacks_[*id] = std::move(seq);
  return *id;
}

void GenerationScheduler::Cancel(llm::SequenceId id) { engine_->Cancel(id); }

int64_t GenerationScheduler::active() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int64_t>(callbacks_.size());
}

void GenerationScheduler::Loop() {
  std::vector<llm::StepEvent> events;
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](GenerationScheduler* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return s->stopping_ || !s->callbacks_.empty();
          },
          this));
      if (callbacks_.empty()) return;  // stopping and idle
    }
    if (absl::Status status = engine_->Step(&events); !status.ok()) {
      // The engine could not run the step: every sequence ends with the
      // reason; the engine drops them at its next step.
      spdlog::error("model {}: generation step failed: {}", name_, status.message());
      absl::flat_hash_map<llm::SequenceId, std::shared_ptr<Sequence>> failed;
      {
        absl::MutexLock lock(&mu_);
        failed.swap(callbacks_);
      }
      for (auto& [id, callback] : failed) {
        engine_->Cancel(id);
        llm::StepEvent event;
        event.id = id;
        event.finish = llm::FinishReason::kCancelled;
        event.detail = absl::StrCat("generation failed: ", status.message());
        callback->on_event(event);
      }
      continue;
    }
    // Gauges first: a client that reads /metrics right after its answer
    // sees the step that answered it.
    ObserveEngine();
    const Clock::time_point now = Clock::now();
    for (const llm::StepEvent& event : events) {
      std::shared_ptr<Sequence> seq;
      {
        absl::MutexLock lock(&mu_);
        auto it = callbacks_.find(event.id);
        if (it == callbacks_.end()) continue;
        seq = it->second;
        if (event.finish != llm::FinishReason::kNone) callbacks_.erase(it);
      }
      Observe(*seq, event, now);
      seq->on_event(event);
    }
  }
}

void GenerationScheduler::Observe(Sequence& seq, const llm::StepEvent& event,
                                  Clock::time_point now) const {
  if (!metrics_ || event.token < 0) return;
  const auto seconds = [](Clock::duration d) { return std::chrono::duration<double>(d).count(); };
  if (!seq.started) {
    seq.started = true;
    metrics_->time_to_first_token->Observe(seconds(now - seq.submitted));
    metrics_->prompt_tokens->Increment(static_cast<double>(seq.prompt_tokens));
  } else {
    metrics_->inter_token->Observe(seconds(now - seq.last_token));
  }
  seq.last_token = now;
  metrics_->generated_tokens->Increment();
}

void GenerationScheduler::ObserveEngine() const {
  if (!metrics_) return;
  const llm::Engine::Stats stats = engine_->stats();
  metrics_->running->Set(static_cast<double>(stats.running));
  metrics_->waiting->Set(static_cast<double>(stats.waiting));
  metrics_->kv_used_bytes->Set(static_cast<double>(stats.kv_used_bytes));
  metrics_->kv_capacity_bytes->Set(static_cast<double>(stats.kv_capacity_bytes));
  // The engine counts hits since it started; the counter takes the growth.
  const int64_t hits = stats.prefix_cache_hits;
  if (hits > reported_prefix_hits_) {
    metrics_->prefix_cache_hits->Increment(static_cast<double>(hits - reported_prefix_hits_));
    reported_prefix_hits_ = hits;
  }
}

void GenerationScheduler::Drain() {
  absl::MutexLock drain(&drain_mu_);
  {
    absl::MutexLock lock(&mu_);
    draining_ = true;
    stopping_ = true;  // the loop still finishes every active sequence first
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace inferd
