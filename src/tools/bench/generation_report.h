#pragma once

// How `inferd bench --route completions|chat` shows its figures: a table for
// people and one JSON document (--json) for programs and scripts.
//
// Pure functions of their arguments; safe from any thread.

#include <string>
#include <vector>

#include "tools/bench/generation_stats.h"

namespace inferd::bench {

struct GenerationReport {
  std::string url;
  std::string path;
  std::string model;
  std::string request;  // CompletionRequests::description()
  bool chat = false;
  int prompt_tokens = 0;  // asked for (words or token ids)
  int max_tokens = 0;
  bool ignore_eos = true;
  std::vector<GenerationLevel> levels;
};

// One row per concurrency: requests, the server's mean prompt length, output
// tokens, output tokens/s (aggregate and per stream), TTFT and inter-token
// latency p50/p90/p99 in milliseconds, errors; then a line for each level
// with short requests or failures, quoting the first failure.
std::string FormatGenerationTable(const GenerationReport& report);

// The same figures as one JSON object, latencies in milliseconds.
std::string FormatGenerationJson(const GenerationReport& report);

}  // namespace inferd::bench
