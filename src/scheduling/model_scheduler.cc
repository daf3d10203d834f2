#include "scheduling/model_scheduler.h"

#include "common/strings.h"

namespace inferd {

std::unique_ptr<ModelScheduler> ModelScheduler::Create(
    Options options, std::vector<std::unique_ptr<ModelInstance>> instances) {
  auto scheduler = std::unique_ptr<ModelScheduler>(
      new ModelScheduler(std::move(options), std::move(instances)));
  for (auto& instance : scheduler->instances_) {
    scheduler->threads_.emplace_back(
        [s = scheduler.get(), i = instance.get()] { s->RunInstance(i); });
  }
  return scheduler;
}

ModelScheduler::ModelScheduler(
    Options options, std::vector<std::unique_ptr<ModelInstance>> instances)
    : options_(std::move(options)), instances_(std::move(instances)) {}

ModelScheduler::~ModelScheduler() { Drain(); }

absl::Status ModelScheduler::Enqueue(std::vector<Tensor> inputs,
                                     Completion done) {
  absl::MutexLock lock(&mu_);
  if (stopping_) {
    return absl::UnavailableError(
        StrCat("model ", options_.name, " is unloading"));
  }
  queue_.push_back(Work{std::move(inputs), std::move(done)});
  return absl::OkStatus();
}

void ModelScheduler::RunInstance(ModelInstance* instance) {
  while (true) {
    Work work;
    {
      absl::MutexLock lock(&mu_);
      mu_.Await(absl::Condition(
          +[](ModelScheduler* s) ABSL_EXCLUSIVE_LOCKS_REQUIRED(s->mu_) {
            return !s->queue_.empty() || s->stopping_;
          },
          this));
      if (queue_.empty()) return;  // stopping and nothing left
      work = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    absl::StatusOr<std::vector<Tensor>> result = instance->Execute(work.inputs);
    work.done(std::move(result));
    absl::MutexLock lock(&mu_);
    --running_;
  }
}

void ModelScheduler::Drain() {
  absl::MutexLock join_lock(&join_mu_);
  if (joined_) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  for (auto& thread : threads_) thread.join();
  joined_ = true;
}

int ModelScheduler::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(queue_.size()) + running_;
}

}  // namespace inferd
