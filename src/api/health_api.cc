#include "api/health_api.h"

#include "redis/redis_client.h"

#include "api/jobs_api.h"
#include "boost/json.hpp"

namespace inferd {
namespace {

namespace json = boost::json;

}  // namespace

HttpResponse HealthApi::Live() const {
  return JsonBody(200, R"({"live":true})");
}

HttpResponse HealthApi::Ready() const {
  if (context_->repository->AllReady()) return JsonBody(200, R"({"ready":true})");
  HttpResponse response = JsonError(
      503, context_->repository->startup_done()
               ? "not every model is ready; see POST /v2/repository/index"
               : "models are still loading");
  response.headers.emplace_back("Retry-After", "1");
  return response;
}

HttpResponse HealthApi::ServerMetadata() const {
  json::object body{
      {"name", "inferd"},
      {"version", context_->server_version},
      {"extensions",
       json::array{"binary_tensor_data", "model_repository", "model_configuration",
                   "statistics", "schedule_policy", "parameters", "classification",
                   "system_shared_memory", "logging", "trace"}},
  };
  return JsonBody(200, json::serialize(body));
}

HttpResponse HealthApi::Summary() const {
  const ModelRepository& repository = *context_->repository;
  std::string status = "ready";
  if (!repository.startup_done()) {
    status = "loading";
  } else if (!repository.AllReady()) {
    status = "degraded";
  }
  json::array models;
  for (const ModelStatus& model : repository.Index()) {
    // A reload that failed while older versions keep serving leaves the
    // server ready (it serves) but degraded: someone should look.
    bool serving = false;
    bool failed = false;
    for (const VersionStatus& v : model.versions) {
      serving = serving || v.state == ModelState::kReady;
      failed = failed || v.state == ModelState::kUnavailable ||
               (v.state == ModelState::kReady && !v.reason.empty());
    }
    if (serving && failed && status == "ready") status = "degraded";
    json::array versions;
    for (const VersionStatus& v : model.versions) {
      json::object version{{"version", v.version},
                           {"state", ModelStateName(v.state)},
                           {"reason", v.reason}};
      // A language model also tells what its generation loop holds.
      if (v.state == ModelState::kReady) {
        absl::StatusOr<ModelHandle> handle = repository.Get(model.name, v.version);
        if (handle.ok() && (*handle)->generator() != nullptr) {
          const llm::Engine::Stats stats = (*handle)->generator()->stats();
          version["generation"] = json::object{{"running_sequences", stats.running},
                                               {"waiting_sequences", stats.waiting},
                                               {"kv_cache_used_bytes", stats.kv_used_bytes},
                                               {"kv_cache_capacity_bytes", stats.kv_capacity_bytes}};
        }
      }
      versions.emplace_back(std::move(version));
    }
    models.emplace_back(
        json::object{{"name", model.name}, {"versions", std::move(versions)}});
  }
  json::object body{
      {"status", status},
      {"version", context_->server_version},
      {"uptime_seconds", absl::ToInt64Seconds(absl::Now() - context_->started)},
      {"device", "cpu"},
      {"models", std::move(models)},
  };
  if (context_->jobs != nullptr) {
    const std::string& reason = context_->jobs->unavailable_reason();
    if (reason.empty()) {
      body["jobs"] = json::object{{"status", "available"}};
    } else {
      body["jobs"] = json::object{{"status", "unavailable"}, {"reason", reason}};
      if (status == "ready") body["status"] = "degraded";
    }
  }
  if (context_->redis != nullptr) {
    const redis::RedisClient::Stats stats = context_->redis->stats();
    json::object redis{{"url", context_->redis->options().url.Describe()},
                       {"status", stats.up ? "up" : "down"}};
    if (!stats.up && !stats.last_error.empty()) redis["reason"] = stats.last_error;
    // Synchronous inference still works; jobs and the cache answer 503.
    if (!stats.up && body["status"] == "ready") body["status"] = "degraded";
    body["redis"] = std::move(redis);
  }
  return JsonBody(200, json::serialize(body));
}

}  // namespace inferd
