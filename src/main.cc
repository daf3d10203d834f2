// inferd: flags -> options -> server.

#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/synchronization/mutex.h"
#include "server/server.h"
#include "tools/bench_command.h"
#include "tools/generate_command.h"

namespace {

void AddServeCommand(CLI::App& app, inferd::ServerOptions& o) {
  CLI::App* serve = app.add_subcommand(
      "serve", "Serve the models of a model repository over HTTP (KServe v2).");
  serve->add_option("--model-repository", o.model_repository,
                    "Folder of models in Triton layout: NAME/config.pbtxt, NAME/1/model.pt")
      ->envname("INFERD_MODEL_REPOSITORY");
  serve->add_option("--model", o.model_files,
                    "A GGUF language model file to serve under its file name without "
                    ".gguf (repeatable; with or without --model-repository)")
      ->check(CLI::ExistingFile);
  serve->add_option("--host", o.host, "Address to listen on")
      ->envname("INFERD_HOST")
      ->capture_default_str();
  serve->add_option("--http-port", o.http_port, "HTTP port (0 picks a free one)")
      ->envname("INFERD_HTTP_PORT")
      ->capture_default_str();
  serve->add_option("--grpc-port", o.grpc_port, "KServe v2 gRPC port (0 turns gRPC off)")
      ->envname("INFERD_GRPC_PORT")
      ->capture_default_str();
  serve->add_option("--io-threads", o.io_threads, "Threads serving HTTP connections")
      ->envname("INFERD_IO_THREADS")
      ->capture_default_str();
  serve->add_option("--intra-op-threads", o.intra_op_threads,
                    "libtorch threads per operation (0 = libtorch's own default)")
      ->envname("INFERD_INTRA_OP_THREADS")
      ->capture_default_str();
  serve->add_option("--max-body-bytes", o.max_body_bytes,
                    "Largest request body accepted; larger ones get 413")
      ->envname("INFERD_MAX_BODY_BYTES")
      ->capture_default_str();
  serve->add_option("--log-level", o.log_level, "trace, debug, info, warn, error or off")
      ->envname("INFERD_LOG_LEVEL")
      ->capture_default_str();
  serve->add_option("--log-format", o.log_format,
                    "text, or json for one JSON object per line")
      ->envname("INFERD_LOG_FORMAT")
      ->capture_default_str();
  serve->add_flag("--access-log,!--no-access-log", o.access_log,
                  "Log every HTTP request at info level (5xx answers are logged always)")
      ->envname("INFERD_ACCESS_LOG")
      ->capture_default_str();
  serve->add_option("--model-control-mode", o.model_control_mode,
                    "none: load every model at start; explicit: load and unload "
                    "through the repository API; poll: load every model at start, "
                    "then follow changes to the repository folder")
      ->envname("INFERD_MODEL_CONTROL_MODE")
      ->capture_default_str();
  serve->add_option("--repository-poll-secs", o.repository_poll_secs,
                    "With poll control: seconds between scans of the model repository")
      ->envname("INFERD_REPOSITORY_POLL_SECS")
      ->capture_default_str();
  serve->add_option("--load-model", o.load_models,
                    "With explicit control: a model to load at start (repeatable)")
      ->envname("INFERD_LOAD_MODEL");
  serve->add_flag("--allow-symlinks-outside-repository", o.allow_symlinks_outside_repository,
                  "Follow symbolic links in model folders whose target is outside the "
                  "model repository (off: such a model is UNAVAILABLE)")
      ->envname("INFERD_ALLOW_SYMLINKS_OUTSIDE_REPOSITORY");
  serve->add_option("--read-timeout-ms", o.read_timeout_ms,
                    "Time allowed to receive a whole request before the connection closes")
      ->envname("INFERD_READ_TIMEOUT_MS")
      ->capture_default_str();
  serve->add_option("--idle-timeout-ms", o.idle_timeout_ms,
                    "Idle keep-alive connections close after this long")
      ->envname("INFERD_IDLE_TIMEOUT_MS")
      ->capture_default_str();
  serve->add_option("--drain-timeout-ms", o.drain_timeout_ms,
                    "On SIGTERM, how long in-flight requests may take to finish")
      ->envname("INFERD_DRAIN_TIMEOUT_MS")
      ->capture_default_str();
  serve->add_option("--max-instances", o.max_instances,
                    "Most instances one :predict request may carry (more: 413)")
      ->envname("INFERD_MAX_INSTANCES")
      ->capture_default_str();
  serve->add_option("--data-dir", o.data_dir,
                    "Folder of the durable job database (created if missing)")
      ->envname("INFERD_DATA_DIR")
      ->capture_default_str();
  serve->add_option("--job-workers", o.job_workers,
                    "Async jobs that run at once (bounds their share of the models)")
      ->envname("INFERD_JOB_WORKERS")
      ->capture_default_str();
  serve->add_option("--job-max-attempts", o.job_max_attempts,
                    "Attempts before a failing job stays failed")
      ->envname("INFERD_JOB_MAX_ATTEMPTS")
      ->capture_default_str();
  serve->add_option("--job-result-ttl", o.job_result_ttl_s,
                    "Seconds a finished job and its result are kept")
      ->envname("INFERD_JOB_RESULT_TTL")
      ->capture_default_str();
  serve->add_option("--job-retry-backoff-ms", o.job_retry_backoff_ms,
                    "Delay before a failed job's first retry; doubles each time")
      ->envname("INFERD_JOB_RETRY_BACKOFF_MS")
      ->capture_default_str();
  serve->add_option("--job-lease-ms", o.job_lease_ms,
                    "A running job's lease: a replica that stops holding it (crash, kill) "
                    "loses its jobs to the others after this long")
      ->envname("INFERD_JOB_LEASE_MS")
      ->capture_default_str();
  serve->add_option("--redis", o.redis_url,
                    "redis://[user:password@]host:port/db: jobs, results and the response "
                    "cache on Redis, shared by every replica (default: SQLite in --data-dir "
                    "and an in-memory cache)")
      ->envname("INFERD_REDIS");
  serve->add_option("--replica-name", o.replica_name,
                    "This replica's name among those sharing --redis (its workers and "
                    "consumer); keep it stable across restarts (default: hostname:port)")
      ->envname("INFERD_REPLICA_NAME");
  serve->add_option("--cache-bytes", o.cache_bytes,
                    "Bound of the in-memory response cache (0 turns it off)")
      ->envname("INFERD_CACHE_BYTES")
      ->capture_default_str();
  serve->add_option("--cache-ttl", o.cache_ttl_s,
                    "Seconds a cached response lives (0: until evicted)")
      ->envname("INFERD_CACHE_TTL")
      ->capture_default_str();
  serve->add_option("--api-keys", o.api_keys_file,
                    "API key file (JSON lines; see docs/security.md). Without it every "
                    "route is open. Reloaded on SIGHUP")
      ->envname("INFERD_API_KEYS");
  serve->add_flag("--metrics-open", o.metrics_open,
                  "With --api-keys: serve /metrics without a key (else it needs the admin scope)")
      ->envname("INFERD_METRICS_OPEN");
  serve->add_option("--anonymous-requests-per-second", o.anonymous_requests_per_second,
                    "Without --api-keys: requests per second per client IP (0: unlimited)")
      ->envname("INFERD_ANONYMOUS_REQUESTS_PER_SECOND")
      ->capture_default_str();
  serve->add_option("--anonymous-burst", o.anonymous_burst,
                    "Without --api-keys: burst per client IP (0: one second's worth)")
      ->envname("INFERD_ANONYMOUS_BURST")
      ->capture_default_str();
  serve->add_option("--anonymous-max-concurrent", o.anonymous_max_concurrent,
                    "Without --api-keys: requests in flight per client IP (0: unlimited)")
      ->envname("INFERD_ANONYMOUS_MAX_CONCURRENT")
      ->capture_default_str();
  serve->add_option("--cors-origins", o.cors_origins,
                    "Origins whose web pages may call the server (CORS), comma-separated, "
                    "or \"*\" for any; none: no CORS headers")
      ->delimiter(',')
      ->envname("INFERD_CORS_ORIGINS");
  serve->add_option("--docs-assets", o.docs_assets,
                    "Folder of swagger-ui-dist's files for the /docs page (default: docs-ui/ "
                    "beside the binary, where the build installs them)")
      ->envname("INFERD_DOCS_ASSETS");
  serve->add_option("--tls-cert", o.tls_cert,
                    "PEM certificate chain: with --tls-key, --http-port serves HTTPS only")
      ->envname("INFERD_TLS_CERT");
  serve->add_option("--tls-key", o.tls_key, "PEM private key of --tls-cert (unencrypted)")
      ->envname("INFERD_TLS_KEY");
  serve->add_option("--tls-client-ca", o.tls_client_ca,
                    "PEM CA certificates: clients must present a certificate they signed "
                    "(mutual TLS)")
      ->envname("INFERD_TLS_CLIENT_CA");
  serve->add_option("--webhook-allow", o.webhook_allow,
                    "Non-public destinations webhooks may reach, comma-separated: CIDRs "
                    "(10.0.0.0/8), addresses (127.0.0.1) or host names; by default only "
                    "public addresses")
      ->delimiter(',')
      ->envname("INFERD_WEBHOOK_ALLOW");
  serve->add_option("--webhook-ca", o.webhook_ca,
                    "PEM CA certificates trusted for https:// webhooks, besides the system's")
      ->envname("INFERD_WEBHOOK_CA");
  serve->callback([&o] {
    absl::Status status = inferd::RunServer(o);
    if (!status.ok()) {
      std::fprintf(stderr, "inferd serve: %s\n", std::string(status.message()).c_str());
      throw CLI::RuntimeError(1);
    }
  });
}

}  // namespace

int main(int argc, char** argv) {
  // Debian's Abseil is built without NDEBUG, so each absl::Mutex lock would
  // also update Abseil's lock-order graph under one process-wide lock: a
  // debugging aid the server would pay for on every request. The unit tests
  // keep it on.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  CLI::App app{"inferd: a model inference server (KServe v2, Triton model repositories)"};
  app.set_version_flag("--version", "inferd 0.1.0");
  app.require_subcommand(1);
  inferd::ServerOptions options;
  AddServeCommand(app, options);
  inferd::RegisterBenchCommand(app);
  inferd::RegisterGenerateCommand(app);
  CLI11_PARSE(app, argc, argv);
  return 0;
}
