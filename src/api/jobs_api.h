#pragma once

// The async job endpoints (issue 5):
//   POST   /v1/jobs                 submit {"model", "route", "input", ...}
//   GET    /v1/jobs                 list (?status=&model=&limit=&cursor=)
//   GET    /v1/jobs/{id}            the job document
//   GET    /v1/jobs/{id}/result     the stored answer, byte for byte
//   GET    /v1/jobs/{id}/events     Server-Sent Events until a final state
//   DELETE /v1/jobs/{id}            cancel
// and `Prefer: respond-async` on the synchronous inference routes
// (MaybeSubmit), which answers 202 with a Location instead of waiting.
//
// A job keeps the route kind and the body as sent; it is decoded and
// validated at submission (what the route would refuse is refused there,
// with the same status) and run through the inference service by
// JobExecutor, the path synchronous requests take, so jobs are batched with
// other traffic and their results are the route's answers.
//
// The routes are listed in server/routes.cc; each one calls the handler
// of the same name below. Store reads run on a small pool of their own,
// never on an I/O thread. Thread-safe once set up (set_worker_pool).
//
// When the job store cannot be opened (a damaged database), Unavailable()
// gives a JobsApi that answers all of the above with 503 and the reason,
// while synchronous inference goes on.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "api/api_context.h"
#include "api/job_executor.h"
#include "api/job_metrics.h"
#include "common/thread_pool.h"
#include "http/outbound_policy.h"
#include "http/route_table.h"
#include "jobs/job_event_hub.h"
#include "jobs/job_store.h"
#include "jobs/job_worker_pool.h"

namespace inferd {

// Whether a Prefer header (RFC 7240) asks for respond-async.
bool PrefersAsync(const HttpRequest& request);

class JobsApi {
 public:
  // None owned; all must outlive the JobsApi.
  JobsApi(const ApiContext* context, jobs::JobStore* store, jobs::JobEventHub* events,
          JobExecutor::Options executor, const JobMetrics* metrics);
  // Waits for the store callbacks that are running; those that run later
  // answer 503 without touching this object.
  ~JobsApi();

  // Answers every job route and `Prefer: respond-async` with 503 and
  // `reason` (what is wrong and what to do). Nothing else is used.
  static std::unique_ptr<JobsApi> Unavailable(const ApiContext* context, std::string reason);

  // Empty while jobs are served; otherwise why they are not (for /health).
  const std::string& unavailable_reason() const { return unavailable_reason_; }

  // Route handlers. Each answers 503 with the reason while jobs are
  // unavailable; an id that cannot be a job id is a 404 at once; store
  // reads run on the readers pool, except Get's and Result's on a store
  // with async reads (Redis), which answer from the store's callback.
  void Create(HttpRequest&& request, Responder respond) const;  // POST /v1/jobs
  void List(HttpRequest&& request, Responder respond) const;    // GET /v1/jobs
  void Get(HttpRequest&& request, Responder respond) const;     // GET /v1/jobs/{id}
  void Result(HttpRequest&& request, Responder respond) const;  // GET .../{id}/result
  void Events(HttpRequest&& request, Responder respond) const;  // GET .../{id}/events
  void Cancel(HttpRequest&& request, Responder respond) const;  // DELETE /v1/jobs/{id}

  // Set before serving; cancellations of running jobs go through it.
  void set_worker_pool(jobs::JobWorkerPool* pool) { pool_ = pool; }
  // Set before serving, not owned: where webhooks may point, checked at
  // submission (400 naming the URL when refused). Unset: not checked here.
  void set_webhook_policy(const OutboundPolicy* policy) { webhook_policy_ = policy; }

  // When `request` carries `Prefer: respond-async`, submits it as a job of
  // `route` ("infer", "predict", "generate", "chat_completions",
  // "completions") and answers 202 through `respond`, which is then
  // consumed; returns false (and leaves `respond`) otherwise. `model` is the
  // model when the body names it rather than the path (OpenAI).
  bool MaybeSubmit(std::string_view route, HttpRequest& request, Responder& respond,
                   std::string model = "") const;

  // Runs one attempt of `job` through the inference service and waits for
  // the answer. The JobWorkerPool's executor.
  jobs::JobOutcome Execute(const jobs::Job& job, const jobs::JobCancellation& cancel) const;

 private:
  HttpResponse UnavailableResponse() const;
  // 503 while jobs are unavailable, 404 for an id that cannot be a job's.
  std::optional<HttpResponse> RefuseRead(const HttpRequest& request) const;
  void Submit(jobs::JobSpec spec, Responder respond) const;
  // Submits a validated `spec` to the store and answers 202.
  void Store(jobs::JobSpec spec, Responder respond) const;
  // Runs `read` on the readers pool for a well-formed job id.
  void ReadJob(HttpRequest&& request, Responder respond,
               void (JobsApi::*read)(const HttpRequest&, Responder) const) const;
  using Answer = void (JobsApi::*)(const HttpRequest&, absl::StatusOr<jobs::Job>,
                                   Responder) const;
  // Reads the job of a well-formed id and hands it to `answer`: through the
  // store's GetAsync where its reads do not block, else on the readers pool.
  void LoadJob(HttpRequest&& request, Responder respond, Answer answer) const;
  void ListJobs(const HttpRequest& request, Responder respond) const;
  void AnswerJob(const HttpRequest& request, absl::StatusOr<jobs::Job> job,
                 Responder respond) const;
  void AnswerResult(const HttpRequest& request, absl::StatusOr<jobs::Job> job,
                    Responder respond) const;
  void StreamEvents(const HttpRequest& request, Responder respond) const;
  void CancelJob(const HttpRequest& request, Responder respond) const;

  const ApiContext* context_;
  jobs::JobStore* store_;
  jobs::JobEventHub* events_;
  const JobExecutor executor_;
  const JobMetrics* metrics_;
  std::string unavailable_reason_;
  jobs::JobWorkerPool* pool_ = nullptr;
  const OutboundPolicy* webhook_policy_ = nullptr;
  // Shared with the store's callbacks (SubmitAsync, GetAsync), which may
  // run after this object is gone: the store outlives it. A callback runs
  // under a reader lock of `mu` and uses this object only while `alive`;
  // the destructor clears it under the writer lock.
  struct Lifetime {
    absl::Mutex mu;
    bool alive ABSL_GUARDED_BY(mu) = true;
  };
  std::shared_ptr<Lifetime> lifetime_ = std::make_shared<Lifetime>();
  std::unique_ptr<ThreadPool> readers_;
};

}  // namespace inferd
