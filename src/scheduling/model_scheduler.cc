#include "scheduling/model_scheduler.h"

#include "common/strings.h"
#include "scheduling/length_buckets.h"
#include "spdlog/spdlog.h"
#include "tensor/tensor_rows.h"

namespace inferd {
namespace {

// The value input `i` of a padded request is padded with.
double PadValue(const ModelScheduler::Request& request, size_t i) {
  return i < request.pad_values.size() ? request.pad_values[i] : 0;
}

}  // namespace

std::unique_ptr<ModelScheduler> ModelScheduler::Create(
    Options options, std::vector<std::unique_ptr<ModelInstance>> instances) {
  auto scheduler = std::unique_ptr<ModelScheduler>(
      new ModelScheduler(std::move(options), std::move(instances)));
  for (auto& instance : scheduler->instances_) {
    scheduler->threads_.emplace_back(
        [s = scheduler.get(), i = instance.get()] { s->RunInstance(i); });
  }
  bool timeouts;
  {
    absl::MutexLock lock(&scheduler->mu_);
    timeouts = scheduler->batcher_.has_timeouts();
  }
  if (timeouts && !scheduler->instances_.empty()) {
    scheduler->threads_.emplace_back([s = scheduler.get()] { s->ExpireQueued(); });
  }
  for (const std::thread& thread : scheduler->threads_) {
    scheduler->thread_ids_.push_back(thread.get_id());
  }
  return scheduler;
}

ModelScheduler::ModelScheduler(Options options,
                               std::vector<std::unique_ptr<ModelInstance>> instances)
    : options_(std::move(options)),
      clock_(options_.clock ? options_.clock : RealClock::Get()),
      instances_(std::move(instances)),
      batcher_(options_.policy) {}

ModelScheduler::~ModelScheduler() { Drain(); }

std::string ModelScheduler::CompatibilityKey(const Request& request, bool batched) {
  const bool padded = batched && !request.pad_values.empty();
  std::string key = padded ? "padded:" : "";
  for (size_t i = 0; i < request.inputs.size(); ++i) {
    const Tensor& t = request.inputs[i];
    key += DataTypeName(t.dtype);
    if (padded && t.dtype != DataType::kBytes) {
      // Rank and pad value must agree; the sizes may differ.
      key += StrCat("/", t.shape.size(), "=", PadValue(request, i));
    } else {
      for (size_t d = batched ? 1 : 0; d < t.shape.size(); ++d) {
        key += StrCat(",", t.shape[d]);
      }
    }
    key += ";";
  }
  return key;
}

absl::StatusOr<std::vector<Tensor>> ModelScheduler::JoinInputs(
    const std::vector<PendingPtr>& batch) {
  const Request& first = batch.front()->request;
  std::vector<Tensor> joined;
  for (size_t i = 0; i < first.inputs.size(); ++i) {
    std::vector<const Tensor*> parts;
    parts.reserve(batch.size());
    for (const PendingPtr& p : batch) parts.push_back(&p->request.inputs[i]);
    if (first.pad_values.empty() || first.inputs[i].dtype == DataType::kBytes) {
      joined.push_back(ConcatRows(parts));
      continue;
    }
    absl::StatusOr<Tensor> padded = ConcatRowsPadded(parts, PadValue(first, i));
    if (!padded.ok()) return padded.status();
    joined.push_back(*std::move(padded));
  }
  return joined;
}

absl::StatusOr<ModelScheduler::RequestId> ModelScheduler::Enqueue(Request request) {
  auto pending = std::make_shared<Pending>();
  pending->id = next_id_.fetch_add(1);
  pending->enqueued = clock_->Now();
  BatchItemInfo info;
  info.rows = request.rows;
  info.compatibility_key = CompatibilityKey(request, options_.batched_model);
  info.priority_level = request.priority;
  info.timeout = request.timeout;
  pending->request = std::move(request);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ || instances_.empty()) {
      if (options_.metrics) options_.metrics->Fail(FailureReason::kRejected);
      return absl::UnavailableError(StrCat("model ", options_.name, " is unloading"));
    }
    absl::StatusOr<absl::Time> deadline = batcher_.Add(pending, info, pending->enqueued);
    if (!deadline.ok()) {
      const absl::Status& added = deadline.status();
      if (options_.metrics) {
        options_.metrics->Fail(absl::IsResourceExhausted(added) ? FailureReason::kRejected
                                                                : FailureReason::kInvalid);
      }
      if (absl::IsResourceExhausted(added)) {
        return absl::ResourceExhaustedError(
            StrCat("model ", options_.name, ": ", added.message()));
      }
      return added;
    }
    pending->sequence = next_sequence_++;
    ++generation_;
    // The deadline thread wakes only for a deadline earlier than the one it
    // sleeps until (not on every enqueue: it scans the queue when it wakes).
    if (*deadline < deadline_wait_) ++deadline_wakeups_;
  }
  if (options_.metrics) options_.metrics->pending->Add(1);
  return pending->id;
}

