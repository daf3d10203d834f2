#include "server/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <cerrno>
#include <csignal>
#include <sys/resource.h>
#include <thread>

#include "absl/synchronization/notification.h"
#include "common/strings.h"
#include "api/api_context.h"
#include "api/docs_api.h"
#include "api/openapi_document.h"
#include "api/health_api.h"
#include "api/metrics_api.h"
#include "api/repository_api.h"
#include "api/v2_model_api.h"
#include "api/shared_memory_registry.h"
#include "api/predict_api.h"
#include "api/embeddings_api.h"
#include "api/generate_api.h"
#include "pipelines/task/builtin_tasks.h"
#include "api/cache_metrics.h"
#include "cache/lru_response_cache.h"
#include "cache/redis_response_cache.h"
#include "redis/redis_client.h"
#include "server/http_metrics_observer.h"
#include "server/job_service.h"
#include "server/route_guard.h"
#include "server/routes.h"
#include "auth/key_ring.h"
#include "auth/rate_limiter.h"
#include "repository/model_folder_check.h"
#include "repository/repository_poller.h"
#include "backend/torchscript/torchscript_backend.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "grpc/grpc_inference_service.h"
#include "grpc/grpc_server.h"
#include "http/http_server.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

// Many keep-alive clients need many descriptors; the soft limit is often
// 1024 while the hard limit is far higher.
void RaiseFileLimit() {
  rlimit limit;
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

int g_signal_pipe[2] = {-1, -1};

void OnTerminationSignal(int signal_number) {
  const char byte = static_cast<char>(signal_number);
  const int saved_errno = errno;
  (void)!write(g_signal_pipe[1], &byte, 1);
  errno = saved_errno;
}

absl::StatusOr<ModelControlMode> ParseControlMode(const std::string& mode) {
  if (mode == "none") return ModelControlMode::kNone;
  if (mode == "explicit") return ModelControlMode::kExplicit;
  if (mode == "poll") return ModelControlMode::kPoll;
  return absl::InvalidArgumentError(StrCat(
      "--model-control-mode \"", mode, "\" is not one of none, explicit, poll"));
}

// --model FILE.gguf: each file under its name without the extension.
absl::StatusOr<std::map<std::string, std::string>> ModelFilesByName(
    const std::vector<std::string>& files) {
  std::map<std::string, std::string> by_name;
  for (const std::string& file : files) {
    const std::filesystem::path path(file);
    if (path.extension() != ".gguf") {
      return absl::InvalidArgumentError(StrCat("--model ", file, ": not a .gguf file"));
    }
    const std::string name = path.stem().string();
    if (absl::Status valid = ValidateModelName(name); !valid.ok()) {
      return absl::InvalidArgumentError(StrCat("--model ", file, ": ", valid.message()));
    }
    if (!by_name.emplace(name, file).second) {
      return absl::InvalidArgumentError(
          StrCat("--model ", file, ": another --model is already named \"", name, "\""));
    }
  }
  return by_name;
}

absl::Status Validate(const ServerOptions& options) {
  if (options.model_repository.empty() && options.model_files.empty()) {
    return absl::InvalidArgumentError("--model-repository or --model is required");
  }
  if (options.http_port < 0 || options.http_port > 65535) {
    return absl::InvalidArgumentError("--http-port must be 0..65535");
  }
  if (options.grpc_port < 0 || options.grpc_port > 65535) {
    return absl::InvalidArgumentError("--grpc-port must be 0..65535 (0 turns gRPC off)");
  }
  if (options.io_threads < 1 || options.io_threads > 256) {
    return absl::InvalidArgumentError("--io-threads must be 1..256");
  }
  if (options.intra_op_threads < 0) {
    return absl::InvalidArgumentError("--intra-op-threads must not be negative");
  }
  if (options.max_body_bytes < 1024) {
    return absl::InvalidArgumentError("--max-body-bytes must be at least 1024");
  }
  if (options.read_timeout_ms < 1 || options.idle_timeout_ms < 1) {
    return absl::InvalidArgumentError("timeouts must be positive");
  }
  if (options.data_dir.empty()) return absl::InvalidArgumentError("--data-dir must not be empty");
  if (options.job_workers < 1 || options.job_workers > 1024) {
    return absl::InvalidArgumentError("--job-workers must be 1..1024");
  }
  if (options.job_max_attempts < 1 || options.job_max_attempts > 100) {
    return absl::InvalidArgumentError("--job-max-attempts must be 1..100");
  }
  if (options.job_result_ttl_s < 1) {
    return absl::InvalidArgumentError("--job-result-ttl must be at least 1 second");
  }
  if (options.job_lease_ms < 100) {
    return absl::InvalidArgumentError("--job-lease-ms must be at least 100");
  }
  if (!options.redis_url.empty()) {
    if (absl::StatusOr<redis::RedisUrl> url = redis::RedisUrl::Parse(options.redis_url); !url.ok()) {
      return url.status();
    }
  }
  if (options.job_retry_backoff_ms < 0) {
    return absl::InvalidArgumentError("--job-retry-backoff-ms must not be negative");
  }
  if (options.cache_ttl_s < 0) return absl::InvalidArgumentError("--cache-ttl must not be negative");
  if (options.max_instances < 1) {
    return absl::InvalidArgumentError("--max-instances must be at least 1");
  }
  if (options.anonymous_requests_per_second < 0 || options.anonymous_burst < 0 ||
      options.anonymous_max_concurrent < 0) {
    return absl::InvalidArgumentError("--anonymous-* limits must not be negative");
  }
  if (options.anonymous_burst > 0 && options.anonymous_requests_per_second <= 0) {
    return absl::InvalidArgumentError(
        "--anonymous-burst needs --anonymous-requests-per-second");
  }
  const bool anonymous_limited =
      options.anonymous_requests_per_second > 0 || options.anonymous_max_concurrent > 0;
  if (anonymous_limited && !options.api_keys_file.empty()) {
    return absl::InvalidArgumentError(
        "--anonymous-* limits apply only without --api-keys (each key has its own limits "
        "in the key file)");
  }
  if (options.repository_poll_secs < 1) {
    return absl::InvalidArgumentError("--repository-poll-secs must be at least 1");
  }
  if (options.model_control_mode == "poll" && options.model_repository.empty()) {
    return absl::InvalidArgumentError(
        "--model-control-mode poll needs --model-repository (a folder to follow)");
  }
  if (options.model_control_mode != "explicit" && !options.load_models.empty()) {
    return absl::InvalidArgumentError(
        "--load-model needs --model-control-mode explicit");
  }
  return absl::OkStatus();
}

// Whether `host` only accepts connections from this machine.
bool IsLoopback(const std::string& host) {
  in_addr v4;
  if (inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  return host == "::1" || host == "localhost";
}

// --docs-assets, else docs-ui/ beside the binary, where the build puts
// swagger-ui-dist's files.
std::string DocsAssetsDir(const ServerOptions& options) {
  if (!options.docs_assets.empty()) return options.docs_assets;
  std::error_code error;
  const std::filesystem::path binary = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) return "docs-ui";
  return (binary.parent_path() / "docs-ui").string();
}

}  // namespace

