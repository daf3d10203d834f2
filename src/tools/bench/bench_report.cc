#include "tools/bench/bench_report.h"

#include <cmath>

#include "boost/json.hpp"
#include "common/strings.h"
#include "fmt/format.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

double Millis(int64_t micros) { return static_cast<double>(micros) / 1000.0; }

// Three decimals (a microsecond) is the histogram's resolution at best.
double Round3(double value) { return std::round(value * 1000.0) / 1000.0; }

// Boost.JSON writes doubles as "1.2345E3"; people read this output too, so
// numbers are written in their shortest plain form and everything else
// (strings, escaping) is left to Boost.JSON.
void WriteReadable(const json::value& value, int indent, std::string* out) {
  const std::string pad(static_cast<size_t>(indent + 2), ' ');
  switch (value.kind()) {
    case json::kind::object: {
      const json::object& object = value.get_object();
      if (object.empty()) {
        *out += "{}";
        return;
      }
      *out += "{\n";
      bool first = true;
      for (const auto& [key, member] : object) {
        if (!first) *out += ",\n";
        first = false;
        *out += pad + json::serialize(json::string(key)) + ": ";
        WriteReadable(member, indent + 2, out);
      }
      *out += "\n" + std::string(static_cast<size_t>(indent), ' ') + "}";
      return;
    }
    case json::kind::array: {
      const json::array& array = value.get_array();
      *out += "[";
      for (size_t i = 0; i < array.size(); ++i) {
        *out += i == 0 ? "\n" + pad : ",\n" + pad;
        WriteReadable(array[i], indent + 2, out);
      }
      if (!array.empty()) {
        *out += "\n" + std::string(static_cast<size_t>(indent), ' ');
      }
      *out += "]";
      return;
    }
    case json::kind::double_: {
      const double d = value.get_double();
      *out += std::isfinite(d) ? fmt::format("{}", d) : "null";
      return;
    }
    default:
      *out += json::serialize(value);
  }
}

std::string LevelLabel(const LevelResult& level) {
  return level.request_rate > 0 ? fmt::format("{:g}", level.request_rate)
                                : StrCat(level.concurrency);
}

std::string MillisCell(int64_t micros) {
  const double ms = Millis(micros);
  if (ms < 10) return fmt::format("{:.3f}", ms);
  if (ms < 1000) return fmt::format("{:.2f}", ms);
  return fmt::format("{:.1f}", ms);
}

json::object LevelJson(const LevelResult& level) {
  json::object o;
  if (level.request_rate > 0) {
    o["request_rate"] = level.request_rate;
  } else {
    o["concurrency"] = level.concurrency;
  }
  o["connections"] = level.connections;
  o["requests"] = level.requests();
  o["succeeded"] = level.succeeded;
  o["failed"] = level.failed;
  if (level.request_rate > 0) o["missed"] = level.missed;
  o["elapsed_s"] = Round3(level.elapsed_seconds);
  o["throughput_rps"] = Round3(level.throughput());
  const LatencyHistogram& h = level.latency;
  o["latency_ms"] = json::object{
      {"min", Millis(h.min())},
      {"mean", Round3(h.mean() / 1000.0)},
      {"p50", Millis(h.ValueAtPercentile(50))},
      {"p90", Millis(h.ValueAtPercentile(90))},
      {"p95", Millis(h.ValueAtPercentile(95))},
      {"p99", Millis(h.ValueAtPercentile(99))},
      {"max", Millis(h.max())},
  };
  json::object by_status;
  for (const auto& [status, count] : level.http_errors) {
    by_status[StrCat(status)] = count;
  }
  o["errors_by_status"] = std::move(by_status);
  json::object by_kind;
  for (const auto& [kind, count] : level.transport_errors) {
    by_kind[kind] = count;
  }
  o["transport_errors"] = std::move(by_kind);
  o["warmup_requests"] = level.warmup_requests;
  o["reconnects"] = level.reconnects;
  return o;
}

}  // namespace

std::string FormatReadableJson(const json::value& value) {
  std::string out;
  WriteReadable(value, 0, &out);
  return out + "\n";
}

std::string FormatErrors(const LevelResult& level) {
  std::string text;
  for (const auto& [status, count] : level.http_errors) {
    text += StrCat(text.empty() ? "" : " ", status, ":", count);
  }
  for (const auto& [kind, count] : level.transport_errors) {
    text += StrCat(text.empty() ? "" : " ", kind, ":", count);
  }
  return text.empty() ? "none" : text;
}

std::string FormatTable(const BenchReport& report) {
  const std::string first = report.open_loop ? "rate(req/s)" : "concurrency";
  std::string out = fmt::format(
      "{:>12} {:>9} {:>11} {:>9} {:>9} {:>9} {:>9} {:>9}{}  {}\n", first,
      "requests", "req/s", "p50(ms)", "p90(ms)", "p95(ms)", "p99(ms)",
      "max(ms)", report.open_loop ? fmt::format(" {:>7}", "missed") : "",
      "errors");
  for (const LevelResult& level : report.levels) {
    const LatencyHistogram& h = level.latency;
    out += fmt::format(
        "{:>12} {:>9} {:>11.1f} {:>9} {:>9} {:>9} {:>9} {:>9}{}  {}\n",
        LevelLabel(level), level.requests(), level.throughput(),
        MillisCell(h.ValueAtPercentile(50)),
        MillisCell(h.ValueAtPercentile(90)),
        MillisCell(h.ValueAtPercentile(95)),
        MillisCell(h.ValueAtPercentile(99)), MillisCell(h.max()),
        report.open_loop ? fmt::format(" {:>7}", level.missed) : "",
        FormatErrors(level));
  }
  return out;
}

std::string FormatJson(const BenchReport& report) {
  json::object target{{"url", report.url},
                      {"method", report.method},
                      {"path", report.path},
                      {"request", report.request},
                      {"body_bytes", report.body_bytes}};
  if (!report.model.empty()) target["model"] = report.model;
  if (!report.version.empty()) target["version"] = report.version;
  json::object doc{{"target", std::move(target)}};
  doc["mode"] = report.open_loop ? "request_rate" : "concurrency";
  if (report.open_loop) doc["arrival"] = report.arrival;
  doc["duration_s"] = report.duration_seconds;
  doc["warmup_s"] = report.warmup_seconds;
  json::array levels;
  for (const LevelResult& level : report.levels) {
    levels.push_back(LevelJson(level));
  }
  doc["levels"] = std::move(levels);
  return FormatReadableJson(doc);
}

std::string FormatProgressLine(const std::string& level_label,
                               const LevelProgress& progress) {
  const LevelStats::Snapshot& s = progress.stats;
  if (progress.warming_up) {
    return fmt::format("{} | warm-up {:.1f}/{:g}s | {} requests", level_label,
                       progress.phase_elapsed_seconds, progress.phase_seconds,
                       s.warmup_requests);
  }
  const double rate =
      progress.phase_elapsed_seconds > 0
          ? static_cast<double>(s.succeeded) / progress.phase_elapsed_seconds
          : 0.0;
  return fmt::format(
      "{} | measuring {:.1f}/{:g}s | {} ok {} err | {:.1f} req/s | p50 {} ms "
      "p99 {} ms",
      level_label,
      std::min(progress.phase_elapsed_seconds, progress.phase_seconds),
      progress.phase_seconds, s.succeeded, s.failed, rate,
      MillisCell(s.p50_micros), MillisCell(s.p99_micros));
}

}  // namespace inferd::bench
