#pragma once

// How the answer of a replayed route becomes the outcome of one job attempt,
// which decides whether the job is retried (see jobs/job.h).
//
// Only failures that another attempt may cure are retried: overload (429,
// 503), timeouts (504), server-side failures (other 5xx) and a cancellation
// (499) the client did not ask for (the model unloaded under it). A client
// error (any other 4xx: a malformed or invalid request, an unknown model)
// fails at once, since the same request would fail the same way again; it
// keeps the route's answer as the job's result.
//
// Stateless; thread-safe.

#include <string>

#include "http/http_message.h"
#include "jobs/job.h"

namespace inferd {

// Whether a route that answered `http_status` may answer differently when
// the same request is sent again.
bool IsRetryableHttpStatus(int http_status);

// The outcome of an attempt whose route answered `response`;
// `cancel_requested`: the client asked to cancel the job meanwhile.
jobs::JobOutcome JobOutcomeOf(HttpResponse response, bool cancel_requested);

// The outcome of an attempt whose route handler threw instead of answering
// (std::bad_alloc, a bug): a permanent failure naming `what`. Retrying a
// request that made the server throw would only do it again.
jobs::JobOutcome JobOutcomeOfException(std::string_view what);

}  // namespace inferd
