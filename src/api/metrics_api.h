#pragma once

// Observability endpoints:
//
//   GET /metrics                                   Prometheus text format
//   GET /v2/models/stats                           Triton statistics, all models
//   GET /v2/models/{model}[/versions/{v}]/stats    one model or version
//
// Register these before the v2 model routes: "/v2/models/stats" would
// otherwise match "/v2/models/{model}".

#include "api/api_context.h"
#include "http/route_table.h"
#include "metrics/metrics_registry.h"

namespace inferd {

class MetricsApi {
 public:
  MetricsApi(const ApiContext* context, const MetricsRegistry* registry)
      : context_(context), registry_(registry) {}

  void Register(RouteTable& routes);

  HttpResponse Prometheus() const;
  void Stats(const HttpRequest& request, Responder respond) const;

 private:
  const ApiContext* context_;
  const MetricsRegistry* registry_;
};

}  // namespace inferd
