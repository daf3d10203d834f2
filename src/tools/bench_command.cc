#include "tools/bench_command.h"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "fmt/format.h"
#include "tools/bench/bench_options.h"
#include "tools/bench/bench_report.h"
#include "tools/bench/bench_runner.h"
#include "tools/bench/generation_runner.h"

namespace inferd {
namespace {

// The flags whose text needs parsing beyond what CLI11 does.
struct BenchFlags {
  bench::BenchOptions options;
  std::string concurrency = "1";
  std::string request_rate;
  std::string duration = "10s";
  std::string warmup = "2s";
  std::string timeout = "30s";
  std::vector<std::string> shapes;
  std::vector<std::string> headers;  // "Name: value"
  std::string token_id_range;
  bool no_progress = false;
  bool no_ignore_eos = false;
  const CLI::Option* timeout_option = nullptr;  // to tell whether it was given
};

absl::Status ApplyFlags(BenchFlags& flags) {
  bench::BenchOptions& o = flags.options;
  auto concurrency = bench::ParseConcurrencyList(flags.concurrency);
  if (!concurrency.ok()) return concurrency.status();
  o.concurrency = *concurrency;
  if (!flags.request_rate.empty()) {
    auto rates = bench::ParseRateList(flags.request_rate);
    if (!rates.ok()) return rates.status();
    o.request_rates = *rates;
  }
  const std::pair<const std::string*, absl::Duration*> durations[] = {
      {&flags.duration, &o.duration},
      {&flags.warmup, &o.warmup},
      {&flags.timeout, &o.timeout}};
  for (const auto& [text, value] : durations) {
    auto parsed = bench::ParseBenchDuration(*text);
    if (!parsed.ok()) return parsed.status();
    *value = *parsed;
  }
  if (bench::IsGenerationRoute(o.route) && flags.timeout_option != nullptr &&
      flags.timeout_option->count() == 0) {
    o.timeout = bench::kGenerationTimeout;
  }
  if (!flags.token_id_range.empty()) {
    if (absl::Status s = bench::ParseTokenIdRange(
            flags.token_id_range, &o.token_id_low, &o.token_id_high);
        !s.ok()) {
      return s;
    }
  }
  o.ignore_eos = !flags.no_ignore_eos;
  for (const std::string& header : flags.headers) {
    const size_t colon = header.find(':');
    if (colon == std::string::npos || colon == 0) {
      return absl::InvalidArgumentError(
          "--header \"" + header + "\" must be \"Name: value\"");
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    o.headers.emplace_back(header.substr(0, colon), std::move(value));
  }
  for (const std::string& shape : flags.shapes) {
    if (absl::Status s = bench::ParseShapeFlag(shape, &o.shapes); !s.ok()) {
      return s;
    }
  }
  o.progress = !flags.no_progress;
  return absl::OkStatus();
}

[[noreturn]] void Fail(int exit_code, const std::string& message) {
  std::fprintf(stderr, "inferd bench: %s\n", message.c_str());
  throw CLI::RuntimeError(exit_code);
}

}  // namespace

void RegisterBenchCommand(CLI::App& app) {
  auto flags = std::make_shared<BenchFlags>();
  bench::BenchOptions& o = flags->options;
  CLI::App* cmd = app.add_subcommand(
      "bench",
      "Load-test a server: throughput and latency percentiles per "
      "concurrency level or request rate (like Triton's perf_analyzer); "
      "with --route completions or chat, streamed text generation against "
      "any OpenAI-compatible server (like vLLM's serving benchmark).");
  cmd->add_option("--url", o.url, "Server base URL, http://HOST:PORT")
      ->capture_default_str();
  cmd->add_option("-m,--model", o.model, "Model to send requests to");
  cmd->add_option("--version,--model-version", o.version,
                  "Model version (default: the server's choice)");
  cmd->add_option("--input-file", o.input_file,
                  "A v2 infer request JSON to send (default: generated from "
                  "GET /v2/models/MODEL metadata)");
  cmd->add_option("--body-file", o.body_file,
                  "Any request body to send as it is (with --route predict or "
                  "--path)");
  cmd->add_option("--body-lines", o.body_lines,
                  "A file with one request body per line (e.g. JSON Lines), "
                  "sent round-robin: a mixed workload");
  cmd->add_option("--route", o.route,
                  "infer: POST /v2/models/MODEL[/versions/V]/infer; predict: "
                  "POST /v1/models/MODEL:predict; completions: streamed POST "
                  "/v1/completions; chat: streamed POST /v1/chat/completions")
      ->capture_default_str();
  cmd->add_option("--prompt-tokens", o.prompt_tokens,
                  "Generation: prompt length, in words (about one token each; "
                  "the server's count is reported) or in token ids with "
                  "--token-id-range")
      ->capture_default_str();
  cmd->add_option("--prompt-file", o.prompt_file,
                  "Generation: draw prompt words from this text file instead "
                  "of the built-in list");
  cmd->add_option("--token-id-range", flags->token_id_range,
                  "Generation, completions only: send each prompt as "
                  "--prompt-tokens random token ids in [LOW, HIGH), an exact "
                  "length whatever the tokenizer, e.g. 259:32000");
  cmd->add_option("--max-tokens", o.max_tokens,
                  "Generation: tokens each request generates")
      ->capture_default_str();
  cmd->add_option("-n,--num-requests", o.num_requests,
                  "Generation: requests per concurrency level (0: twice the "
                  "concurrency)")
      ->capture_default_str();
  cmd->add_flag("--no-ignore-eos", flags->no_ignore_eos,
                "Generation: do not send \"ignore_eos\": true (for servers "
                "that refuse the field; requests may then end early)");
  cmd->add_option(
      "--path", o.path,
      "POST to this path instead, e.g. /v1/models/sentiment:predict");
  cmd->add_option("-H,--header", flags->headers,
                  "A header to send with every request, \"Name: value\" (repeatable), e.g. "
                  "\"Authorization: Bearer KEY\"");
  cmd->add_option("--content-type", o.content_type, "Content-Type of the body")
      ->capture_default_str();
  cmd->add_option("-b,--batch-size", o.batch_size,
                  "Generated requests: size of a leading -1 dimension")
      ->capture_default_str();
  cmd->add_option("--shape-default", o.shape_default,
                  "Generated requests: size of every other -1 dimension")
      ->capture_default_str();
  cmd->add_option("--shape", flags->shapes,
                  "Generated requests: full shape of one input, NAME:D1,D2,... "
                  "(repeatable)");
  cmd->add_option("--distinct-requests", o.distinct_requests,
                  "Generated requests: how many different bodies to send "
                  "round-robin")
      ->capture_default_str();
  cmd->add_option("--seed", o.seed,
                  "Seed for generated data and Poisson arrivals")
      ->capture_default_str();
  cmd->add_option("-c,--concurrency", flags->concurrency,
                  "Closed loop: requests in flight, one level or a sweep "
                  "like 1,8,32")
      ->capture_default_str();
  cmd->add_option("-r,--request-rate", flags->request_rate,
                  "Open loop: requests per second, one level or a sweep like "
                  "50,100,200 (replaces --concurrency)");
  cmd->add_option("--arrival", o.arrival,
                  "Open loop: constant gaps or poisson arrivals")
      ->capture_default_str();
  cmd->add_option("--max-connections", o.max_connections,
                  "Open loop: connections available to send on")
      ->capture_default_str();
  cmd->add_option("-d,--duration", flags->duration,
                  "Measured time per level (e.g. 10s, 500ms, 1m)")
      ->capture_default_str();
  cmd->add_option("--warmup", flags->warmup,
                  "Time per level before measuring; its requests are not "
                  "counted")
      ->capture_default_str();
  flags->timeout_option =
      cmd->add_option("--timeout", flags->timeout,
                      "Per-request timeout; a request that takes longer counts "
                      "as a timeout error. Generation: the longest wait for "
                      "any byte (default 5m)")
          ->capture_default_str();
  cmd->add_option("--threads", o.io_threads,
                  "Client I/O threads (keep it low: they share the cores with "
                  "a local server)")
      ->capture_default_str();
  cmd->add_flag("--json", o.json,
                "Print one JSON document on stdout instead of the table");
  cmd->add_flag("--no-progress", flags->no_progress,
                "No live progress line (it is shown only on a terminal)");

  cmd->callback([flags] {
    if (absl::Status s = ApplyFlags(*flags); !s.ok()) {
      Fail(2, std::string(s.message()));
    }
    if (bench::IsGenerationRoute(flags->options.route)) {
      auto report = bench::RunGenerationBench(flags->options, stdout, stderr);
      if (!report.ok()) Fail(2, std::string(report.status().message()));
      for (const bench::GenerationLevel& level : report->levels) {
        if (level.succeeded == 0) {
          Fail(1, fmt::format("no request succeeded at concurrency {} "
                              "(errors: {}){}",
                              level.concurrency,
                              bench::FormatGenerationErrors(level),
                              level.first_error_detail.empty()
                                  ? ""
                                  : ": " + level.first_error_detail));
        }
      }
      return;
    }
    auto report = bench::RunBench(flags->options, stdout, stderr);
    if (!report.ok()) Fail(2, std::string(report.status().message()));
    for (const bench::LevelResult& level : report->levels) {
      if (level.succeeded == 0) {
        Fail(1,
             fmt::format("no request succeeded at {} (errors: {})",
                         level.request_rate > 0
                             ? fmt::format("{:g} req/s", level.request_rate)
                             : fmt::format("concurrency {}", level.concurrency),
                         bench::FormatErrors(level)));
      }
    }
  });
}

}  // namespace inferd