absl::Status RunServer(const ServerOptions& options) {
  LoggingOptions logging;
  logging.level = options.log_level;
  logging.format = options.log_format;
  INFERD_RETURN_IF_ERROR(ConfigureLogging(logging));
  INFERD_RETURN_IF_ERROR(Validate(options));
  INFERD_ASSIGN_OR_RETURN(ModelControlMode mode,
                          ParseControlMode(options.model_control_mode));
  RaiseFileLimit();

  // SIGTERM/SIGINT only write to a pipe that this thread waits on. A
  // handler, not a blocked mask, because libraries start threads before we
  // can mask them (OpenBLAS at load time); the handler works on any thread,
  // and a second signal during the drain is just another byte in the pipe.
  if (pipe(g_signal_pipe) != 0) return absl::InternalError("cannot create a pipe");
  struct sigaction action = {};
  action.sa_handler = OnTerminationSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGHUP, &action, nullptr);  // reloads the API key file
  std::signal(SIGPIPE, SIG_IGN);

  ConfigureTorchThreads(options.intra_op_threads);
  BackendRegistry backends;
  backends.Register({"pytorch_libtorch", "pytorch"},
                    std::make_shared<TorchScriptBackend>());

  MetricsRegistry registry;
  InferenceMetrics metrics(&registry);
  RegisterProcessMetrics(&registry);

  ModelRepository::Options repository_options;
  repository_options.root = options.model_repository;
  repository_options.control_mode = mode;
  repository_options.startup_models = options.load_models;
  INFERD_ASSIGN_OR_RETURN(repository_options.model_files, ModelFilesByName(options.model_files));
  repository_options.backends = &backends;
  repository_options.metrics = &metrics;
  repository_options.allow_symlinks_outside_repository =
      options.allow_symlinks_outside_repository;
  // A version a reload replaces finishes its requests like a SIGTERM would.
  repository_options.retire_wait = absl::Milliseconds(options.drain_timeout_ms);
  // Each version's task pipeline is built at load time (a bad task setting
  // makes the version UNAVAILABLE) and kept beside it as its attachment.
  pipelines::TaskRegistry tasks;
  pipelines::RegisterBuiltinTasks(tasks);
  repository_options.attach = [&tasks](const ModelVersion& model, const std::string& dir)
      -> absl::StatusOr<std::shared_ptr<const ModelAttachment>> {
    pipelines::TaskContext task_context{&model.config(), &model.signature(), dir,
                                        model.file_tokenizer()};
    INFERD_ASSIGN_OR_RETURN(std::unique_ptr<pipelines::TaskPipeline> pipeline,
                            tasks.Create(task_context));
    return std::shared_ptr<const ModelAttachment>(std::move(pipeline));
  };
  // Task preprocessing and postprocessing (tokenizing, decoding) run here,
  // never on the I/O threads. Declared before the repository so it outlives
  // the drain, whose completions post to it.
  ThreadPool task_pool(static_cast<int>(std::max(2u, std::thread::hardware_concurrency())));
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<ModelRepository> repository,
                          ModelRepository::Create(repository_options));

  ThreadPool control_pool(1);
  InferenceService service({repository.get(), &task_pool});
  ApiContext context;
  context.repository = repository.get();
  context.service = &service;
  context.codec_pool = &task_pool;
  context.control_pool = &control_pool;

  // --redis: jobs, results and the response cache on Redis, shared by the
  // replicas. Redis need not be up yet: what needs it answers 503 until it is.
  std::unique_ptr<redis::RedisClient> redis_client;
  std::string replica_name = options.replica_name;
  if (!options.redis_url.empty()) {
    redis::RedisClient::Options redis_options;
    INFERD_ASSIGN_OR_RETURN(redis_options.url, redis::RedisUrl::Parse(options.redis_url));
    INFERD_ASSIGN_OR_RETURN(redis_client, redis::RedisClient::Create(redis_options));
    if (replica_name.empty()) {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      replica_name = StrCat(host, ":", options.http_port);
    }
    absl::StatusOr<redis::Reply> ping = redis_client->Command({"PING"});
    if (ping.ok()) {
      spdlog::info("redis: jobs and cache on {} as replica \"{}\"",
                   redis_options.url.Describe(), replica_name);
    } else {
      spdlog::warn("redis: {} (jobs and the cache answer 503 until it is reachable)",
                   std::string(ping.status().message()));
    }
    redis::RedisClient* client = redis_client.get();
    registry.AddCallback("inferd_redis_up", "Whether the last Redis command reached the server.",
                         false, [client] { return client->stats().up ? 1.0 : 0.0; });
    registry.AddCallback("inferd_redis_commands_total", "Redis commands sent.", true,
                         [client] { return static_cast<double>(client->stats().commands); });
    registry.AddCallback("inferd_redis_errors_total",
                         "Redis connection failures and error replies.", true,
                         [client] { return static_cast<double>(client->stats().errors); });
    registry.AddCallback("inferd_redis_reconnects_total", "Reconnections to Redis after a loss.",
                         true,
                         [client] { return static_cast<double>(client->stats().reconnects); });
    registry.AddCallback("inferd_redis_round_trips_total",
                         "Round trips to Redis (a pipeline or script is one).", true,
                         [client] { return static_cast<double>(client->stats().round_trips); });
    registry.AddCallback("inferd_redis_round_trip_seconds_total",
                         "Summed Redis round-trip time; divide by round trips for the mean.",
                         true, [client] { return client->stats().latency_seconds; });
    context.redis = client;
  }

  std::unique_ptr<cache::ResponseCache> response_cache;
  std::unique_ptr<CacheMetrics> cache_metrics;
  if (options.cache_bytes > 0 && redis_client != nullptr) {
    cache::RedisResponseCache::Options cache_options;
    cache_options.client = redis_client.get();
    cache_options.max_entry_bytes = options.cache_bytes;
    if (options.cache_ttl_s > 0) cache_options.ttl = absl::Seconds(options.cache_ttl_s);
    INFERD_ASSIGN_OR_RETURN(response_cache, cache::RedisResponseCache::Create(cache_options));
    cache_metrics = std::make_unique<CacheMetrics>(&registry, response_cache.get());
    context.cache = response_cache.get();
    context.cache_metrics = cache_metrics.get();
  } else if (options.cache_bytes > 0) {
    cache::LruResponseCache::Options cache_options;
    cache_options.max_bytes = options.cache_bytes;
    if (options.cache_ttl_s > 0) cache_options.ttl = absl::Seconds(options.cache_ttl_s);
    INFERD_ASSIGN_OR_RETURN(response_cache, cache::LruResponseCache::Create(cache_options));
    cache_metrics = std::make_unique<CacheMetrics>(&registry, response_cache.get());
    context.cache = response_cache.get();
    context.cache_metrics = cache_metrics.get();
  }

  // The job service's jobs run through `service`.
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<JobService> jobs,
                          JobService::Create(options, &context, &registry, redis_client.get(),
                                             replica_name));
  context.jobs = jobs->api();
  // Shared memory regions are unmapped when `shared_memory` goes, at
  // shutdown, after the routes that use them.
  SharedMemoryRegistry shared_memory;
  context.shared_memory = &shared_memory;
  SharedMemoryApi shared_memory_api(&context);
  ServerSettingsApi settings_api(&context);
  MetricsApi metrics_api(&context, &registry);
  HealthApi health(&context);
  RepositoryApi repository_api(&context);
  V2ModelApi model_api(&context);
  PredictApi predict_api(&context, {options.max_instances, &task_pool});
  EmbeddingsApi embeddings_api(&context, {&task_pool});
  GenerateApi generate_api(&context);
  OpenAiApi openai_api(&context);
  // Ollama's keep_alive: in explicit control mode, models load on first use
  // and unload when idle as long as the requests ask.
  std::unique_ptr<KeepAlive> keep_alive;
  if (mode == ModelControlMode::kExplicit) {
    ModelRepository* models = repository.get();
    keep_alive = std::make_unique<KeepAlive>(KeepAlive::Options{
        .unload = [models](const std::string& name) {
          if (absl::Status unloaded = models->Unload(name); !unloaded.ok()) {
            spdlog::warn("model {}: keep_alive unload: {}", name, unloaded.ToString());
          } else {
            spdlog::info("model {}: unloaded after its keep_alive", name);
          }
        }});
    keep_alive->Start();
  }
  OllamaApi ollama_api(&context, {keep_alive.get()});
  // API keys and rate limits, checked at route dispatch.
  std::unique_ptr<auth::KeyRing> api_keys;
  if (!options.api_keys_file.empty()) {
    INFERD_ASSIGN_OR_RETURN(api_keys, auth::KeyRing::Load(options.api_keys_file));
    spdlog::info("API keys: {} keys from {}", api_keys->size(), options.api_keys_file);
    if (api_keys->size() == 0) {
      spdlog::warn("API key file {} lists no keys: every route but the health probes answers "
                   "401", options.api_keys_file);
    }
  } else if (!IsLoopback(options.host)) {
    spdlog::warn("no --api-keys: anyone who can reach {}:{} may run, load and unload every "
                 "model and read every job (see docs/security.md)",
                 options.host, options.http_port);
  }
  auth::RateLimiter rate_limiter({});
  RouteGuard::Options guard_options;
  guard_options.keys = api_keys.get();
  guard_options.limiter = &rate_limiter;
  guard_options.anonymous.requests_per_second = options.anonymous_requests_per_second;
  guard_options.anonymous.burst = options.anonymous_burst;
  guard_options.anonymous.max_concurrent = options.anonymous_max_concurrent;
  guard_options.metrics_open = options.metrics_open;
  guard_options.metrics = &registry;
  RouteGuard guard(guard_options);
  // The API's document is written from the routes as they are added; its
  // page's assets are read once, here.
  OpenApiDocument openapi({.version = context.server_version, .api_keys = api_keys != nullptr});
  DocsApi docs_api({.document = &openapi, .assets_dir = DocsAssetsDir(options)});
  if (!docs_api.assets_missing().empty()) {
    spdlog::info("/docs answers 503: its page assets are missing ({})",
                 docs_api.assets_missing());
  }
  RouteTable routes;
  AddServerRoutes(routes, {.health = &health,
                           .models = &model_api,
                           .embeddings = &embeddings_api,
                           .generate = &generate_api,
                           .openai = &openai_api,
                           .ollama = &ollama_api,
                           .predict = &predict_api,
                           .jobs = jobs->api(),
                           .repository = &repository_api,
                           .metrics = &metrics_api,
                           .shared_memory = &shared_memory_api,
                           .settings = &settings_api,
                           .docs = &docs_api},
                  &guard, &openapi);
  openapi.Finish();

  HttpServer::Options http_options;
  http_options.host = options.host;
  http_options.port = options.http_port;
  http_options.io_threads = options.io_threads;
  http_options.max_body_bytes = options.max_body_bytes;
  http_options.read_timeout = absl::Milliseconds(options.read_timeout_ms);
  http_options.idle_timeout = absl::Milliseconds(options.idle_timeout_ms);
  HttpMetricsObserver http_metrics(&metrics);  // outlives `http`, declared below
  http_options.observer = &http_metrics;
  http_options.access_log = options.access_log;
  INFERD_ASSIGN_OR_RETURN(http_options.cors, CorsPolicy::Create(options.cors_origins));
  http_options.tls.cert_file = options.tls_cert;
  http_options.tls.key_file = options.tls_key;
  http_options.tls.client_ca_file = options.tls_client_ca;
  if (!options.tls_client_ca.empty() && !http_options.tls.enabled()) {
    return absl::InvalidArgumentError("--tls-client-ca needs --tls-cert and --tls-key");
  }
  INFERD_ASSIGN_OR_RETURN(std::unique_ptr<HttpServer> http,
                          HttpServer::Create(http_options, &routes));
  HttpServer* http_server = http.get();
  registry.AddCallback("inferd_http_open_connections", "Open HTTP connections.", false,
                       [http_server] { return http_server->open_connections(); });
  // KServe v2 over gRPC: the same service, repository, cache, keys and
  // limits as the HTTP routes. Bound before HTTP starts, so a port in use
  // fails the start-up before anything answers.
  grpc_api::GrpcMetrics grpc_metrics(&registry);
  grpc_api::GrpcGuard grpc_guard({.keys = api_keys.get(),
                                  .limiter = &rate_limiter,
                                  .anonymous = guard_options.anonymous,
                                  .metrics = &registry});
  grpc_api::GrpcInferenceService grpc_service(
      {.context = &context, .guard = &grpc_guard, .metrics = &grpc_metrics});
  std::unique_ptr<grpc_api::GrpcServer> grpc;
  if (options.grpc_port != 0) {
    INFERD_ASSIGN_OR_RETURN(grpc, grpc_api::GrpcServer::Create({.host = options.host,
                                                                .port = options.grpc_port,
                                                                .max_message_bytes =
                                                                    options.max_body_bytes},
                                                               &grpc_service));
  }
  // Before listening: a request for a startup model that has not loaded yet
  // hears "still loading", never "unknown model".
  repository->QueueStartupModels();
  http->Start();
  spdlog::info("inferd {} listening on {}:{} ({}; model repository {})",
               context.server_version, options.host, http->port(),
               http->tls() ? (options.tls_client_ca.empty() ? "HTTPS" : "HTTPS, mutual TLS")
                           : "HTTP",
               options.model_repository);
  if (grpc) spdlog::info("KServe v2 gRPC listening on {}:{}", options.host, grpc->port());

  // Liveness answers while models load; readiness waits for them. Jobs
  // start after the startup models, so recovered jobs do not spend their
  // attempts on models that are still loading.
  control_pool.Post([&repository, &jobs] {
    repository->LoadStartupModels();
    if (absl::Status started = jobs->Start(); !started.ok()) {
      spdlog::error("jobs did not start: {}", started.ToString());
    }
  });

  // Poll mode: the folder is followed from the end of the startup load on.
  std::unique_ptr<RepositoryPoller> poller;
  if (mode == ModelControlMode::kPoll) {
    poller = std::make_unique<RepositoryPoller>(
        repository.get(),
        RepositoryPoller::Options{.interval = absl::Seconds(options.repository_poll_secs)});
    spdlog::info("following the model repository: a scan every {} s",
                 options.repository_poll_secs);
  }

  char signal_number = 0;
  while (true) {
    if (read(g_signal_pipe[0], &signal_number, 1) != 1) continue;
    if (signal_number != SIGHUP) break;
    // Requests in flight keep the key they were admitted with.
    if (api_keys == nullptr) {
      spdlog::info("received SIGHUP; no --api-keys to reload");
      continue;
    }
    absl::StatusOr<size_t> reloaded = api_keys->Reload();
    if (reloaded.ok()) {
      spdlog::info("received SIGHUP: reloaded {} API keys from {}", *reloaded,
                   options.api_keys_file);
    } else {
      spdlog::error("received SIGHUP: API keys not reloaded, the previous keys stay: {}",
                    std::string(reloaded.status().message()));
    }
  }
  spdlog::info("received {}, draining", signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  poller.reset();  // no reloads while draining; waits for a scan in progress
  // Both transports drain at once: gRPC calls in flight finish (until the
  // drain timeout) while HTTP's do.
  std::thread grpc_drain;
  if (grpc) {
    grpc_drain = std::thread([&grpc, &options] {
      grpc->Shutdown(absl::Milliseconds(options.drain_timeout_ms));
    });
  }
  http->Shutdown(absl::Milliseconds(options.drain_timeout_ms));
  if (grpc_drain.joinable()) grpc_drain.join();
  // Loads on demand (Ollama's routes) run on the control pool and answer
  // through the APIs above: let those queued finish while the APIs exist.
  absl::Notification control_idle;
  control_pool.Post([&control_idle] { control_idle.Notify(); });
  control_idle.WaitForNotification();
  jobs->Stop();  // running jobs finish; queued ones wait for the next start
  repository->UnloadAll();
  spdlog::info("stopped");
  return absl::OkStatus();
}

}  // namespace inferd
