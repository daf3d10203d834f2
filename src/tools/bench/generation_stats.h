#pragma once

// What one streamed completion looked like from the client (GenerationTrace),
// and the figures of a whole concurrency level computed from those traces
// (GenerationLevel), with the definitions vLLM's serving benchmark uses:
//
// - TTFT: from sending the request to the first chunk that carries text.
// - Inter-token latency (ITL): the gaps between successive text chunks of a
//   stream, pooled over all streams. A server that sends one chunk per token
//   (llama-server, inferd) gives one gap per token; one that holds back part
//   of a character for the next chunk gives fewer, longer gaps.
// - Output tokens: `usage.completion_tokens` when the server sent it, else
//   the number of text chunks.
// - Output tokens/s: all successful requests' output tokens over the level's
//   wall time (first send to last response end).
// - Per-stream tokens/s: a stream's decode speed, (tokens - 1) over the time
//   from its first to its last text chunk; the median over streams.
//
// Percentiles come from LatencyHistogram (exact below 256 us, within 1/128
// above). Pure functions of plain values; not synchronized.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "tools/bench/latency_histogram.h"

namespace inferd::bench {

using SteadyTime = std::chrono::steady_clock::time_point;

struct GenerationTrace {
  SteadyTime start;  // just before the request was written
  SteadyTime end;    // when the response (or the failure) was complete
  std::vector<SteadyTime> text_chunks;  // arrival of each chunk with text
  int64_t completion_tokens = -1;       // usage; -1 when not sent
  int64_t prompt_tokens = -1;           // usage; -1 when not sent
  std::string finish_reason;
  // Empty when the request succeeded; else why not: an HTTP status ("503"),
  // a transport error ("timeout", "closed", ...), "stream_error" (an error
  // event in a 200 stream) or "bad_stream" (not OpenAI-style SSE).
  std::string error;
  std::string error_detail;  // the server's message, for the first failure

  bool ok() const { return error.empty(); }
  int64_t output_tokens() const {
    return completion_tokens >= 0 ? completion_tokens
                                  : static_cast<int64_t>(text_chunks.size());
  }
};

struct GenerationLevel {
  int concurrency = 0;
  int64_t succeeded = 0;
  int64_t failed = 0;
  std::map<std::string, int64_t> errors;  // by GenerationTrace::error
  std::string first_error_detail;

  double elapsed_seconds = 0;  // first send to last end, all requests
  int64_t output_tokens = 0;   // successful requests
  int64_t prompt_tokens = 0;   // as the server counted them, when it said
  int64_t requests_with_usage = 0;
  int64_t text_chunks = 0;
  // Successful requests that generated fewer tokens than asked for.
  int64_t short_requests = 0;

  LatencyHistogram ttft;  // microseconds
  LatencyHistogram itl;   // microseconds
  LatencyHistogram e2e;   // microseconds, whole request
  double stream_tokens_per_second_p50 = 0;

  int64_t requests() const { return succeeded + failed; }
  double output_tokens_per_second() const {
    return elapsed_seconds > 0
               ? static_cast<double>(output_tokens) / elapsed_seconds
               : 0.0;
  }
  // Mean prompt length the server reported; 0 when it never said.
  double mean_prompt_tokens() const {
    return requests_with_usage > 0
               ? static_cast<double>(prompt_tokens) /
                     static_cast<double>(requests_with_usage)
               : 0.0;
  }
};

// Summarizes one level. `max_tokens` is what each request asked for (to
// count short ones).
GenerationLevel SummarizeGenerationLevel(
    int concurrency, const std::vector<GenerationTrace>& traces,
    int max_tokens);

// "errors" cell text: "none", or e.g. "503:2 timeout:1".
std::string FormatGenerationErrors(const GenerationLevel& level);

}  // namespace inferd::bench
