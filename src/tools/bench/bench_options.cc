#include "tools/bench/bench_options.h"

#include <charconv>
#include <string_view>

#include "absl/strings/ascii.h"
#include "boost/url/parse.hpp"
#include "common/strings.h"

namespace inferd::bench {
namespace {

std::vector<std::string_view> SplitComma(std::string_view text) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t comma = text.find(',', start);
    std::string_view part = text.substr(start, comma - start);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    while (!part.empty() && part.back() == ' ') part.remove_suffix(1);
    parts.push_back(part);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return parts;
}

template <typename T>
bool ParseNumber(std::string_view text, T* value) {
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, *value);
  return ec == std::errc() && ptr == end && !text.empty();
}

}  // namespace

absl::StatusOr<TargetUrl> ParseTargetUrl(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) {
    return absl::InvalidArgumentError(StrCat(
        "--url \"", url, "\" is not a URL; expected http://HOST[:PORT]"));
  }
  const std::string scheme =
      absl::AsciiStrToLower(ToAbsl(std::string_view(parsed->scheme())));
  if (scheme != "http") {
    return absl::InvalidArgumentError(
        StrCat("--url \"", url, "\": only http:// is supported, got ",
               std::string_view(parsed->scheme()), "://"));
  }
  TargetUrl target;
  target.host = parsed->encoded_host_address();
  if (target.host.empty()) {
    return absl::InvalidArgumentError(
        StrCat("--url \"", url, "\" names no host"));
  }
  // IPv6 literals come bracketed in the URL; the resolver wants them bare.
  if (target.host.size() > 2 && target.host.front() == '[') {
    target.host = target.host.substr(1, target.host.size() - 2);
  }
  if (parsed->has_port()) {
    const std::string_view port = parsed->port();
    unsigned value = 0;
    if (!ParseNumber(port, &value) || value == 0 || value > 65535) {
      return absl::InvalidArgumentError(
          StrCat("--url \"", url, "\": bad port \"", port, "\""));
    }
    target.port = static_cast<uint16_t>(value);
  }
  if (parsed->has_query() || parsed->has_fragment()) {
    return absl::InvalidArgumentError(
        StrCat("--url \"", url, "\": no query or fragment expected"));
  }
  target.base_path = parsed->encoded_path();
  while (!target.base_path.empty() && target.base_path.back() == '/') {
    target.base_path.pop_back();
  }
  return target;
}

absl::StatusOr<absl::Duration> ParseBenchDuration(const std::string& text) {
  double seconds = 0;
  absl::Duration duration;
  if (ParseNumber(std::string_view(text), &seconds)) {
    duration = absl::Seconds(seconds);
  } else if (!absl::ParseDuration(ToAbsl(text), &duration) ||
             duration == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(StrCat(
        "\"", text, "\" is not a duration; write e.g. 10s, 500ms or 2m"));
  }
  if (duration < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        StrCat("duration \"", text, "\" is negative"));
  }
  return duration;
}

absl::StatusOr<std::vector<int>> ParseConcurrencyList(const std::string& text) {
  std::vector<int> levels;
  for (std::string_view part : SplitComma(text)) {
    int value = 0;
    if (!ParseNumber(part, &value) || value <= 0) {
      return absl::InvalidArgumentError(
          StrCat("--concurrency \"", text,
                 "\": expected positive integers separated by commas, got \"",
                 part, "\""));
    }
    levels.push_back(value);
  }
  return levels;
}

absl::StatusOr<std::vector<double>> ParseRateList(const std::string& text) {
  std::vector<double> rates;
  for (std::string_view part : SplitComma(text)) {
    double value = 0;
    if (!ParseNumber(part, &value) || !(value > 0)) {
      return absl::InvalidArgumentError(
          StrCat("--request-rate \"", text,
                 "\": expected positive requests per second separated by "
                 "commas, got \"",
                 part, "\""));
    }
    rates.push_back(value);
  }
  return rates;
}

absl::Status ParseTokenIdRange(const std::string& text, int64_t* low,
                               int64_t* high) {
  const size_t colon = text.find(':');
  int64_t lo = 0, hi = 0;
  if (colon == std::string::npos ||
      !ParseNumber(std::string_view(text).substr(0, colon), &lo) ||
      !ParseNumber(std::string_view(text).substr(colon + 1), &hi) || lo < 0 ||
      hi <= lo) {
    return absl::InvalidArgumentError(
        StrCat("--token-id-range \"", text,
               "\": expected LOW:HIGH with 0 <= LOW < HIGH, e.g. 259:32000"));
  }
  *low = lo;
  *high = hi;
  return absl::OkStatus();
}

bool IsGenerationRoute(const std::string& route) {
  return route == "completions" || route == "chat";
}

