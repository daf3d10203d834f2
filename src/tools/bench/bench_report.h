#pragma once

// How `inferd bench` shows its figures: the final table for people, one JSON
// document for programs, and the live progress line on a terminal.
//
// Pure functions of their arguments; safe from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "boost/json/value.hpp"
#include "tools/bench/level_stats.h"
#include "tools/bench/load_generator.h"

namespace inferd::bench {

// What was run and what came of it.
struct BenchReport {
  std::string url;
  std::string method = "POST";
  std::string path;
  std::string model;    // may be empty with --path
  std::string version;  // empty: the server's choice
  std::string request;  // RequestSource::description()
  int64_t body_bytes = 0;
  bool open_loop = false;  // levels are request rates, not concurrencies
  std::string arrival;     // open loop: "constant" or "poisson"
  double duration_seconds = 0;
  double warmup_seconds = 0;
  std::vector<LevelResult> levels;
};

// One row per level: the level, requests, successful requests per second,
// p50/p90/p95/p99/max latency in milliseconds, and errors by HTTP status and
// transport error (open loop adds requests it could not send in time).
std::string FormatTable(const BenchReport& report);

// The same figures as one JSON object, with latencies in milliseconds.
std::string FormatJson(const BenchReport& report);

// `value` as indented JSON whose numbers are in their shortest plain form
// (Boost.JSON alone writes 1234.5 as "1.2345E3"), with a final newline.
std::string FormatReadableJson(const boost::json::value& value);

// "errors" cell text: "none", or e.g. "503:12 timeout:3".
std::string FormatErrors(const LevelResult& level);

// One progress line (no newline) for a level, e.g.
// "concurrency 8 | measuring 3.5/10s | 4312 ok 0 err | 1232 req/s | ...".
std::string FormatProgressLine(const std::string& level_label,
                               const LevelProgress& progress);

}  // namespace inferd::bench
