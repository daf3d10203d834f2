// Time to first token of requests that share a long system prompt, with and
// without the engine's prefix cache, on one model file.
//
//   prefix_cache_bench [--threads 2] [--system-tokens 1000]
//                      [--user-tokens 24] [--requests 3] MODEL.gguf
//
// Per mode, one request primes the engine (with the cache on, its blocks
// stay cached), then `requests` requests with the same system prompt and
// each a different user turn run one after another. TTFT is the time from
// Engine::Add() to the step that samples the request's first token, on the
// calling thread (no server, no queueing); max_tokens is 1.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "backend/llm/engine.h"
#include "backend/llm/model.h"

namespace {

using Clock = std::chrono::steady_clock;
using inferd::llm::Engine;
using inferd::llm::FinishReason;
using inferd::llm::GenerationRequest;
using inferd::llm::Model;
using inferd::llm::StepEvent;

struct Options {
  int threads = 2;
  int system_tokens = 1000;
  int user_tokens = 24;
  int requests = 3;
  std::string model;
};

// Token ids from a fixed pseudo-random sequence named by `seed`.
std::vector<int32_t> Ids(int n, uint32_t seed, int32_t n_vocab) {
  std::vector<int32_t> ids;
  uint32_t x = seed * 2654435761u + 7u;
  for (int i = 0; i < n; ++i) {
    x = x * 1664525u + 1013904223u;
    ids.push_back(static_cast<int32_t>(300 + (x >> 8) % (n_vocab - 400)));
  }
  return ids;
}

struct Sample {
  double ttft_seconds = 0;
  int64_t cached_tokens = 0;
};

Sample TimeFirstToken(Engine& engine, GenerationRequest request) {
  const auto start = Clock::now();
  const auto id = engine.Add(std::move(request));
  if (!id.ok()) {
    std::fprintf(stderr, "%s\n", std::string(id.status().message()).c_str());
    std::exit(1);
  }
  Sample sample;
  std::vector<StepEvent> events;
  bool first = false;
  while (engine.active_sequences() > 0) {
    if (!engine.Step(&events).ok()) std::exit(1);
    for (const StepEvent& e : events) {
      if (e.token >= 0 && !first) {
        first = true;
        sample.ttft_seconds =
            std::chrono::duration<double>(Clock::now() - start).count();
      }
      if (e.finish != FinishReason::kNone) {
        sample.cached_tokens = e.timings.cached_prompt_tokens;
      }
    }
  }
  return sample;
}

// Median TTFT over the measured requests of one mode.
double Run(std::shared_ptr<const Model> model, const Options& o, bool cache) {
  const int32_t n_vocab = static_cast<int32_t>(model->config().n_vocab);
  const std::vector<int32_t> system = Ids(o.system_tokens, 1, n_vocab);
  Engine::Options eo;
  eo.threads = o.threads;
  eo.max_context = o.system_tokens + o.user_tokens + 16;
  eo.prefix_cache = cache;
  auto engine = Engine::Create(std::move(model), eo);
  if (!engine.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(engine.status().message()).c_str());
    std::exit(1);
  }
  std::vector<double> ttft;
  for (int r = 0; r <= o.requests; ++r) {
    GenerationRequest request;
    request.prompt = system;
    request.prompt[0] = 1;  // BOS
    const std::vector<int32_t> user = Ids(o.user_tokens, 100 + r, n_vocab);
    request.prompt.insert(request.prompt.end(), user.begin(), user.end());
    request.sampling.temperature = 0;
    request.max_tokens = 1;
    request.ignore_eos = true;
    const Sample s = TimeFirstToken(**engine, std::move(request));
    std::printf(
        "  prefix cache %-3s %s %d: TTFT %8.1f ms, %5lld of %d prompt tokens "
        "cached\n",
        cache ? "on" : "off", r == 0 ? "primer " : "request", r,
        s.ttft_seconds * 1e3, static_cast<long long>(s.cached_tokens),
        o.system_tokens + o.user_tokens);
    if (r > 0) ttft.push_back(s.ttft_seconds);
  }
  std::sort(ttft.begin(), ttft.end());
  return ttft[ttft.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    auto next_int = [&](int* out) {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      *out = std::atoi(argv[++i]);
    };
    if (std::strcmp(argv[i], "--threads") == 0) {
      next_int(&o.threads);
    } else if (std::strcmp(argv[i], "--system-tokens") == 0) {
      next_int(&o.system_tokens);
    } else if (std::strcmp(argv[i], "--user-tokens") == 0) {
      next_int(&o.user_tokens);
    } else if (std::strcmp(argv[i], "--requests") == 0) {
      next_int(&o.requests);
    } else {
      o.model = argv[i];
    }
  }
  if (o.model.empty() || o.threads < 1 || o.system_tokens < 1 ||
      o.user_tokens < 1 || o.requests < 1) {
    std::fprintf(stderr,
                 "usage: prefix_cache_bench [--threads N] [--system-tokens N] "
                 "[--user-tokens N] [--requests N] MODEL.gguf\n");
    return 2;
  }
  auto loaded = Model::Load(o.model);
  if (!loaded.ok()) {
    std::fprintf(stderr, "%s\n",
                 std::string(loaded.status().message()).c_str());
    return 1;
  }
  std::shared_ptr<const Model> model(*std::move(loaded));
  std::printf(
      "model %s, threads %d, system prompt %d tokens + user turn %d tokens, "
      "%d requests per mode\n",
      o.model.c_str(), o.threads, o.system_tokens, o.user_tokens, o.requests);
  const double off = Run(model, o, false);
  const double on = Run(model, o, true);
  std::printf(
      "median TTFT: %.1f ms without the prefix cache, %.1f ms with it: %.1fx "
      "lower\n",
      off * 1e3, on * 1e3, off / on);
  return 0;
}