absl::Status ModelScheduler::Enqueue(std::vector<Tensor> inputs, Completion done) {
  Request request;
  request.inputs = std::move(inputs);
  request.done = std::move(done);
  return Enqueue(std::move(request)).status();
}

void ModelScheduler::Cancel(RequestId id) {
  std::optional<PendingPtr> removed;
  {
    absl::MutexLock lock(&mu_);
    removed = batcher_.Remove([id](const PendingPtr& p) { return p->id == id; });
    if (removed) ++generation_;
  }
  if (removed) {
    Finish(*removed, absl::CancelledError("the client cancelled the request"),
           FailureReason::kCancelled);
  }
}

void ModelScheduler::RunInstance(ModelInstance* instance) {
  uint64_t seen = 0;
  while (true) {
    std::vector<PendingPtr> expired;
    std::optional<DynamicBatcher<PendingPtr>::Batch> batch;
    bool exit = false;
    {
      absl::MutexLock lock(&mu_);
      while (true) {
        const absl::Time now = clock_->Now();
        expired = batcher_.TakeExpired(now);
        if (!expired.empty()) break;
        // While draining, queued work runs without waiting for more.
        batch = batcher_.TakeBatch(stopping_ ? absl::InfiniteFuture() : now);
        if (batch) {
          ++running_;
          break;
        }
        if (stopping_ && batcher_.empty()) {
          exit = true;
          break;
        }
        seen = generation_;
        auto changed = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return generation_ != seen || stopping_;
        };
        clock_->AwaitWithDeadline(&mu_, absl::Condition(&changed), batcher_.NextWakeup());
      }
    }
    FinishExpired(expired);
    if (batch) {
      Execute(instance, std::move(batch->items));
      absl::MutexLock lock(&mu_);
      --running_;
      ++generation_;
    }
    if (exit) return;
  }
}

// Answers queued requests whose deadline passed, at their deadline, even
// while every instance is busy with a long batch (instance threads only look
// between batches).
void ModelScheduler::ExpireQueued() {
  while (true) {
    std::vector<PendingPtr> expired;
    {
      absl::MutexLock lock(&mu_);
      while (!stopping_) {
        expired = batcher_.TakeExpired(clock_->Now());
        if (!expired.empty()) {
          ++generation_;
          break;
        }
        deadline_wait_ = batcher_.NextDeadline();
        const uint64_t seen = deadline_wakeups_;
        auto woken = [this, seen]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
          return deadline_wakeups_ != seen || stopping_;
        };
        clock_->AwaitWithDeadline(&mu_, absl::Condition(&woken), deadline_wait_);
      }
      // Draining: the instance threads expire or run what is left (a request
      // expiring now waits for the running batch, as before this thread).
      if (expired.empty()) return;
    }
    FinishExpired(expired);
  }
}

void ModelScheduler::FinishExpired(const std::vector<PendingPtr>& expired) {
  for (const PendingPtr& p : expired) {
    Finish(p,
           absl::DeadlineExceededError(
               StrCat("request timed out in the queue of model ", options_.name)),
           FailureReason::kTimeout);
  }
}

void ModelScheduler::Execute(ModelInstance* instance, std::vector<PendingPtr> batch) {
  const absl::Time dequeued = clock_->Now();
  if (batch.size() < 2 || batch.front()->request.pad_values.empty()) {
    return RunBatch(instance, std::move(batch), dequeued);
  }
  // Padded requests: long and short ones run apart when that saves work.
  std::vector<LengthItem> items;
  items.reserve(batch.size());
  for (const PendingPtr& p : batch) {
    int64_t length = 0;
    for (const Tensor& t : p->request.inputs) {
      if (t.dtype == DataType::kBytes || t.shape.empty()) continue;
      length += t.element_count() / std::max<int64_t>(1, t.shape[0]);
    }
    items.push_back({p->request.rows, length});
  }
  for (const std::vector<size_t>& group : SplitByLength(items)) {
    std::vector<PendingPtr> part;
    part.reserve(group.size());
    for (size_t i : group) part.push_back(batch[i]);
    RunBatch(instance, std::move(part), dequeued);
  }
}

