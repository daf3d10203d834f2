#include "tools/bench/bench_runner.h"

#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <utility>

#include "common/strings.h"
#include "fmt/format.h"
#include "tools/bench/http_load_client.h"
#include "tools/bench/load_generator.h"
#include "tools/bench/request_source.h"

namespace inferd::bench {
namespace {

// Server error bodies are quoted in messages up to this length.
constexpr size_t kMaxQuotedBody = 300;

std::string Quote(std::string body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
    body.pop_back();
  }
  if (body.size() > kMaxQuotedBody)
    body = body.substr(0, kMaxQuotedBody) + "...";
  return body.empty() ? "(empty body)" : body;
}

absl::Status Unreachable(const std::string& url, const RoundTripResult& r) {
  return absl::UnavailableError(StrCat("cannot reach ", url, ": ",
                                       TransportErrorName(r.error), " (",
                                       r.detail, ")"));
}

absl::StatusOr<RequestSource> BuildRequests(
    const BenchOptions& o, const TargetUrl& url,
    const std::vector<boost::asio::ip::tcp::endpoint>& endpoints,
    const HttpLoadClient::Options& client_options) {
  std::string target;
  if (!o.path.empty()) {
    target = url.base_path + o.path;
  } else if (o.route == "predict") {
    target = StrCat(url.base_path, "/v1/models/", o.model, ":predict");
  } else {
    target = ModelPath(url.base_path, o.model, o.version) + "/infer";
  }
  if (!o.body_file.empty()) {
    return RequestSource::FromFile(o.body_file, /*require_v2_infer=*/false,
                                   std::move(target), o.content_type);
  }
  if (!o.body_lines.empty()) {
    return RequestSource::FromLines(o.body_lines, std::move(target),
                                    o.content_type);
  }
  if (!o.input_file.empty()) {
    return RequestSource::FromFile(o.input_file, /*require_v2_infer=*/true,
                                   std::move(target), o.content_type);
  }
  const std::string metadata_path =
      ModelPath(url.base_path, o.model, o.version);
  RoundTripResult metadata =
      FetchOnce(endpoints, client_options, metadata_path);
  if (metadata.status == 0) return Unreachable(o.url, metadata);
  if (metadata.status == 404) {
    return absl::NotFoundError(StrCat(
        "unknown model \"", o.model, "\"",
        o.version.empty() ? "" : StrCat(" version \"", o.version, "\""), " at ",
        o.url, ": GET ", metadata_path, " answered 404 ", Quote(metadata.body),
        " (a server without v2 model metadata needs --input-file)"));
  }
  if (metadata.status != 200) {
    return absl::FailedPreconditionError(
        StrCat("GET ", metadata_path, " answered ", metadata.status, " ",
               Quote(metadata.body),
               "; give --input-file to send a request of your own"));
  }
  GenerationOptions generation;
  generation.batch_size = o.batch_size;
  generation.shape_default = o.shape_default;
  generation.shapes = o.shapes;
  generation.count = o.distinct_requests;
  generation.seed = o.seed;
  auto source = RequestSource::FromMetadata(metadata.body, generation,
                                            std::move(target), o.content_type);
  if (!source.ok()) {
    return absl::InvalidArgumentError(
        StrCat("model \"", o.model, "\": ", source.status().message()));
  }
  return source;
}

std::string LevelLabel(const LevelSpec& spec) {
  return spec.request_rate > 0 ? fmt::format("rate {:g}/s", spec.request_rate)
                               : StrCat("concurrency ", spec.concurrency);
}

}  // namespace

absl::StatusOr<BenchReport> RunBench(const BenchOptions& o, std::FILE* out,
                                     std::FILE* err) {
  if (absl::Status s = ValidateBenchOptions(o); !s.ok()) return s;
  auto url = ParseTargetUrl(o.url);
  if (!url.ok()) return url.status();
  auto endpoints = ResolveEndpoints(url->host, url->port);
  if (!endpoints.ok()) return endpoints.status();

  HttpLoadClient::Options set_up;
  set_up.host_header = StrCat(url->host, ":", url->port);
  set_up.headers = o.headers;
  set_up.timeout =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          absl::ToChronoNanoseconds(std::min(o.timeout, absl::Seconds(10))));

  auto requests = BuildRequests(o, *url, *endpoints, set_up);
  if (!requests.ok()) return requests.status();

  // One real request first: a wrong body or path fails here with the
  // server's own message instead of as thousands of errors in the table.
  RoundTripResult preflight =
      FetchOnce(*endpoints, set_up, requests->target(),
                &requests->content_type(), &requests->bodies().front());
  if (preflight.status == 0) return Unreachable(o.url, preflight);
  if (preflight.status < 200 || preflight.status >= 300) {
    return absl::FailedPreconditionError(StrCat(
        "the server answered the first request (POST ", requests->target(),
        ") with ", preflight.status, " ", Quote(preflight.body)));
  }

  BenchReport report;
  report.url = o.url;
  report.path = requests->target();
  report.model = o.model;
  report.version = o.version;
  report.request = requests->description();
  int64_t body_bytes = 0;  // the mean over the bodies sent round-robin
  for (const std::string& body : requests->bodies()) body_bytes += body.size();
  report.body_bytes = body_bytes / static_cast<int64_t>(requests->bodies().size());
  report.open_loop = !o.request_rates.empty();
  report.arrival = report.open_loop ? o.arrival : "";
  report.duration_seconds = absl::ToDoubleSeconds(o.duration);
  report.warmup_seconds = absl::ToDoubleSeconds(o.warmup);

  std::vector<LevelSpec> specs;
  LevelSpec base;
  base.poisson = o.arrival == "poisson";
  base.connections = o.max_connections;
  base.warmup = o.warmup;
  base.duration = o.duration;
  base.seed = o.seed;
  if (report.open_loop) {
    for (double rate : o.request_rates) {
      specs.push_back(base);
      specs.back().request_rate = rate;
    }
  } else {
    for (int concurrency : o.concurrency) {
      specs.push_back(base);
      specs.back().concurrency = concurrency;
    }
  }

  std::fprintf(
      err, "inferd bench: POST %s%s\n  request: %s\n  %s\n", o.url.c_str(),
      requests->target().c_str() + url->base_path.size(),
      requests->description().c_str(),
      fmt::format("{} level(s), {:g}s each after {:g}s warm-up", specs.size(),
                  report.duration_seconds, report.warmup_seconds)
          .c_str());
  std::fflush(err);

  LoadGenerator::Options generator_options;
  generator_options.endpoints = *endpoints;
  generator_options.host_header = set_up.host_header;
  generator_options.headers = o.headers;
  generator_options.requests = &*requests;
  generator_options.timeout = o.timeout;
  generator_options.io_threads = o.io_threads;
  LoadGenerator generator(std::move(generator_options));

  const bool live = o.progress && isatty(fileno(err)) == 1;
  for (const LevelSpec& spec : specs) {
    const std::string label = LevelLabel(spec);
    std::function<void(const LevelProgress&)> on_progress;
    if (live) {
      on_progress = [&](const LevelProgress& progress) {
        std::fprintf(err, "\r\033[K%s",
                     FormatProgressLine(label, progress).c_str());
        std::fflush(err);
      };
    }
    report.levels.push_back(generator.RunLevel(spec, on_progress));
    if (live) {
      std::fputs("\r\033[K", err);
      std::fflush(err);
    }
  }

  const std::string text = o.json ? FormatJson(report) : FormatTable(report);
  std::fputs(text.c_str(), out);
  std::fflush(out);
  return report;
}

}  // namespace inferd::bench
