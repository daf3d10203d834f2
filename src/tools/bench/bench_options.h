#pragma once

// What `inferd bench` is asked to do: the target, the request, the load
// levels and how long each runs. Filled from flags by bench_command.cc,
// checked by ValidateBenchOptions(), read by BenchRunner.
//
// A plain value type; not synchronized.

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace inferd::bench {

// Where the requests go, parsed from --url.
struct TargetUrl {
  std::string host;  // as written in the URL; also the Host header
  uint16_t port = 80;
  std::string base_path;  // path prefix from the URL without a trailing '/'
};

// Parses "http://HOST[:PORT][/PREFIX]". Only plain http is supported.
absl::StatusOr<TargetUrl> ParseTargetUrl(const std::string& url);

// Parses "10s", "500ms", "1m30s" (absl duration syntax) or a bare number of
// seconds ("2.5"). Negative durations are an error.
absl::StatusOr<absl::Duration> ParseBenchDuration(const std::string& text);

// Parses a comma-separated list of positive integers, e.g. "1,8,32".
absl::StatusOr<std::vector<int>> ParseConcurrencyList(const std::string& text);

// Parses a comma-separated list of positive request rates, e.g. "50,100.5".
absl::StatusOr<std::vector<double>> ParseRateList(const std::string& text);

// Parses "LOW:HIGH" (the --token-id-range flag), 0 <= LOW < HIGH.
absl::Status ParseTokenIdRange(const std::string& text, int64_t* low,
                               int64_t* high);

// True for the routes of a generation benchmark: "completions" and "chat".
bool IsGenerationRoute(const std::string& route);

// Parses "NAME:D1,D2,..." (the --shape flag) into `shapes[NAME]`.
absl::Status ParseShapeFlag(
    const std::string& text,
    std::map<std::string, std::vector<int64_t>>* shapes);

// --timeout's default for a generation benchmark: prompts of 16 streams can
// take most of a minute to prefill on a small CPU before any byte comes.
inline constexpr absl::Duration kGenerationTimeout = absl::Minutes(5);

struct BenchOptions {
  std::string url = "http://127.0.0.1:8000";
  std::string model;    // required unless --path is given
  std::string version;  // empty: the server's choice

  // Where the body comes from: at most one of these three; none means a v2
  // infer request generated from the model's metadata.
  std::string input_file;  // a v2 infer request JSON, sent as it is
  std::string body_file;   // any body, sent as it is
  std::string body_lines;  // one body per line, sent round-robin

  // The POST target: "infer" (/v2/models/M[/versions/V]/infer), "predict"
  // (/v1/models/M:predict), or a generation benchmark: "completions"
  // (/v1/completions) or "chat" (/v1/chat/completions); `path` replaces the
  // path.
  std::string route = "infer";
  std::string path;
  std::string content_type = "application/json";
  // Extra headers sent with every request (--header "Name: value"), e.g. an
  // API key.
  std::vector<std::pair<std::string, std::string>> headers;

  // Request generation from metadata.
  int64_t batch_size = 1;     // replaces a leading -1 dimension
  int64_t shape_default = 1;  // replaces any other -1 dimension
  std::map<std::string, std::vector<int64_t>> shapes;  // --shape overrides
  int distinct_requests = 1;  // bodies generated, sent round-robin
  uint64_t seed = 1;

  // Generation benchmark (route "completions" or "chat"): streamed requests,
  // see CompletionRequests.
  int prompt_tokens = 128;   // words, or token ids with a token-id range
  std::string prompt_file;   // prompt words; empty: built in
  int64_t token_id_low = 0;  // prompts as token ids in [low, high)
  int64_t token_id_high = 0;
  int max_tokens = 128;
  int num_requests = 0;  // per level; 0: twice the level's concurrency
  bool ignore_eos = true;

  // Load: either a concurrency sweep (closed loop) or request rates (open
  // loop); rates win when both are set.
  std::vector<int> concurrency = {1};
  std::vector<double> request_rates;
  std::string arrival = "constant";  // rate mode: "constant" or "poisson"
  int max_connections = 64;          // rate mode: connections in the pool

  absl::Duration duration = absl::Seconds(10);  // measured, per level
  absl::Duration warmup = absl::Seconds(2);     // discarded, per level
  // Per request; for a generation benchmark, per step (no byte for this
  // long), defaulting to kGenerationTimeout.
  absl::Duration timeout = absl::Seconds(30);
  int io_threads = 1;

  bool json = false;
  bool progress = true;  // only ever shown when stderr is a terminal
};

// Checks the combination of options; the message names the flag.
absl::Status ValidateBenchOptions(const BenchOptions& options);

}  // namespace inferd::bench