void ModelScheduler::RunBatch(ModelInstance* instance, std::vector<PendingPtr> batch,
                              absl::Time dequeued) {
  const absl::Time start = clock_->Now();
  // One request runs on its own tensors; several are joined first.
  absl::StatusOr<std::vector<Tensor>> joined = std::vector<Tensor>();
  const std::vector<Tensor>* inputs = &batch.front()->request.inputs;
  if (batch.size() > 1) {
    joined = JoinInputs(batch);
    if (joined.ok()) inputs = &*joined;
  }
  std::vector<int64_t> rows;
  int64_t total_rows = 0;
  for (const PendingPtr& p : batch) {
    rows.push_back(p->request.rows);
    total_rows += p->request.rows;
  }
  const absl::Time infer_start = clock_->Now();
  absl::StatusOr<std::vector<Tensor>> outputs =
      joined.ok() ? instance->Execute(*inputs) : joined.status();
  const absl::Time infer_end = clock_->Now();
  // A joined batch refused for its input values (InvalidArgument: an id past
  // an embedding, say) is one client's mistake: each request runs again
  // alone, so that only that client gets the 400.
  if (batch.size() > 1 && absl::IsInvalidArgument(outputs.status())) {
    for (PendingPtr& p : batch) RunBatch(instance, {std::move(p)}, dequeued);
    return;
  }

  std::vector<absl::StatusOr<std::vector<Tensor>>> results(batch.size());
  if (!outputs.ok()) {
    for (auto& r : results) r = outputs.status();
  } else if (batch.size() == 1) {
    results[0] = std::move(outputs);
  } else {
    for (auto& r : results) r = std::vector<Tensor>();
    for (size_t o = 0; o < outputs->size(); ++o) {
      absl::StatusOr<std::vector<Tensor>> pieces = SplitRows((*outputs)[o], rows);
      if (!pieces.ok()) {
        const std::vector<std::string>& names = options_.output_names;
        const absl::Status failed = absl::InternalError(
            StrCat("model ", options_.name, " output \"",
                   o < names.size() ? names[o] : std::to_string(o), "\": ",
                   pieces.status().message()));
        for (auto& r : results) r = failed;
        break;
      }
      for (size_t k = 0; k < batch.size(); ++k) {
        results[k]->push_back(std::move((*pieces)[k]));
      }
    }
  }
  const absl::Time end = clock_->Now();
  stats_.RecordExecution(total_rows, infer_start - start, infer_end - infer_start,
                         end - infer_end);
  if (options_.metrics) {
    options_.metrics->executions->Increment();
    options_.metrics->inferences->Increment(static_cast<double>(total_rows));
    options_.metrics->batch_size->Observe(static_cast<double>(total_rows));
    options_.metrics->compute_seconds->Observe(absl::ToDoubleSeconds(end - start));
  }
  for (size_t k = 0; k < batch.size(); ++k) {
    if (options_.metrics) {
      options_.metrics->queue_seconds->Observe(
          absl::ToDoubleSeconds(dequeued - batch[k]->enqueued));
    }
    const bool ok = results[k].ok();
    if (ok) stats_.RecordSuccess(end - batch[k]->enqueued, dequeued - batch[k]->enqueued);
    Finish(batch[k], std::move(results[k]),
           ok ? std::nullopt : std::optional<FailureReason>(FailureReason::kBackend));
  }
}

void ModelScheduler::Finish(const PendingPtr& pending,
                            absl::StatusOr<std::vector<Tensor>> result,
                            std::optional<FailureReason> failure) {
  const absl::Duration total = clock_->Now() - pending->enqueued;
  if (failure) stats_.RecordFailure(total);
  if (options_.metrics) {
    options_.metrics->pending->Add(-1);
    options_.metrics->request_seconds->Observe(absl::ToDoubleSeconds(total));
    if (failure) {
      options_.metrics->Fail(*failure);
    } else {
      options_.metrics->success->Increment();
    }
  }
  if (!options_.preserve_ordering) {
    pending->request.done(std::move(result));
    return;
  }
  // Hold completions until every earlier request has completed.
  std::vector<std::function<void()>> ready;
  {
    absl::MutexLock lock(&order_mu_);
    held_[pending->sequence] = [pending, result = std::move(result)]() mutable {
      pending->request.done(std::move(result));
    };
    while (!held_.empty() && held_.begin()->first == next_to_complete_) {
      ready.push_back(std::move(held_.begin()->second));
      held_.erase(held_.begin());
      ++next_to_complete_;
    }
  }
  for (auto& complete : ready) complete();
}

void ModelScheduler::Drain() {
  absl::MutexLock join_lock(&join_mu_);
  if (joined_) return;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    ++generation_;
  }
  for (auto& thread : threads_) thread.join();
  joined_ = true;
  // With no instance nothing ran the queue; answer what is left.
  std::vector<PendingPtr> leftovers;
  {
    absl::MutexLock lock(&mu_);
    leftovers = batcher_.TakeAll();
  }
  for (const PendingPtr& p : leftovers) {
    Finish(p, absl::UnavailableError(StrCat("model ", options_.name, " has no instance")),
           FailureReason::kRejected);
  }
}

bool ModelScheduler::RunsOnCurrentThread() const {
  const std::thread::id self = std::this_thread::get_id();
  for (const std::thread::id& id : thread_ids_) {
    if (id == self) return true;
  }
  return false;
}

int ModelScheduler::pending() const {
  absl::MutexLock lock(&mu_);
  return static_cast<int>(batcher_.size()) + running_;
}

}  // namespace inferd
