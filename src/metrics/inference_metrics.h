#pragma once

// The server's metric families, created once, and the per-model and
// per-route handles the hot paths update. Names and meanings are documented
// in docs/metrics.md. Thread-safe.

#include <string>

#include "metrics/metrics_registry.h"

namespace inferd {

// Why a request to a model failed, as counted in
// inferd_model_request_failure_total{reason}.
enum class FailureReason { kRejected, kTimeout, kCancelled, kBackend, kInvalid };

// Handles for one model version. Pointers stay valid for the registry's life.
struct ModelMetrics {
  Counter* success = nullptr;
  Counter* failure[5] = {};  // indexed by FailureReason
  Counter* inferences = nullptr;  // rows (batch items) inferred
  Counter* executions = nullptr;  // model executions (batches)
  Gauge* pending = nullptr;       // queued + running requests
  Histogram* queue_seconds = nullptr;
  Histogram* compute_seconds = nullptr;
  Histogram* request_seconds = nullptr;  // queue + compute + I/O in the server
  Histogram* batch_size = nullptr;

  void Fail(FailureReason reason) const {
    failure[static_cast<int>(reason)]->Increment();
  }
};

// Handles for one GGUF language model version.
struct LlmMetrics {
  Histogram* time_to_first_token = nullptr;  // seconds from submission
  Histogram* inter_token = nullptr;          // seconds between a sequence's tokens
  Counter* prompt_tokens = nullptr;
  Counter* generated_tokens = nullptr;
  Gauge* running = nullptr;  // inferd_llm_sequences{state="running"}
  Gauge* waiting = nullptr;  // inferd_llm_sequences{state="waiting"}
  Gauge* kv_used_bytes = nullptr;
  Gauge* kv_capacity_bytes = nullptr;
  Counter* prefix_cache_hits = nullptr;
};

// Handles for one HTTP route pattern.
struct RouteMetrics {
  Family<Counter>* requests = nullptr;  // labels: route, method, status
  Gauge* in_flight = nullptr;
  std::string route;
};

class InferenceMetrics {
 public:
  explicit InferenceMetrics(MetricsRegistry* registry);

  ModelMetrics ForModel(const std::string& model, const std::string& version);
  LlmMetrics ForLanguageModel(const std::string& model, const std::string& version);
  RouteMetrics ForRoute(const std::string& route);

  MetricsRegistry* registry() const { return registry_; }

 private:
  MetricsRegistry* registry_;
  Family<Counter>* success_;
  Family<Counter>* failure_;
  Family<Counter>* inferences_;
  Family<Counter>* executions_;
  Family<Gauge>* pending_;
  Family<Histogram>* queue_;
  Family<Histogram>* compute_;
  Family<Histogram>* request_;
  Family<Histogram>* batch_;
  Family<Histogram>* ttft_;
  Family<Histogram>* inter_token_;
  Family<Counter>* prompt_tokens_;
  Family<Counter>* generated_tokens_;
  Family<Gauge>* sequences_;
  Family<Gauge>* kv_used_;
  Family<Gauge>* kv_capacity_;
  Family<Counter>* prefix_hits_;
  Family<Counter>* http_requests_;
  Family<Gauge>* http_in_flight_;
};

// Registers process metrics read at scrape time: resident memory, CPU
// seconds, start time.
void RegisterProcessMetrics(MetricsRegistry* registry);

}  // namespace inferd
