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
      new GenerationScheduler(std::move(options.name), *std::move(engine)));
  scheduler->thread_ = std::thread([s = scheduler.get()] { s->Loop(); });
  scheduler->thread_id_ = scheduler->thread_.get_id();
  return scheduler;
}

GenerationScheduler::GenerationScheduler(std::string name, std::unique_ptr<llm::Engine> engine)
    : name_(std::move(name)), engine_(std::move(engine)) {}

GenerationScheduler::~GenerationScheduler() { Drain(); }

absl::StatusOr<llm::SequenceId> GenerationScheduler::Submit(llm::GenerationRequest request,
                                                            EventCallback on_event) {
  absl::MutexLock lock(&mu_);
  if (draining_) {
    return absl::UnavailableError(absl::StrCat("model ", name_, " is unloading"));
  }
  // Under mu_, so the loop cannot report the sequence before its callback
  // is registered.
  absl::StatusOr<llm::SequenceId> id = engine_->Add(std::move(request));
  if (!id.ok()) return id.status();
  callbacks_[*id] = std::make_shared<EventCallback>(std::move(on_event));
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
      absl::flat_hash_map<llm::SequenceId, std::shared_ptr<EventCallback>> failed;
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
        (*callback)(event);
      }
      continue;
    }
    for (const llm::StepEvent& event : events) {
      std::shared_ptr<EventCallback> callback;
      {
        absl::MutexLock lock(&mu_);
        auto it = callbacks_.find(event.id);
        if (it == callbacks_.end()) continue;
        callback = it->second;
        if (event.finish != llm::FinishReason::kNone) callbacks_.erase(it);
      }
      (*callback)(event);
    }
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
