#include "tools/bench/generation_report.h"

#include <cmath>

#include "boost/json.hpp"
#include "common/strings.h"
#include "fmt/format.h"
#include "tools/bench/bench_report.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

double Millis(int64_t micros) { return static_cast<double>(micros) / 1000.0; }
double Round3(double value) { return std::round(value * 1000.0) / 1000.0; }

std::string MillisCell(int64_t micros) {
  const double ms = Millis(micros);
  if (ms < 10) return fmt::format("{:.3f}", ms);
  if (ms < 1000) return fmt::format("{:.2f}", ms);
  return fmt::format("{:.1f}", ms);
}

json::object Percentiles(const LatencyHistogram& h) {
  return json::object{{"count", h.count()},
                      {"mean", Round3(h.mean() / 1000.0)},
                      {"p50", Millis(h.ValueAtPercentile(50))},
                      {"p90", Millis(h.ValueAtPercentile(90))},
                      {"p99", Millis(h.ValueAtPercentile(99))},
                      {"max", Millis(h.max())}};
}

json::object LevelJson(const GenerationLevel& level) {
  json::object errors;
  for (const auto& [error, count] : level.errors) errors[error] = count;
  json::object o{
      {"concurrency", level.concurrency},
      {"requests", level.requests()},
      {"succeeded", level.succeeded},
      {"failed", level.failed},
      {"errors", std::move(errors)},
      {"short_requests", level.short_requests},
      {"elapsed_s", Round3(level.elapsed_seconds)},
      {"output_tokens", level.output_tokens},
      {"text_chunks", level.text_chunks},
      {"prompt_tokens_mean", Round3(level.mean_prompt_tokens())},
      {"output_tokens_per_s", Round3(level.output_tokens_per_second())},
      {"stream_tokens_per_s_p50", Round3(level.stream_tokens_per_second_p50)},
      {"ttft_ms", Percentiles(level.ttft)},
      {"itl_ms", Percentiles(level.itl)},
      {"e2e_ms", Percentiles(level.e2e)},
  };
  if (!level.first_error_detail.empty()) {
    o["first_error"] = level.first_error_detail;
  }
  return o;
}

}  // namespace

std::string FormatGenerationTable(const GenerationReport& report) {
  std::string out = fmt::format(
      "{:>11} {:>8} {:>7} {:>8} {:>9} {:>10} {:>9} {:>9} {:>9} {:>8} {:>8} "
      "{:>8}  {}\n",
      "concurrency", "requests", "prompt", "output", "tok/s", "tok/s/strm",
      "TTFT p50", "TTFT p90", "TTFT p99", "ITL p50", "ITL p90", "ITL p99",
      "errors");
  for (const GenerationLevel& l : report.levels) {
    out += fmt::format(
        "{:>11} {:>8} {:>7.1f} {:>8} {:>9.2f} {:>10.2f} {:>9} {:>9} {:>9} "
        "{:>8} {:>8} {:>8}  {}\n",
        l.concurrency, l.requests(), l.mean_prompt_tokens(), l.output_tokens,
        l.output_tokens_per_second(), l.stream_tokens_per_second_p50,
        MillisCell(l.ttft.ValueAtPercentile(50)),
        MillisCell(l.ttft.ValueAtPercentile(90)),
        MillisCell(l.ttft.ValueAtPercentile(99)),
        MillisCell(l.itl.ValueAtPercentile(50)),
        MillisCell(l.itl.ValueAtPercentile(90)),
        MillisCell(l.itl.ValueAtPercentile(99)), FormatGenerationErrors(l));
  }
  out +=
      "(prompt: the server's mean count of prompt tokens; output: tokens "
      "generated; tok/s: output tokens per second, all streams; tok/s/strm: "
      "median decode speed of one stream; latencies in ms)\n";
  for (const GenerationLevel& l : report.levels) {
    if (l.short_requests > 0) {
      out += fmt::format(
          "concurrency {}: {} request(s) generated fewer than {} tokens (does "
          "the server honour ignore_eos?)\n",
          l.concurrency, l.short_requests, report.max_tokens);
    }
    if (!l.first_error_detail.empty()) {
      out += fmt::format("concurrency {}: first error: {}\n", l.concurrency,
                         l.first_error_detail);
    }
  }
  return out;
}

std::string FormatGenerationJson(const GenerationReport& report) {
  json::object target{{"url", report.url},
                      {"path", report.path},
                      {"model", report.model},
                      {"request", report.request}};
  json::object doc{{"target", std::move(target)},
                   {"route", report.chat ? "chat" : "completions"},
                   {"prompt_tokens", report.prompt_tokens},
                   {"max_tokens", report.max_tokens},
                   {"ignore_eos", report.ignore_eos}};
  json::array levels;
  for (const GenerationLevel& level : report.levels) {
    levels.push_back(LevelJson(level));
  }
  doc["levels"] = std::move(levels);
  return FormatReadableJson(doc);
}

}  // namespace inferd::bench
