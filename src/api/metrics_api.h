#pragma once

// Observability endpoints:
//
//   GET /metrics                                   Prometheus text format
//   GET /v2/models/stats                           Triton statistics, all models
//   GET /v2/models/{model}[/versions/{v}]/stats    one model or version
//
// "/v2/models/stats" also matches "/v2/models/{model}"; the route table
// picks the literal one whatever the order (see http/route_table.h).

#include "api/api_context.h"
#include "http/route_table.h"
#include "metrics/metrics_registry.h"

namespace inferd {

class MetricsApi {
 public:
  MetricsApi(const ApiContext* context, const MetricsRegistry* registry)
      : context_(context), registry_(registry) {}

  HttpResponse Prometheus() const;
  void Stats(const HttpRequest& request, Responder respond) const;

 private:
  const ApiContext* context_;
  const MetricsRegistry* registry_;
};

}  // namespace inferd
