#pragma once

// Everything `inferd serve` can be told, with the defaults a user gets when
// they say nothing. main.cc fills it from flags and INFERD_* variables.

#include <cstddef>
#include <string>
#include <vector>

namespace inferd {

struct ServerOptions {
  std::string model_repository;            // required unless model_files
  // GGUF files served by file name (without .gguf), without a repository.
  std::vector<std::string> model_files;
  std::string host = "0.0.0.0";
  int http_port = 8000;                     // 0 picks a free port
  int grpc_port = 8001;                     // KServe v2 gRPC; 0 turns it off
  int io_threads = 2;                       // HTTP I/O threads
  int intra_op_threads = 0;                 // libtorch; 0 = its own default
  size_t max_body_bytes = 64ull << 20;      // larger requests get 413
  std::string log_level = "info";
  std::string log_format = "text";          // text | json (JSON lines)
  bool access_log = true;                   // a line per HTTP request, at info
  std::string model_control_mode = "none";  // none | explicit | poll
  int repository_poll_secs = 15;            // poll mode: seconds between scans
  std::vector<std::string> load_models;     // explicit mode: load at start
  // Follow symlinks in model folders that lead outside the repository.
  bool allow_symlinks_outside_repository = false;
  int read_timeout_ms = 30000;              // to receive a whole request
  int idle_timeout_ms = 75000;              // keep-alive idle limit
  int drain_timeout_ms = 30000;             // SIGTERM grace for in-flight work
  size_t max_instances = 1000;              // :predict instances per request
  // Async jobs (durable; see docs/jobs.md).
  std::string data_dir = "inferd-data";     // the job database lives here
  int job_workers = 8;                      // jobs running at once
  int job_max_attempts = 3;                 // then the job stays failed
  int job_result_ttl_s = 3600;              // finished jobs are purged after
  int job_retry_backoff_ms = 1000;          // first retry delay; doubles
  int job_lease_ms = 600000;                // a running job's lease
  // Scale-out (README "Running several replicas"): jobs, results and the
  // response cache on Redis, shared by every replica.
  std::string redis_url;                    // empty: SQLite + in-memory cache
  std::string replica_name;                 // empty: <hostname>:<port>
  // Response cache (models with response_cache { enable: true }).
  size_t cache_bytes = 256ull << 20;        // LRU bound; 0 disables the cache
  int cache_ttl_s = 0;                      // entry lifetime; 0 = no limit
  // API keys and rate limits (docs/security.md).
  std::string api_keys_file;                // JSON lines; empty: no keys, open
  bool metrics_open = false;                // /metrics needs no key (else admin)
  // Per client IP while there are no API keys; 0 = unlimited.
  double anonymous_requests_per_second = 0;
  double anonymous_burst = 0;               // 0: one second's worth
  int anonymous_max_concurrent = 0;
  // Origins that browser pages may call from ("*": any); empty: CORS off.
  std::vector<std::string> cors_origins;
  // Swagger UI's files for /docs; empty: docs-ui/ beside the binary.
  std::string docs_assets;
  // HTTPS (docs/security.md): PEM files; with both, --http-port serves HTTPS only.
  std::string tls_cert;
  std::string tls_key;
  std::string tls_client_ca;                // set: clients need a certificate it signed
  // Webhooks: addresses beyond the public internet they may reach (CIDRs,
  // addresses or host names), and extra CAs trusted for https:// webhooks.
  std::vector<std::string> webhook_allow;
  std::string webhook_ca;
};

}  // namespace inferd
