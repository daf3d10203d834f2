#include "api/job_json.h"

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "boost/url.hpp"
#include "common/strings.h"
#include "common/url_redaction.h"

namespace inferd {
namespace {

namespace json = boost::json;

// Routes a job may replay; see JobsApi.
bool KnownRoute(std::string_view route) { return route == "infer" || route == "predict"; }

void SetTime(json::object& doc, const char* key, absl::Time time) {
  if (time != absl::InfinitePast() && time != absl::InfiniteFuture()) doc[key] = Rfc3339(time);
}

json::value ResultValue(const jobs::JobPayload& result, json::object& doc) {
  if (absl::StartsWith(result.content_type, "application/json")) {
    boost::system::error_code ec;
    json::value parsed = json::parse(result.body, ec);
    if (!ec) return parsed;
  }
  doc["result_base64"] = absl::Base64Escape(ToAbsl(result.body));
  return nullptr;
}

}  // namespace

std::string Rfc3339(absl::Time time) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", time, absl::UTCTimeZone());
}

json::object JobDocument(const jobs::Job& job) {
  json::object doc;
  doc["id"] = job.id;
  doc["status"] = jobs::JobStatusName(job.status);
  doc["model"] = job.request.model;
  doc["version"] = job.request.version;
  doc["route"] = job.request.route;
  doc["priority"] = jobs::JobPriorityName(job.priority);
  if (!job.owner.empty()) doc["owner"] = job.owner;  // the API key that submitted it
  SetTime(doc, "created_at", job.created);
  SetTime(doc, "started_at", job.started);
  SetTime(doc, "finished_at", job.finished);
  if (job.status == jobs::JobStatus::kQueued && job.not_before > job.created) {
    SetTime(doc, "retry_at", job.not_before);
  }
  json::array attempts;
  for (const jobs::JobAttempt& attempt : job.attempts) {
    json::object a;
    a["number"] = attempt.number;
    SetTime(a, "started_at", attempt.started);
    SetTime(a, "finished_at", attempt.finished);
    if (!attempt.error.empty()) a["error"] = attempt.error;
    if (attempt.interrupted) a["interrupted"] = true;
    attempts.push_back(std::move(a));
  }
  doc["attempts"] = std::move(attempts);
  // Which worker runs it (or ran it last): "<replica>-<n>" with --redis.
  if (!job.worker.empty()) doc["worker"] = job.worker;
  doc["max_attempts"] = job.max_attempts;
  doc["cancel_requested"] = job.cancel_requested;
  if (job.result) {
    doc["result_status"] = job.result->http_status;
    doc["result_content_type"] = job.result->content_type;
    json::value value = ResultValue(*job.result, doc);
    if (!value.is_null()) doc["result"] = std::move(value);
  }
  if (!job.error.empty()) doc["error"] = job.error;
  if (!job.idempotency_key.empty()) doc["idempotency_key"] = job.idempotency_key;
  if (!job.webhook_url.empty()) {
    // Credentials in the URL stay in the store for delivery, never shown
    // (errors recorded by older versions named the URL as it was).
    json::object webhook{{"url", RedactUrl(job.webhook_url)},
                         {"status", jobs::WebhookStatusName(job.webhook.status)},
                         {"attempts", job.webhook.attempts}};
    if (!job.webhook.last_error.empty()) {
      webhook["last_error"] = RedactUrlIn(job.webhook.last_error, job.webhook_url);
    }
    doc["webhook"] = std::move(webhook);
  }
  return doc;
}

absl::Status ValidateWebhookUrl(std::string_view url) {
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || parsed->host().empty() ||
      (parsed->scheme_id() != boost::urls::scheme::http &&
       parsed->scheme_id() != boost::urls::scheme::https)) {
    return absl::InvalidArgumentError(StrCat(
        "\"webhook\" must be an absolute http:// or https:// URL; got \"",
        RedactUrl(url), "\""));
  }
  return absl::OkStatus();
}

absl::StatusOr<jobs::JobSpec> ParseJobSubmission(std::string_view body) {
  boost::system::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (ec) return absl::InvalidArgumentError(StrCat("request body is not JSON: ", ec.message()));
  if (!parsed.is_object()) return absl::InvalidArgumentError("request body must be a JSON object");
  const json::object& object = parsed.as_object();
  static const char* const kFields[] = {"model", "version", "route", "input",
                                        "priority", "webhook", "max_attempts"};
  for (const auto& [key, value] : object) {
    bool known = false;
    for (const char* field : kFields) known = known || key == field;
    if (!known) return absl::InvalidArgumentError(StrCat("unknown field \"", key, "\""));
  }
  jobs::JobSpec spec;
  const json::value* model = object.if_contains("model");
  if (!model || !model->is_string() || model->as_string().empty()) {
    return absl::InvalidArgumentError("\"model\" must be a non-empty string");
  }
  spec.request.model = std::string(model->as_string());
  if (const json::value* version = object.if_contains("version")) {
    if (version->is_string()) {
      spec.request.version = std::string(version->as_string());
    } else if (version->is_int64() && version->as_int64() > 0) {
      spec.request.version = std::to_string(version->as_int64());
    } else {
      return absl::InvalidArgumentError("\"version\" must be a string or a positive integer");
    }
  }
  spec.request.route = "infer";
  if (const json::value* route = object.if_contains("route")) {
    if (!route->is_string() || !KnownRoute(route->as_string())) {
      return absl::InvalidArgumentError("\"route\" must be \"infer\" or \"predict\"");
    }
    spec.request.route = std::string(route->as_string());
  }
  const json::value* input = object.if_contains("input");
  if (!input || !input->is_object()) {
    return absl::InvalidArgumentError(
        "\"input\" must be an object: the body the synchronous route takes");
  }
  spec.request.input.content_type = "application/json";
  spec.request.input.body = json::serialize(*input);
  if (const json::value* priority = object.if_contains("priority")) {
    std::optional<jobs::JobPriority> p;
    if (priority->is_string()) p = jobs::JobPriorityFromName(priority->as_string());
    if (!p) return absl::InvalidArgumentError("\"priority\" must be \"high\", \"normal\" or \"low\"");
    spec.priority = *p;
  }
  if (const json::value* webhook = object.if_contains("webhook")) {
    if (!webhook->is_string()) return absl::InvalidArgumentError("\"webhook\" must be a string");
    spec.webhook_url = std::string(webhook->as_string());
    if (absl::Status valid = ValidateWebhookUrl(spec.webhook_url); !valid.ok()) return valid;
  }
  if (const json::value* attempts = object.if_contains("max_attempts")) {
    if (!attempts->is_int64() || attempts->as_int64() < 1 || attempts->as_int64() > 100) {
      return absl::InvalidArgumentError("\"max_attempts\" must be an integer 1..100");
    }
    spec.max_attempts = static_cast<int>(attempts->as_int64());
  }
  return spec;
}

}  // namespace inferd
