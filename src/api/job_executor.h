#pragma once

// Runs async jobs through the inference service, the same path as the
// synchronous routes: a job's stored request (the route kind and the body
// as the client sent it, with its content type) is decoded by the route's
// own decoder, prepared by InferenceService, run, and encoded by the
// route's own encoder, so its result is the answer the route would have
// given. No HTTP request is built and no route is looked up.
//
// Retries are decided by the absl::StatusCode of a failure (job_outcome.h).
// Thread-safe.

#include <cstddef>

#include "absl/status/status.h"
#include "api/api_context.h"
#include "jobs/job.h"
#include "jobs/job_worker_pool.h"

namespace inferd {

class JobExecutor {
 public:
  struct Options {
    size_t max_instances = 1000;  // :predict instances per request (413 past it)
  };
  JobExecutor(const ApiContext* context, Options options)
      : context_(context), options_(options) {}

  // What the synchronous route would refuse, refused at submission with the
  // same status and message: an unknown route, model or version, a body
  // that does not decode, inputs that do not fit the model. A model that is
  // still loading is accepted (the job waits for it through retries).
  absl::Status Validate(const jobs::JobRequest& request) const;

  // One attempt of `job`; waits for the answer. The JobWorkerPool's executor.
  jobs::JobOutcome Execute(const jobs::Job& job, const jobs::JobCancellation& cancel) const;

 private:
  const ApiContext* context_;
  const Options options_;
};

}  // namespace inferd