absl::Status ParseShapeFlag(
    const std::string& text,
    std::map<std::string, std::vector<int64_t>>* shapes) {
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == text.size()) {
    return absl::InvalidArgumentError(StrCat(
        "--shape \"", text, "\": expected NAME:D1,D2,... e.g. INPUT0:4,16"));
  }
  std::vector<int64_t> dims;
  for (std::string_view part :
       SplitComma(std::string_view(text).substr(colon + 1))) {
    int64_t value = 0;
    if (!ParseNumber(part, &value) || value < 0) {
      return absl::InvalidArgumentError(
          StrCat("--shape \"", text, "\": bad dimension \"", part, "\""));
    }
    dims.push_back(value);
  }
  (*shapes)[text.substr(0, colon)] = std::move(dims);
  return absl::OkStatus();
}

namespace {

// The checks of a generation benchmark, whose requests are built from the
// prompt and length flags and which runs closed-loop levels only.
absl::Status ValidateGeneration(const BenchOptions& o, int body_sources) {
  if (o.model.empty()) {
    return absl::InvalidArgumentError(
        StrCat("--model is required with --route ", o.route));
  }
  if (body_sources > 0) {
    return absl::InvalidArgumentError(
        StrCat("--input-file, --body-file and --body-lines do not apply to "
               "--route ",
               o.route,
               ": requests are built from --prompt-tokens and "
               "--max-tokens"));
  }
  if (!o.request_rates.empty()) {
    return absl::InvalidArgumentError(
        StrCat("--request-rate is not supported with --route ", o.route,
               ": give --concurrency levels"));
  }
  if (o.concurrency.empty()) {
    return absl::InvalidArgumentError("give --concurrency levels");
  }
  for (int c : o.concurrency) {
    if (c <= 0 || c > 10000) {
      return absl::InvalidArgumentError(
          StrCat("--concurrency ", c, ": must be between 1 and 10000"));
    }
  }
  // The prompt and length flags are checked by CompletionRequests::Create.
  if (o.num_requests < 0 || o.num_requests > 1000000) {
    return absl::InvalidArgumentError(
        "--num-requests must be between 0 (twice the concurrency) and "
        "1000000");
  }
  if (o.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout must be positive");
  }
  if (o.io_threads < 1 || o.io_threads > 64) {
    return absl::InvalidArgumentError("--threads must be between 1 and 64");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateBenchOptions(const BenchOptions& o) {
  if (o.path.empty() && o.model.empty()) {
    return absl::InvalidArgumentError(
        "--model is required (or --path to POST to an explicit path)");
  }
  if (!o.path.empty() && o.path.front() != '/') {
    return absl::InvalidArgumentError(
        StrCat("--path \"", o.path, "\" must start with '/'"));
  }
  if (o.route != "infer" && o.route != "predict" &&
      !IsGenerationRoute(o.route)) {
    return absl::InvalidArgumentError(
        StrCat("--route \"", o.route,
               "\": expected \"infer\", \"predict\", \"completions\" or "
               "\"chat\""));
  }
  const int sources = !o.input_file.empty() + !o.body_file.empty() +
                      !o.body_lines.empty();
  if (IsGenerationRoute(o.route)) return ValidateGeneration(o, sources);
  if (sources > 1) {
    return absl::InvalidArgumentError(
        "--input-file, --body-file and --body-lines are exclusive: give one");
  }
  if (sources == 0 && (o.route != "infer" || !o.path.empty())) {
    return absl::InvalidArgumentError(
        "only v2 infer requests are generated from model metadata: give "
        "--body-file, --body-lines or --input-file for --route predict or "
        "--path");
  }
  if (o.batch_size <= 0) {
    return absl::InvalidArgumentError("--batch-size must be at least 1");
  }
  if (o.shape_default <= 0) {
    return absl::InvalidArgumentError("--shape-default must be at least 1");
  }
  if (o.distinct_requests <= 0 || o.distinct_requests > 10000) {
    return absl::InvalidArgumentError(
        "--distinct-requests must be between 1 and 10000");
  }
  if (o.request_rates.empty() && o.concurrency.empty()) {
    return absl::InvalidArgumentError(
        "give --concurrency or --request-rate levels");
  }
  for (int c : o.concurrency) {
    if (c <= 0 || c > 10000) {
      return absl::InvalidArgumentError(
          StrCat("--concurrency ", c, ": must be between 1 and 10000"));
    }
  }
  if (o.arrival != "constant" && o.arrival != "poisson") {
    return absl::InvalidArgumentError(StrCat(
        "--arrival \"", o.arrival, "\": expected \"constant\" or \"poisson\""));
  }
  if (o.max_connections <= 0 || o.max_connections > 10000) {
    return absl::InvalidArgumentError(
        "--max-connections must be between 1 and 10000");
  }
  if (o.duration <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--duration must be positive");
  }
  if (o.timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--timeout must be positive");
  }
  if (o.io_threads < 1 || o.io_threads > 64) {
    return absl::InvalidArgumentError("--threads must be between 1 and 64");
  }
  return absl::OkStatus();
}

}  // namespace inferd::bench
