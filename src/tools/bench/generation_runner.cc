#include "tools/bench/generation_runner.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <utility>
#include <vector>

#include "boost/asio/co_spawn.hpp"
#include "boost/asio/detached.hpp"
#include "boost/asio/io_context.hpp"
#include "common/strings.h"
#include "fmt/format.h"
#include "tools/bench/completion_requests.h"
#include "tools/bench/http_load_client.h"
#include "tools/bench/openai_chunk.h"
#include "tools/bench/sse_parser.h"

namespace inferd::bench {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

constexpr size_t kMaxQuotedBody = 300;
constexpr int kPreflightTokens = 4;

std::string Quote(std::string body) {
  while (!body.empty() && (body.back() == '\n' || body.back() == '\r')) {
    body.pop_back();
  }
  if (body.size() > kMaxQuotedBody) {
    body = body.substr(0, kMaxQuotedBody) + "...";
  }
  return body.empty() ? "(empty body)" : body;
}

// Counts shared with the progress line.
struct LevelCounters {
  std::atomic<int64_t> finished{0};
  std::atomic<int64_t> text_chunks{0};
};

// Sends one request and follows its stream to the end.
asio::awaitable<GenerationTrace> RunOne(HttpLoadClient& client,
                                        const std::string& target,
                                        const std::string& body,
                                        LevelCounters* counters) {
  GenerationTrace trace;
  SseParser parser;
  std::vector<SseEvent> events;
  auto fail = [&trace](std::string error, std::string detail) {
    trace.error = std::move(error);
    trace.error_detail = std::move(detail);
  };
  auto on_piece = [&](std::string_view piece, SteadyTime arrived) {
    if (!trace.ok()) return;  // the first failure is the one reported
    events.clear();
    if (absl::Status s = parser.Feed(piece, &events); !s.ok()) {
      return fail("bad_stream", std::string(s.message()));
    }
    for (const SseEvent& event : events) {
      if (event.type == "error") {
        return fail("stream_error", StreamErrorMessage(event.data));
      }
      absl::StatusOr<OpenAiChunk> chunk = ParseOpenAiChunk(event.data);
      if (!chunk.ok()) {
        return fail("bad_stream", std::string(chunk.status().message()));
      }
      if (!chunk->error.empty()) return fail("stream_error", chunk->error);
      if (chunk->text_choices > 0) {
        trace.text_chunks.push_back(arrived);
        if (counters != nullptr) ++counters->text_chunks;
      }
      if (chunk->completion_tokens >= 0) {
        trace.completion_tokens = chunk->completion_tokens;
      }
      if (chunk->prompt_tokens >= 0) trace.prompt_tokens = chunk->prompt_tokens;
      if (!chunk->finish_reason.empty()) {
        trace.finish_reason = chunk->finish_reason;
      }
    }
  };
  trace.start = std::chrono::steady_clock::now();
  RoundTripResult r =
      co_await client.PostStream(target, "application/json", body, on_piece);
  trace.end = std::chrono::steady_clock::now();
  if (r.status == 0) {
    fail(std::string(TransportErrorName(r.error)), r.detail);
  } else if (r.status < 200 || r.status >= 300) {
    fail(StrCat(r.status), Quote(std::move(r.body)));
  } else if (trace.ok() && r.body_cut_off) {
    fail(std::string(TransportErrorName(r.error)),
         StrCat("the stream broke off: ", r.detail));
  } else if (trace.ok() && trace.text_chunks.empty() &&
             trace.completion_tokens <= 0) {
    fail("no_text",
         "the 200 answer carried no generated text: is it an OpenAI-style "
         "event stream (data: {chunk} lines)?");
  }
  if (counters != nullptr) ++counters->finished;
  co_return trace;
}

std::string LevelProgressLine(int concurrency, int64_t total,
                              const LevelCounters& c, double seconds) {
  const int64_t chunks = c.text_chunks.load();
  return fmt::format(
      "concurrency {} | {}/{} requests done | {} text chunks | {:.1f} "
      "chunks/s | {:.0f}s",
      concurrency, c.finished.load(), total, chunks,
      seconds > 0 ? static_cast<double>(chunks) / seconds : 0.0, seconds);
}

}  // namespace

