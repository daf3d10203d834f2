#include "metrics/inference_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <fstream>

#include "absl/time/clock.h"

namespace inferd {

InferenceMetrics::InferenceMetrics(MetricsRegistry* registry) : registry_(registry) {
  const std::vector<std::string> mv = {"model", "version"};
  success_ = registry->AddCounter("inferd_model_request_success_total",
                                  "Inference requests answered successfully.", mv);
  failure_ = registry->AddCounter(
      "inferd_model_request_failure_total",
      "Inference requests that failed, by reason: rejected (queue full or "
      "unloading), timeout (deadline passed in the queue), cancelled (client "
      "went away), backend (the model failed), invalid (bad input).",
      {"model", "version", "reason"});
  inferences_ = registry->AddCounter("inferd_model_inference_total",
                                     "Batch items (rows) inferred.", mv);
  executions_ = registry->AddCounter("inferd_model_execution_total",
                                     "Model executions (batches run).", mv);
  pending_ = registry->AddGauge("inferd_model_pending_requests",
                                "Requests queued or running.", mv);
  queue_ = registry->AddHistogram("inferd_model_queue_duration_seconds",
                                  "Time requests waited in the queue.", mv,
                                  MetricsRegistry::LatencyBounds());
  compute_ = registry->AddHistogram("inferd_model_compute_duration_seconds",
                                    "Time the model took per execution.", mv,
                                    MetricsRegistry::LatencyBounds());
  request_ = registry->AddHistogram(
      "inferd_model_request_duration_seconds",
      "Time from a request's arrival at its model to its answer.", mv,
      MetricsRegistry::LatencyBounds());
  batch_ = registry->AddHistogram("inferd_model_batch_size",
                                  "Rows per model execution.", mv,
                                  MetricsRegistry::BatchSizeBounds());
  ttft_ = registry->AddHistogram(
      "inferd_llm_time_to_first_token_seconds",
      "Time from a generation request's submission to its first token.", mv,
      MetricsRegistry::LatencyBounds());
  inter_token_ = registry->AddHistogram("inferd_llm_inter_token_seconds",
                                        "Time between two tokens of one sequence.", mv,
                                        MetricsRegistry::LatencyBounds());
  prompt_tokens_ = registry->AddCounter("inferd_llm_prompt_tokens_total",
                                        "Prompt tokens of generation requests that started.", mv);
  generated_tokens_ = registry->AddCounter("inferd_llm_generated_tokens_total",
                                           "Tokens generated.", mv);
  sequences_ = registry->AddGauge(
      "inferd_llm_sequences",
      "Sequences by state: running (in the batch) or waiting (queued for admission).",
      {"model", "version", "state"});
  kv_used_ = registry->AddGauge("inferd_llm_kv_cache_used_bytes",
                                "KV cache memory held by sequences.", mv);
  kv_capacity_ = registry->AddGauge("inferd_llm_kv_cache_capacity_bytes",
                                    "KV cache memory of the model.", mv);
  prefix_hits_ = registry->AddCounter(
      "inferd_llm_prefix_cache_hits_total",
      "Generation requests that reused cached KV blocks of an earlier prompt.", mv);
  http_requests_ = registry->AddCounter("inferd_http_requests_total",
                                        "HTTP requests answered, by route and status.",
                                        {"route", "method", "status"});
  http_in_flight_ = registry->AddGauge("inferd_http_requests_in_flight",
                                       "HTTP requests being handled, by route.",
                                       {"route"});
}

ModelMetrics InferenceMetrics::ForModel(const std::string& model,
                                        const std::string& version) {
  const std::vector<std::string> mv = {model, version};
  ModelMetrics m;
  m.success = success_->WithLabels(mv);
  const char* reasons[] = {"rejected", "timeout", "cancelled", "backend", "invalid"};
  for (int i = 0; i < 5; ++i) m.failure[i] = failure_->WithLabels({model, version, reasons[i]});
  m.inferences = inferences_->WithLabels(mv);
  m.executions = executions_->WithLabels(mv);
  m.pending = pending_->WithLabels(mv);
  m.queue_seconds = queue_->WithLabels(mv);
  m.compute_seconds = compute_->WithLabels(mv);
  m.request_seconds = request_->WithLabels(mv);
  m.batch_size = batch_->WithLabels(mv);
  return m;
}

LlmMetrics InferenceMetrics::ForLanguageModel(const std::string& model,
                                              const std::string& version) {
  const std::vector<std::string> mv = {model, version};
  LlmMetrics m;
  m.time_to_first_token = ttft_->WithLabels(mv);
  m.inter_token = inter_token_->WithLabels(mv);
  m.prompt_tokens = prompt_tokens_->WithLabels(mv);
  m.generated_tokens = generated_tokens_->WithLabels(mv);
  m.running = sequences_->WithLabels({model, version, "running"});
  m.waiting = sequences_->WithLabels({model, version, "waiting"});
  m.kv_used_bytes = kv_used_->WithLabels(mv);
  m.kv_capacity_bytes = kv_capacity_->WithLabels(mv);
  m.prefix_cache_hits = prefix_hits_->WithLabels(mv);
  return m;
}

RouteMetrics InferenceMetrics::ForRoute(const std::string& route) {
  RouteMetrics r;
  r.requests = http_requests_;
  r.in_flight = http_in_flight_->WithLabels({route});
  r.route = route;
  return r;
}

void RegisterProcessMetrics(MetricsRegistry* registry) {
  registry->AddCallback("inferd_process_resident_memory_bytes",
                        "Resident memory of the server process.", false, [] {
                          std::ifstream statm("/proc/self/statm");
                          long pages_total = 0, pages_resident = 0;
                          statm >> pages_total >> pages_resident;
                          return static_cast<double>(pages_resident) *
                                 static_cast<double>(sysconf(_SC_PAGESIZE));
                        });
  registry->AddCallback("inferd_process_cpu_seconds_total",
                        "User and system CPU time of the server process.", true, [] {
                          rusage usage;
                          getrusage(RUSAGE_SELF, &usage);
                          auto seconds = [](const timeval& t) {
                            return t.tv_sec + t.tv_usec / 1e6;
                          };
                          return seconds(usage.ru_utime) + seconds(usage.ru_stime);
                        });
  const double start = absl::ToUnixMicros(absl::Now()) / 1e6;
  registry->AddCallback("inferd_process_start_time_seconds",
                        "Start time of the process, in seconds since the epoch.", false,
                        [start] { return start; });
}

}  // namespace inferd
