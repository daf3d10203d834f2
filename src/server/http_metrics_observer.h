#pragma once

// Counts the HTTP server's traffic in the server's metric families
// (inferd_http_requests_total{route,method,status}, inferd_http_in_flight
// {route}; see docs/metrics.md). The bridge between http/, which knows no
// metric types, and metrics/, which knows no HTTP. Thread-safe.

#include <string>
#include <string_view>

#include "http/request_observer.h"
#include "metrics/inference_metrics.h"

namespace inferd {

class HttpMetricsObserver : public RequestObserver {
 public:
  explicit HttpMetricsObserver(InferenceMetrics* metrics) : metrics_(metrics) {}

  void Started(std::string_view route) override {
    metrics_->ForRoute(std::string(route)).in_flight->Add(1);
  }
  void Ended(std::string_view route) override {
    metrics_->ForRoute(std::string(route)).in_flight->Add(-1);
  }
  void Answered(std::string_view route, std::string_view method, int status) override {
    metrics_->ForRoute(std::string(route))
        .requests->WithLabels({std::string(route), std::string(method), std::to_string(status)})
        ->Increment();
  }

 private:
  InferenceMetrics* metrics_;  // not owned
};

}  // namespace inferd