absl::StatusOr<GenerationReport> RunGenerationBench(const BenchOptions& o,
                                                    std::FILE* out,
                                                    std::FILE* err) {
  if (absl::Status s = ValidateBenchOptions(o); !s.ok()) return s;
  auto url = ParseTargetUrl(o.url);
  if (!url.ok()) return url.status();
  auto endpoints = ResolveEndpoints(url->host, url->port);
  if (!endpoints.ok()) return endpoints.status();

  CompletionRequestOptions request_options;
  request_options.chat = o.route == "chat";
  request_options.model = o.model;
  request_options.target =
      url->base_path + (!o.path.empty()        ? o.path
                        : request_options.chat ? "/v1/chat/completions"
                                               : "/v1/completions");
  request_options.prompt_tokens = o.prompt_tokens;
  if (!o.prompt_file.empty()) {
    auto words = ReadPromptWords(o.prompt_file);
    if (!words.ok()) return words.status();
    request_options.words = *std::move(words);
  }
  request_options.token_id_low = o.token_id_low;
  request_options.token_id_high = o.token_id_high;
  request_options.max_tokens = o.max_tokens;
  request_options.ignore_eos = o.ignore_eos;
  request_options.seed = o.seed;
  auto requests = CompletionRequests::Create(std::move(request_options));
  if (!requests.ok()) return requests.status();

  HttpLoadClient::Options client_options;
  client_options.host_header = StrCat(url->host, ":", url->port);
  client_options.headers = o.headers;
  client_options.timeout =
      std::chrono::duration_cast<std::chrono::steady_clock::duration>(
          absl::ToChronoNanoseconds(o.timeout));

  // The pre-flight request: request number -1, never used by a level.
  GenerationTrace preflight;
  {
    asio::io_context io;
    HttpLoadClient client(io.get_executor(), *endpoints, client_options);
    const std::string body =
        requests->Body(-1, std::min(kPreflightTokens, o.max_tokens));
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          preflight =
              co_await RunOne(client, requests->target(), body, nullptr);
        },
        asio::detached);
    io.run();
  }
  if (!preflight.ok()) {
    const std::string what = StrCat("POST ", requests->target(), ": ");
    const bool transport = preflight.error == "connect";
    if (transport) {
      return absl::UnavailableError(StrCat("cannot reach ", o.url, ": ",
                                           preflight.error, " (",
                                           preflight.error_detail, ")"));
    }
    return absl::FailedPreconditionError(StrCat("the first request failed (",
                                                what, preflight.error, ") ",
                                                preflight.error_detail));
  }

  GenerationReport report;
  report.url = o.url;
  report.path = requests->target();
  report.model = o.model;
  report.request = requests->description();
  report.chat = requests->options().chat;
  report.prompt_tokens = o.prompt_tokens;
  report.max_tokens = o.max_tokens;
  report.ignore_eos = o.ignore_eos;

  std::string levels_text;
  for (int c : o.concurrency) {
    levels_text += StrCat(levels_text.empty() ? "" : ",", c);
  }
  std::fprintf(
      err,
      "inferd bench: POST %s%s\n  request: %s\n  server: %s\n"
      "  concurrency %s, %s\n",
      o.url.c_str(), requests->target().c_str() + url->base_path.size(),
      requests->description().c_str(),
      preflight.prompt_tokens >= 0
          ? StrCat("counts the prompt as ", preflight.prompt_tokens, " tokens")
                .c_str()
          : "sent no usage",
      levels_text.c_str(),
      o.num_requests > 0 ? StrCat(o.num_requests, " requests per level").c_str()
                         : "2 requests per stream");
  std::fflush(err);

  const bool live = o.progress && isatty(fileno(err)) == 1;
  int64_t next_index = 0;  // request numbers run on across levels
  for (int concurrency : o.concurrency) {
    const int64_t total =
        o.num_requests > 0 ? o.num_requests : 2 * int64_t{concurrency};
    std::vector<GenerationTrace> traces(static_cast<size_t>(total));
    LevelCounters counters;
    std::atomic<int64_t> next{0};
    asio::io_context io;
    const int64_t workers = std::min<int64_t>(concurrency, total);
    for (int64_t w = 0; w < workers; ++w) {
      asio::co_spawn(
          io,
          [&, first = next_index]() -> asio::awaitable<void> {
            HttpLoadClient client(io.get_executor(), *endpoints,
                                  client_options);
            for (int64_t i = next++; i < total; i = next++) {
              traces[static_cast<size_t>(i)] =
                  co_await RunOne(client, requests->target(),
                                  requests->Body(first + i), &counters);
            }
          },
          asio::detached);
    }
    const auto started = std::chrono::steady_clock::now();
    std::vector<std::thread> threads;
    for (int t = 0; t < o.io_threads; ++t) {
      threads.emplace_back([&io] { io.run(); });
    }
    while (live && counters.finished.load() < total) {
      const double seconds = std::chrono::duration<double>(
                                 std::chrono::steady_clock::now() - started)
                                 .count();
      std::fprintf(
          err, "\r\033[K%s",
          LevelProgressLine(concurrency, total, counters, seconds).c_str());
      std::fflush(err);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
    }
    for (std::thread& thread : threads) thread.join();
    if (live) {
      std::fputs("\r\033[K", err);
      std::fflush(err);
    }
    next_index += total;
    report.levels.push_back(
        SummarizeGenerationLevel(concurrency, traces, o.max_tokens));
  }

  const std::string text =
      o.json ? FormatGenerationJson(report) : FormatGenerationTable(report);
  std::fputs(text.c_str(), out);
  std::fflush(out);
  return report;
}

}  // namespace inferd::bench
