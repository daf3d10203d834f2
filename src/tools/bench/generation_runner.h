#pragma once

// Runs a generation benchmark (`inferd bench --route completions|chat`):
// streamed OpenAI-style completions against any server that speaks them
// (inferd, llama-server, vLLM, OpenAI itself), like vLLM's serving
// benchmark. For each concurrency level, that many workers, each on its own
// keep-alive connection, send requests back to back until the level's
// request count is used up; every request's chunks are timed as they come
// off the socket with the monotonic clock.
//
// Before any level, one short request is sent on its own: a server that
// refuses the body, is unreachable, or does not answer with an event stream
// of text chunks fails the run there with its own message.
//
// Blocks the calling thread for the whole run.

#include <cstdio>

#include "absl/status/statusor.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/generation_report.h"

namespace inferd::bench {

// `err` gets the run's description and, when it is a terminal and
// `options.progress` is set, a live progress line; `out` the table or JSON.
absl::StatusOr<GenerationReport> RunGenerationBench(const BenchOptions& options,
                                                    std::FILE* out,
                                                    std::FILE* err);

}  // namespace inferd::bench
