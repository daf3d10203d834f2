#pragma once

// Runs a whole `inferd bench`: checks the options, finds the server and the
// model, builds the requests, sends one pre-flight request, runs every load
// level in turn, and prints the table (or JSON) to `out`.
//
// Set-up failures come back as an error Status before any load is sent:
// a bad flag, an unreachable server, an unknown model, a request the server
// rejects. The command turns those into exit status 2.
//
// Blocks the calling thread for the whole run; not reentrant in the sense
// that two concurrent runs would compete for the same cores, but safe.

#include <cstdio>

#include "absl/status/statusor.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/bench_report.h"

namespace inferd::bench {

// `err` gets the one-line description of the run and, when it is a
// terminal and `options.progress` is set, the live progress line.
absl::StatusOr<BenchReport> RunBench(const BenchOptions& options,
                                     std::FILE* out, std::FILE* err);

}  // namespace inferd::bench
