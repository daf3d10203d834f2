#pragma once

// Runs the requests of one model version on its instances: a dynamic
// batcher in front of one executor thread per ModelInstance.
//
// Requests queue by priority; each free instance takes the next batch the
// BatchPolicy allows (compatible shapes only, or shapes that differ only in
// padded dimensions when requests ask for dynamic padding), runs it, and
// splits the outputs back to each request. Requests whose deadline passes in
// the queue are answered DeadlineExceeded at that deadline (a deadline
// thread watches the queue when the policy has timeouts, so a long running
// batch does not delay the answer, unless preserve_ordering holds it behind
// earlier requests) without costing compute; a full queue
// refuses at once (ResourceExhausted); Cancel() drops a queued request.
// Every accepted request gets exactly one completion. Drain() stops intake,
// runs what is queued and joins the threads (an unload waits on it).
// Thread-safe: Enqueue/Cancel from any thread; completions run on executor
// (or the deadline) threads and must not block.

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "backend/backend.h"
#include "batching/dynamic_batcher.h"
#include "common/clock.h"
#include "metrics/inference_metrics.h"
#include "scheduling/model_stats.h"

namespace inferd {

class ModelScheduler {
 public:
  using Completion = std::function<void(absl::StatusOr<std::vector<Tensor>>)>;
  using RequestId = uint64_t;

  struct Options {
    std::string name;  // "model:version", for logs and errors
    BatchPolicy policy;
    bool batched_model = false;      // inputs and outputs carry a batch dim
    std::vector<std::string> output_names;  // config order, for errors
    bool preserve_ordering = false;  // complete in arrival order
    Clock* clock = nullptr;          // defaults to the real clock
    std::optional<ModelMetrics> metrics;
  };

  struct Request {
    std::vector<Tensor> inputs;  // validated, config order
    int64_t rows = 1;            // batch dimension (1 when not batched)
    uint32_t priority = 0;       // 0: the model's default level
    std::optional<absl::Duration> timeout;
    // Dynamic padding, one value per input (empty: off). Requests that set
    // it batch with each other when their inputs differ only past the batch
    // dimension (same dtype and rank): each input is padded at the end of
    // those dimensions to the longest in the batch with its value, and the
    // outputs come back as the model gave them, padding included; requests
    // of very different lengths may run as separate batches of that
    // batch, each padded to its own longest (length_buckets.h). BYTES
    // inputs are never padded (their shapes must match). Needs a batched
    // model.
    std::vector<double> pad_values;
    Completion done;
  };

  static std::unique_ptr<ModelScheduler> Create(
      Options options, std::vector<std::unique_ptr<ModelInstance>> instances);
  ~ModelScheduler();  // drains

  // Queues a request; `done` is then called exactly once. Errors, without
  // calling `done`: Unavailable once draining, ResourceExhausted when the
  // queue is full, InvalidArgument for a bad priority.
  absl::StatusOr<RequestId> Enqueue(Request request);

  // Convenience for unbatched use: one row, default priority.
  absl::Status Enqueue(std::vector<Tensor> inputs, Completion done);

  // Drops a request that is still queued, completing it Cancelled. A request
  // already running finishes normally.
  void Cancel(RequestId id);

  // Stops intake and waits for queued and running requests. Idempotent.
  void Drain();

  int pending() const;
  // Whether the calling thread is one of this scheduler's own threads (an
  // executor running a completion). Destroying the scheduler there would
  // join that thread from itself.
  bool RunsOnCurrentThread() const;
  const ModelStats& stats() const { return stats_; }

 private:
  struct Pending {
    RequestId id;
    uint64_t sequence;
    Request request;
    absl::Time enqueued;
  };
  using PendingPtr = std::shared_ptr<Pending>;

  ModelScheduler(Options options, std::vector<std::unique_ptr<ModelInstance>> instances);
  void RunInstance(ModelInstance* instance);
  void ExpireQueued();  // the deadline thread, when the policy has timeouts
  void FinishExpired(const std::vector<PendingPtr>& expired);
  // Runs a batch the batcher formed: padded requests of very different
  // lengths as several batches (length_buckets.h), otherwise as one.
  void Execute(ModelInstance* instance, std::vector<PendingPtr> batch);
  // `dequeued`: when the batcher released the batch (ends queue time).
  void RunBatch(ModelInstance* instance, std::vector<PendingPtr> batch,
                absl::Time dequeued);
  void Finish(const PendingPtr& pending, absl::StatusOr<std::vector<Tensor>> result,
              std::optional<FailureReason> failure);
  static std::string CompatibilityKey(const Request& request, bool batched);
  static absl::StatusOr<std::vector<Tensor>> JoinInputs(
      const std::vector<PendingPtr>& batch);

  const Options options_;
  Clock* const clock_;
  std::vector<std::unique_ptr<ModelInstance>> instances_;
  std::vector<std::thread> threads_;
  std::vector<std::thread::id> thread_ids_;  // set in Create, then read-only
  ModelStats stats_;
  std::atomic<RequestId> next_id_{1};

  mutable absl::Mutex mu_;
  DynamicBatcher<PendingPtr> batcher_ ABSL_GUARDED_BY(mu_);
  uint64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // bumped on every change
  int running_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // The deadline thread sleeps until deadline_wait_ or a change of
  // deadline_wakeups_ (an enqueue with an earlier deadline).
  absl::Time deadline_wait_ ABSL_GUARDED_BY(mu_) = absl::InfiniteFuture();
  uint64_t deadline_wakeups_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t next_sequence_ ABSL_GUARDED_BY(mu_) = 0;

  // preserve_ordering: completions wait here until all earlier ones ran.
  absl::Mutex order_mu_;
  uint64_t next_to_complete_ ABSL_GUARDED_BY(order_mu_) = 0;
  std::map<uint64_t, std::function<void()>> held_ ABSL_GUARDED_BY(order_mu_);

  absl::Mutex join_mu_;
  bool joined_ ABSL_GUARDED_BY(join_mu_) = false;
};

}  // namespace inferd
