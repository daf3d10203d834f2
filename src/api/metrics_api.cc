#include "api/metrics_api.h"

#include "api/status_http.h"
#include "boost/json.hpp"

namespace inferd {
namespace {

namespace json = boost::json;

json::object Duration(const DurationStat& d) {
  return json::object{{"count", d.count}, {"ns", d.ns}};
}

json::object VersionStats(const ModelVersion& model) {
  const ModelStatsSnapshot s = model.scheduler().stats().Snapshot();
  json::array batches;
  for (const auto& [size, b] : s.batch_stats) {
    batches.emplace_back(json::object{{"batch_size", size},
                                      {"compute_input", Duration(b.compute_input)},
                                      {"compute_infer", Duration(b.compute_infer)},
                                      {"compute_output", Duration(b.compute_output)}});
  }
  return json::object{
      {"name", model.name()},
      {"version", model.version_string()},
      {"last_inference", s.last_inference_ms},
      {"inference_count", s.inference_count},
      {"execution_count", s.execution_count},
      {"inference_stats",
       json::object{{"success", Duration(s.success)},
                    {"fail", Duration(s.fail)},
                    {"queue", Duration(s.queue)},
                    {"compute_input", Duration(s.compute_input)},
                    {"compute_infer", Duration(s.compute_infer)},
                    {"compute_output", Duration(s.compute_output)}}},
      {"batch_stats", std::move(batches)},
  };
}

}  // namespace

HttpResponse MetricsApi::Prometheus() const {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  response.body = registry_->RenderPrometheus();
  return response;
}

void MetricsApi::Stats(const HttpRequest& request, Responder respond) const {
  const std::string& name = request.param("model");
  const std::string& version = request.param("version");
  json::array stats;
  if (name.empty()) {
    for (const ModelHandle& model : context_->repository->ReadyVersions()) {
      stats.emplace_back(VersionStats(*model));
    }
  } else if (!version.empty()) {
    absl::StatusOr<ModelHandle> model = context_->repository->Get(name, version);
    if (!model.ok()) return respond(ErrorResponse(model.status()));
    stats.emplace_back(VersionStats(**model));
  } else {
    bool found = false;
    for (const ModelHandle& model : context_->repository->ReadyVersions()) {
      if (model->name() != name) continue;
      found = true;
      stats.emplace_back(VersionStats(*model));
    }
    if (!found) {
      absl::StatusOr<ModelHandle> model = context_->repository->Get(name, "");
      return respond(ErrorResponse(model.ok() ? absl::InternalError("no version")
                                              : model.status()));
    }
  }
  respond(JsonBody(200, json::serialize(json::object{{"model_stats", std::move(stats)}})));
}

}  // namespace inferd
