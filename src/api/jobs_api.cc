#include "api/jobs_api.h"

#include <exception>
#include <mutex>
#include <optional>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "api/job_json.h"
#include "api/job_outcome.h"
#include "api/openai_response.h"
#include "api/status_http.h"
#include "boost/json.hpp"
#include "boost/url.hpp"
#include "common/status_macros.h"
#include "common/strings.h"
#include "http/chunk_queue.h"

namespace inferd {
namespace {

namespace json = boost::json;

constexpr std::string_view kContentLengthHeader = "inference-header-content-length";

// A key reused for a different request is 422, as the IETF Idempotency-Key
// draft says (AlreadyExists would otherwise be 409, which the draft keeps
// for a request still in flight).
HttpResponse SubmitErrorResponse(const absl::Status& status) {
  if (absl::IsAlreadyExists(status)) return JsonError(422, std::string(status.message()));
  return ErrorResponse(status);
}

// A store callback that runs after the JobsApi is gone (shutdown).
HttpResponse ShuttingDown() {
  return ErrorResponse(absl::UnavailableError("the server is shutting down"));
}

HttpResponse Accepted(const jobs::SubmitResult& submitted) {
  json::object body{{"id", submitted.job.id},
                    {"status", jobs::JobStatusName(submitted.job.status)}};
  if (!submitted.created) body["created"] = false;
  HttpResponse response = JsonBody(202, json::serialize(body));
  response.headers.emplace_back("Location", StrCat("/v1/jobs/", submitted.job.id));
  response.headers.emplace_back("Preference-Applied", "respond-async");
  return response;
}

// Idempotency-Key, Job-Priority and Job-Webhook headers into `spec`.
absl::Status ApplyHeaders(const HttpRequest& request, jobs::JobSpec& spec) {
  if (auto key = request.header("idempotency-key")) {
    if (key->empty() || key->size() > 255) {
      return absl::InvalidArgumentError("Idempotency-Key must be 1..255 characters");
    }
    spec.idempotency_key = std::string(*key);
  }
  if (auto priority = request.header("job-priority")) {
    std::optional<jobs::JobPriority> p = jobs::JobPriorityFromName(*priority);
    if (!p) return absl::InvalidArgumentError("Job-Priority must be high, normal or low");
    spec.priority = *p;
  }
  if (auto webhook = request.header("job-webhook")) {
    spec.webhook_url = std::string(*webhook);
    INFERD_RETURN_IF_ERROR(ValidateWebhookUrl(spec.webhook_url));
  }
  return absl::OkStatus();
}

// The query parameters of GET /v1/jobs.
absl::StatusOr<jobs::ListQuery> ParseListQuery(const std::string& query) {
  jobs::ListQuery list;
  if (query.empty()) return list;  // GET /v1/jobs: not one parameter with an empty name
  if (!boost::urls::parse_query(query)) {
    return absl::InvalidArgumentError("malformed query string");
  }
  boost::urls::url url;
  url.set_encoded_query(query);
  for (const boost::urls::param& param : url.params()) {
    const std::string& key = param.key;
    const std::string& value = param.value;
    if (key == "status") {
      list.status = jobs::JobStatusFromName(value);
      if (!list.status) {
        return absl::InvalidArgumentError(
            "\"status\" must be queued, running, succeeded, failed or cancelled");
      }
    } else if (key == "model") {
      list.model = value;
    } else if (key == "limit") {
      if (!absl::SimpleAtoi(value, &list.limit) || list.limit < 1 || list.limit > 1000) {
        return absl::InvalidArgumentError("\"limit\" must be an integer 1..1000");
      }
    } else if (key == "cursor") {
      list.cursor = value;
    } else if (key == "include") {
      if (value != "result") return absl::InvalidArgumentError("\"include\" may only be \"result\"");
      list.include_bodies = true;
    } else {
      return absl::InvalidArgumentError(StrCat("unknown query parameter \"", key, "\""));
    }
  }
  return list;
}

// Streams one job's documents as SSE "status" events: the current one,
// then each change, until a final state. Events are ordered by revision; a
// change that lands while the first document is read is not lost (see
// JobEventHub).
class JobEventStream {
 public:
  static std::shared_ptr<ChunkQueue> Start(jobs::JobStore* store, jobs::JobEventHub* events,
                                           const std::string& id,
                                           absl::Status* error) {
    auto self = std::make_shared<JobEventStream>();
    auto queue = std::make_shared<ChunkQueue>([self] { self->Stop(); });
    self->queue_ = queue;
    {
      std::lock_guard<std::mutex> lock(self->mu_);
      self->subscription_ = events->Subscribe(
          id, [weak = std::weak_ptr<JobEventStream>(self)](const jobs::JobEvent& event) {
            if (auto stream = weak.lock()) stream->OnEvent(event);
          });
    }
    absl::StatusOr<jobs::Job> job = store->Get(id);
    if (!job.ok()) {
      *error = job.status();
      queue->Close();
      return nullptr;
    }
    self->SendFirst(*job);
    return queue;
  }

