#pragma once

// Server-level endpoints:
//
//   GET /v2/health/live, /v2/health/ready   KServe v2 health
//   GET /v2                                 KServe v2 server metadata
//   GET /health                             one-look summary for people and
//                                           dashboards: status, uptime,
//                                           device, every model's versions,
//                                           whether async jobs are served
//                                           ("degraded" when they are not)

#include "api/api_context.h"
#include "http/route_table.h"

namespace inferd {

class HealthApi {
 public:
  explicit HealthApi(const ApiContext* context) : context_(context) {}

  HttpResponse Live() const;
  HttpResponse Ready() const;
  HttpResponse ServerMetadata() const;
  HttpResponse Summary() const;

 private:
  const ApiContext* context_;
};

}  // namespace inferd
