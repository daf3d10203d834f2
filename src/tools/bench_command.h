#pragma once

// The `inferd bench` subcommand: a load generator for any server that speaks
// the KServe v2 infer route (or any POST route, given a body), like Triton's
// perf_analyzer. The work is done by src/tools/bench/; this file only turns
// flags into bench::BenchOptions.

#include "CLI/CLI.hpp"

namespace inferd {

// Adds `bench` with its flags and callback to `app`. Set-up errors (bad flag,
// unreachable server, unknown model) print a message to stderr and exit with
// status 2; a level in which no request succeeded exits with status 1.
void RegisterBenchCommand(CLI::App& app);

}  // namespace inferd