 private:
  void OnEvent(const jobs::JobEvent& event) {
    std::lock_guard<std::mutex> lock(mu_);
    if (!first_sent_) {
      pending_.push_back(event);
      return;
    }
    SendLocked(event.revision, event.status, *event.job);
  }

  void SendFirst(const jobs::Job& job) {
    std::lock_guard<std::mutex> lock(mu_);
    first_sent_ = true;
    SendLocked(job.revision, job.status, job);
    for (const jobs::JobEvent& event : pending_) SendLocked(event.revision, event.status, *event.job);
    pending_.clear();
  }

  void SendLocked(int64_t revision, jobs::JobStatus status, const jobs::Job& job) {
    std::shared_ptr<ChunkQueue> queue = queue_.lock();
    if (!queue || revision <= sent_revision_) return;
    sent_revision_ = revision;
    queue->Push(SseMessage("status", json::serialize(JobDocument(job))));
    if (jobs::IsFinal(status)) queue->Finish();
  }

  void Stop() {
    jobs::JobEventHub::Subscription subscription;
    {
      std::lock_guard<std::mutex> lock(mu_);
      subscription = std::move(subscription_);
    }
    // Destroyed here, outside the lock: it waits for a running callback.
  }

  std::mutex mu_;
  std::weak_ptr<ChunkQueue> queue_;
  jobs::JobEventHub::Subscription subscription_;
  bool first_sent_ = false;
  std::vector<jobs::JobEvent> pending_;
  int64_t sent_revision_ = -1;
};

// The caller's key name, or "" when API keys are off.
std::string OwnerOf(const HttpRequest& request) {
  return request.caller ? request.caller->name : std::string();
}

// Scopes of auth/api_key.h (api/ does not include auth/).
constexpr std::string_view kReadAllJobsScope = "jobs:read-all";
constexpr std::string_view kAdminScope = "admin";

// Whether the caller may read `job`: keys are off, it is the caller's, or
// the caller reads every key's jobs.
bool MayRead(const HttpRequest& request, const jobs::Job& job) {
  return !request.caller || job.owner == request.caller->name ||
         request.caller->HasScope(kReadAllJobsScope);
}

// A job the caller may not see is answered as if it did not exist.
HttpResponse NoSuchJob(const std::string& id) {
  return JsonError(404, StrCat("no job \"", id, "\""));
}

}  // namespace

bool PrefersAsync(const HttpRequest& request) {
  std::optional<std::string_view> prefer = request.header("prefer");
  if (!prefer) return false;
  for (absl::string_view token : absl::StrSplit(ToAbsl(*prefer), absl::ByAnyChar(",;"))) {
    if (absl::EqualsIgnoreCase(absl::StripAsciiWhitespace(token), "respond-async")) return true;
  }
  return false;
}

JobsApi::JobsApi(const ApiContext* context, jobs::JobStore* store, jobs::JobEventHub* events,
                 JobExecutor::Options executor, const JobMetrics* metrics)
    : context_(context),
      store_(store),
      events_(events),
      executor_(context, executor),
      metrics_(metrics),
      readers_(std::make_unique<ThreadPool>(2)) {}

JobsApi::~JobsApi() {
  absl::MutexLock lock(&lifetime_->mu);
  lifetime_->alive = false;
}

std::unique_ptr<JobsApi> JobsApi::Unavailable(const ApiContext* context, std::string reason) {
  auto api = std::make_unique<JobsApi>(context, nullptr, nullptr, JobExecutor::Options{}, nullptr);
  api->unavailable_reason_ = std::move(reason);
  return api;
}

HttpResponse JobsApi::UnavailableResponse() const {
  // No Retry-After: this lasts until an operator fixes the store.
  return JsonError(503, unavailable_reason_);
}

void JobsApi::Create(HttpRequest&& request, Responder respond) const {
  if (!unavailable_reason_.empty()) return respond(UnavailableResponse());
  absl::StatusOr<jobs::JobSpec> spec = ParseJobSubmission(request.body);
  if (!spec.ok()) return respond(ErrorResponse(spec.status()));
  if (absl::Status status = ApplyHeaders(request, *spec); !status.ok()) {
    return respond(ErrorResponse(status));
  }
  spec->owner = OwnerOf(request);
  Submit(*std::move(spec), std::move(respond));
}

void JobsApi::List(HttpRequest&& request, Responder respond) const {
  if (!unavailable_reason_.empty()) return respond(UnavailableResponse());
  readers_->Post([this, r = std::move(request), respond = std::move(respond)]() mutable {
    ListJobs(r, std::move(respond));
  });
}

void JobsApi::Get(HttpRequest&& request, Responder respond) const {
  LoadJob(std::move(request), std::move(respond), &JobsApi::AnswerJob);
}

void JobsApi::Result(HttpRequest&& request, Responder respond) const {
  LoadJob(std::move(request), std::move(respond), &JobsApi::AnswerResult);
}

void JobsApi::Events(HttpRequest&& request, Responder respond) const {
  ReadJob(std::move(request), std::move(respond), &JobsApi::StreamEvents);
}

void JobsApi::Cancel(HttpRequest&& request, Responder respond) const {
  ReadJob(std::move(request), std::move(respond), &JobsApi::CancelJob);
}

std::optional<HttpResponse> JobsApi::RefuseRead(const HttpRequest& request) const {
  if (!unavailable_reason_.empty()) return UnavailableResponse();
  if (!jobs::IsValidJobId(request.param("id"))) {
    return JsonError(404, StrCat("no job \"", request.param("id"), "\""));
  }
  return std::nullopt;
}

void JobsApi::ReadJob(HttpRequest&& request, Responder respond,
                      void (JobsApi::*read)(const HttpRequest&, Responder) const) const {
  if (std::optional<HttpResponse> refused = RefuseRead(request)) {
    return respond(*std::move(refused));
  }
  readers_->Post([this, read, r = std::move(request), respond = std::move(respond)]() mutable {
    (this->*read)(r, std::move(respond));
  });
}

void JobsApi::LoadJob(HttpRequest&& request, Responder respond, Answer answer) const {
  if (std::optional<HttpResponse> refused = RefuseRead(request)) {
    return respond(*std::move(refused));
  }
  if (store_->async_reads()) {
    const std::string id(request.param("id"));
    store_->GetAsync(id, [this, life = lifetime_, answer, r = std::move(request),
                          respond = std::move(respond)](absl::StatusOr<jobs::Job> job) mutable {
      absl::ReaderMutexLock lock(&life->mu);
      if (!life->alive) return respond(ShuttingDown());
      (this->*answer)(r, std::move(job), std::move(respond));
    });
    return;
  }
  readers_->Post([this, answer, r = std::move(request), respond = std::move(respond)]() mutable {
    (this->*answer)(r, store_->Get(r.param("id")), std::move(respond));
  });
}

bool JobsApi::MaybeSubmit(std::string_view route, HttpRequest& request, Responder& respond,
                          std::string model) const {
  if (!PrefersAsync(request)) return false;
  if (!unavailable_reason_.empty()) {
    respond(UnavailableResponse());
    return true;
  }
  jobs::JobSpec spec;
  spec.request.model = model.empty() ? std::string(request.param("model")) : std::move(model);
  spec.request.version = request.param("version");
  spec.request.route = std::string(route);
  spec.request.input.content_type =
      std::string(request.header("content-type").value_or("application/json"));
  if (auto length = request.header(kContentLengthHeader)) {
    spec.request.input.headers.emplace_back(std::string(kContentLengthHeader),
                                            std::string(*length));
  }
  spec.request.input.body = std::move(request.body);
  if (absl::Status status = ApplyHeaders(request, spec); !status.ok()) {
    respond(ErrorResponse(status));
    return true;
  }
  spec.owner = OwnerOf(request);
  Submit(std::move(spec), std::move(respond));
  return true;
}

void JobsApi::Submit(jobs::JobSpec spec, Responder respond) const {
  // Refused now, with the route's own status and message, whatever the
  // synchronous route would refuse; a model that is loading is accepted.
  if (absl::Status valid = executor_.Validate(spec.request); !valid.ok()) {
    // In the route's own error shape too: OpenAI's clients read its error
    // object (type, param, code), not the v2 {"error": "..."}.
    const std::string_view route = spec.request.route;
    if (route == "chat_completions" || route == "completions") {
      return respond(openai::ErrorResponse(valid));
    }
    return respond(ErrorResponse(valid));
  }
  if (!spec.webhook_url.empty() && webhook_policy_ != nullptr) {
    // Where the webhook points is checked now, so a client learns at once
    // that it may not make the server call a private address. Resolving a
    // host name may block: off the I/O thread.
    readers_->Post([this, spec = std::move(spec), respond = std::move(respond)]() mutable {
      absl::StatusOr<OutboundTarget> target = webhook_policy_->Resolve(spec.webhook_url);
      if (!target.ok()) {
        return respond(JsonError(
            400, StrCat("\"webhook\" ", target.status().message(),
                        absl::IsInvalidArgument(target.status())
                            ? "; --webhook-allow lists the destinations allowed besides "
                              "public addresses"
                            : "")));
      }
      Store(std::move(spec), std::move(respond));
    });
    return;
  }
  Store(std::move(spec), std::move(respond));
}

void JobsApi::Store(jobs::JobSpec spec, Responder respond) const {
  std::string model_name = spec.request.model;
  store_->SubmitAsync(std::move(spec), [this, life = lifetime_, model_name,
                                        respond = std::move(respond)](
                                           absl::StatusOr<jobs::SubmitResult> submitted) {
    absl::ReaderMutexLock lock(&life->mu);
    if (!life->alive) return respond(ShuttingDown());
    if (!submitted.ok()) return respond(SubmitErrorResponse(submitted.status()));
    if (submitted->created && metrics_) metrics_->Submitted(model_name);
    respond(Accepted(*submitted));
  });
}

void JobsApi::ListJobs(const HttpRequest& request, Responder respond) const {
  absl::StatusOr<jobs::ListQuery> query = ParseListQuery(request.query);
  if (!query.ok()) return respond(ErrorResponse(query.status()));
  if (request.caller && !request.caller->HasScope(kReadAllJobsScope)) {
    query->owner = request.caller->name;
  }
  absl::StatusOr<jobs::ListPage> page = store_->List(*query);
  if (!page.ok()) return respond(ErrorResponse(page.status()));
  json::array jobs;
  for (const jobs::Job& job : page->jobs) jobs.push_back(JobDocument(job));
  json::object body{{"jobs", std::move(jobs)}};
  if (!page->next_cursor.empty()) body["next_cursor"] = page->next_cursor;
  respond(JsonBody(200, json::serialize(body)));
}

void JobsApi::AnswerJob(const HttpRequest& request, absl::StatusOr<jobs::Job> job,
                        Responder respond) const {
  if (!job.ok()) return respond(ErrorResponse(job.status()));
  if (!MayRead(request, *job)) return respond(NoSuchJob(request.param("id")));
  respond(JsonBody(200, json::serialize(JobDocument(*job))));
}

void JobsApi::AnswerResult(const HttpRequest& request, absl::StatusOr<jobs::Job> job,
                           Responder respond) const {
  if (!job.ok()) return respond(ErrorResponse(job.status()));
  if (!MayRead(request, *job)) return respond(NoSuchJob(request.param("id")));
  if (!job->result) {
    return respond(JsonError(404, StrCat("job ", job->id, " has no result (status ",
                                         jobs::JobStatusName(job->status), ")")));
  }
  HttpResponse response;
  response.status = 200;
  response.content_type = job->result->content_type;
  response.headers = job->result->headers;
  response.headers.emplace_back("Job-Result-Status", std::to_string(job->result->http_status));
  response.body = std::move(job->result->body);
  respond(std::move(response));
}

void JobsApi::StreamEvents(const HttpRequest& request, Responder respond) const {
  if (request.caller) {
    absl::StatusOr<jobs::Job> job = store_->Get(request.param("id"));
    if (!job.ok()) return respond(ErrorResponse(job.status()));
    if (!MayRead(request, *job)) return respond(NoSuchJob(request.param("id")));
  }
  absl::Status error;
  std::shared_ptr<ChunkQueue> stream =
      JobEventStream::Start(store_, events_, request.param("id"), &error);
  if (!stream) return respond(ErrorResponse(error));
  HttpResponse response;
  response.content_type = "text/event-stream";
  response.headers.emplace_back("Cache-Control", "no-cache");
  response.stream = std::move(stream);
  respond(std::move(response));
}

void JobsApi::CancelJob(const HttpRequest& request, Responder respond) const {
  // A key cancels its own jobs; admin cancels any.
  if (request.caller && !request.caller->HasScope(kAdminScope)) {
    absl::StatusOr<jobs::Job> job = store_->Get(request.param("id"));
    if (!job.ok()) return respond(ErrorResponse(job.status()));
    if (!MayRead(request, *job)) return respond(NoSuchJob(request.param("id")));
    if (job->owner != request.caller->name) {
      return respond(JsonError(403, StrCat("job ", job->id, " belongs to another API key; "
                                           "cancelling it needs the \"admin\" scope")));
    }
  }
  absl::StatusOr<jobs::JobWorkerPool::CancelReply> reply =
      pool_ ? pool_->Cancel(request.param("id"))
            : absl::StatusOr<jobs::JobWorkerPool::CancelReply>(
                  absl::UnavailableError("job workers are not running"));
  if (!reply.ok()) return respond(ErrorResponse(reply.status()));
  json::object doc = JobDocument(reply->store_result.job);
  switch (reply->store_result.outcome) {
    case jobs::CancelOutcome::kCancelled:
      return respond(JsonBody(200, json::serialize(doc)));
    case jobs::CancelOutcome::kCancelRequested:
      doc["interrupted"] = reply->interrupted;
      doc["message"] = reply->interrupted
                           ? "the job is running and will be interrupted"
                           : "the job is running and cannot be interrupted; it will finish";
      return respond(JsonBody(202, json::serialize(doc)));
    case jobs::CancelOutcome::kAlreadyFinal:
      return respond(JsonBody(
          409, json::serialize(json::object{
                   {"error", StrCat("job ", reply->store_result.job.id, " is already ",
                                    jobs::JobStatusName(reply->store_result.job.status))},
                   {"job", std::move(doc)}})));
  }
}

jobs::JobOutcome JobsApi::Execute(const jobs::Job& job,
                                  const jobs::JobCancellation& cancel) const {
  const absl::Time started = absl::Now();
  jobs::JobOutcome outcome;
  // The adapter where a throw (std::bad_alloc, a bug) becomes a failure of
  // this job, not of the worker.
  try {
    outcome = executor_.Execute(job, cancel);
  } catch (const std::exception& e) {
    outcome = JobOutcomeOfException(e.what());
  } catch (...) {
    outcome = JobOutcomeOfException("an exception of unknown type");
  }
  if (metrics_) {
    static constexpr const char* kNames[] = {"succeeded", "retried", "failed", "cancelled"};
    const char* name = kNames[static_cast<int>(outcome.kind)];
    if (outcome.kind == jobs::JobOutcome::Kind::kRetryableFailure &&
        job.failed_attempt_count() + 1 >= job.max_attempts) {
      name = "failed";
    }
    metrics_->AttemptFinished(job.request.model, name,
                              absl::ToDoubleSeconds(started - (job.attempts.size() > 1
                                                                   ? job.attempts.end()[-2].finished
                                                                   : job.created)),
                              absl::ToDoubleSeconds(absl::Now() - started));
  }
  return outcome;
}

}  // namespace inferd
