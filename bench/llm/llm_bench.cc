// Speed of the LLM engine next to the machine's limits, in one run:
//  - read bandwidth (streaming sum over 1 GiB, > L3) -> decode bound
//    (weight bytes per token / bandwidth), measured again right before each
//    decode round and compared round by round;
//  - OpenBLAS sgemm GFLOP/s at a prompt-shaped product -> prompt bound;
//  - single-sequence decode and prompt tokens/s per model file;
//  - aggregate decode tokens/s with 1, 4 and 16 sequences batched.
//
//   llm_bench --threads 2 MODEL.gguf [MODEL.gguf ...]
//   (--decode-only or --prompt-only: one part; --sequences N: the aggregate
//   decode with N sequences only)

#include <cblas.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "backend/llm/engine.h"
#include "backend/llm/kernels.h"
#include "backend/llm/model.h"
#include "common/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
using inferd::ThreadPool;
using inferd::llm::Engine;
using inferd::llm::GenerationRequest;
using inferd::llm::Model;
using inferd::llm::SequenceTimings;
using inferd::llm::StepEvent;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Read bandwidth over a 1 GiB buffer (far beyond L3): a streaming sum, with
// and without software prefetch (the decode kernels prefetch ahead). The
// buffer is filled once, so a measurement can sit right beside each decode
// run: this host's bandwidth drifts by up to 2x within minutes, and a bound
// taken minutes away from the decode it judges says little about it.
class ReadBandwidth {
 public:
  explicit ReadBandwidth(int threads)
      : buf_(new float[kFloats]), pool_(threads - 1, /*spin_when_idle=*/true) {
    pool_.ParallelFor(kTasks, [&](int t, int) {
      std::fill(buf_.get() + kFloats / kTasks * t,
                buf_.get() + kFloats / kTasks * (t + 1), 1.0f);
    });
  }

  // Best GB/s over `reps` passes per prefetch distance.
  double Measure(int reps) {
    double best = 0;
    for (int prefetch_floats : {0, 256, 1024, 2048}) {
      for (int rep = 0; rep < reps; ++rep) {
        const auto start = Clock::now();
        pool_.ParallelFor(kTasks, [&](int t, int) {
          sums_[t] = Sum(buf_.get() + kFloats / kTasks * t, kFloats / kTasks,
                         prefetch_floats);
        });
        best = std::max(
            best, kFloats * sizeof(float) / Seconds(start, Clock::now()) / 1e9);
      }
    }
    return best;
  }

 private:
  static constexpr size_t kFloats = (size_t{1} << 30) / sizeof(float);
  static constexpr int kTasks = 256;

  static float Sum(const float* p, size_t m, int prefetch_floats) {
#if defined(__AVX2__)
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps(),
           a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (size_t i = 0; i < m; i += 32) {
      if (prefetch_floats > 0) {
        _mm_prefetch(reinterpret_cast<const char*>(p + i + prefetch_floats),
                     _MM_HINT_T0);
        _mm_prefetch(
            reinterpret_cast<const char*>(p + i + 16 + prefetch_floats),
            _MM_HINT_T0);
      }
      a0 = _mm256_add_ps(a0, _mm256_loadu_ps(p + i));
      a1 = _mm256_add_ps(a1, _mm256_loadu_ps(p + i + 8));
      a2 = _mm256_add_ps(a2, _mm256_loadu_ps(p + i + 16));
      a3 = _mm256_add_ps(a3, _mm256_loadu_ps(p + i + 24));
    }
    float out[8];
    _mm256_storeu_ps(
        out, _mm256_add_ps(_mm256_add_ps(a0, a1), _mm256_add_ps(a2, a3)));
    return out[0];
#else
    float s = 0;
    for (size_t i = 0; i < m; ++i) s += p[i];
    return s;
#endif
  }

  std::unique_ptr<float[]> buf_;
  ThreadPool pool_;
  float sums_[kTasks] = {};
};

double SgemmGflops(int threads, int m, int n, int k) {
  openblas_set_num_threads(threads);
  std::vector<float> a(size_t(m) * k, 0.5f), b(size_t(n) * k, 0.25f),
      c(size_t(m) * n);
  double best = 0;
  for (int rep = 0; rep < 8; ++rep) {
    const auto start = Clock::now();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, m, n, k, 1.0f,
                a.data(), k, b.data(), k, 0.0f, c.data(), n);
    best = std::max(best, 2.0 * m * n * k / Seconds(start, Clock::now()) / 1e9);
  }
  return best;
}

GenerationRequest Request(int prompt_len, int max_tokens, int salt) {
  GenerationRequest r;
  for (int i = 0; i < prompt_len; ++i)
    r.prompt.push_back(300 + (i * 7 + salt * 131) % 20000);
  r.prompt[0] = 1;
  r.sampling.temperature = 0;
  r.max_tokens = max_tokens;
  r.ignore_eos = true;
  return r;
}

// `request` alone on a fresh engine, run to its end: its timings.
SequenceTimings RunAlone(std::shared_ptr<const Model> model,
                         const Engine::Options& options,
                         GenerationRequest request) {
  auto engine = *Engine::Create(std::move(model), options);
  (void)*engine->Add(std::move(request));
  std::vector<StepEvent> events;
  SequenceTimings timings;
  while (engine->active_sequences() > 0) {
    (void)engine->Step(&events);
    for (const StepEvent& e : events) {
      if (e.finish != inferd::llm::FinishReason::kNone) timings = e.timings;
    }
  }
  return timings;
}

// Decode tokens/s over the steps where all `n` sequences are generating.
double AggregateDecode(std::shared_ptr<const Model> model, int threads, int n,
                       int tokens) {
  auto engine = *Engine::Create(model, {.threads = threads,
                                        .max_batch_tokens = 256,
                                        .max_context = 512,
                                        .kv_cache_tokens = 512 * 16});
  for (int s = 0; s < n; ++s) (void)*engine->Add(Request(8, tokens, s));
  std::vector<StepEvent> events;
  // One step prefills every prompt (8 x n <= 256 tokens) and samples each
  // sequence's first token; the timed steps after it are pure decode.
  (void)engine->Step(&events);
  int64_t generated = 0;
  const auto start = Clock::now();
  while (engine->active_sequences() > 0) {
    (void)engine->Step(&events);
    for (const StepEvent& e : events) generated += e.token >= 0;
  }
  return generated / Seconds(start, Clock::now());
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2;
  bool sgemm_only = false;
  bool prompt_only = false;  // pp128 only: quick A/B runs of the GEMM
  bool decode_only = false;  // decode and aggregates only: A/B runs of decode
  std::vector<int> batch_sizes = {1, 4, 16};  // --sequences N: only N
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--sgemm-only") == 0) {
      sgemm_only = true;
    } else if (std::strcmp(argv[i], "--prompt-only") == 0) {
      prompt_only = true;
    } else if (std::strcmp(argv[i], "--decode-only") == 0) {
      decode_only = true;
    } else if (std::strcmp(argv[i], "--sequences") == 0 && i + 1 < argc) {
      batch_sizes = {std::atoi(argv[++i])};
    } else {
      models.push_back(argv[i]);
    }
  }
  std::printf("threads: %d, kernels: %s, OpenBLAS core: %s\n", threads,
              inferd::llm::KernelsName(), openblas_get_corename());
  if (sgemm_only) {
    std::printf(
        "OpenBLAS sgemm: %.1f GFLOP/s (128x4096x1024), %.1f GFLOP/s "
        "(1024^3)\n",
        SgemmGflops(threads, 128, 4096, 1024),
        SgemmGflops(threads, 1024, 1024, 1024));
    return 0;
  }
  const bool peers = !prompt_only && !decode_only;
  std::unique_ptr<ReadBandwidth> bandwidth;
  if (peers) {
    bandwidth = std::make_unique<ReadBandwidth>(threads);
    std::printf("read bandwidth: %.2f GB/s (1 GiB streaming sum)\n",
                bandwidth->Measure(3));
  }
  const double sgemm_prompt = peers ? SgemmGflops(threads, 128, 4096, 1024) : 0;
  const double sgemm_square =
      peers ? SgemmGflops(threads, 1024, 1024, 1024) : 0;
  if (peers) {
    std::printf(
        "OpenBLAS sgemm: %.1f GFLOP/s (128x4096x1024), %.1f GFLOP/s "
        "(1024^3)\n",
        sgemm_prompt, sgemm_square);
  }
  for (const std::string& path : models) {
    auto loaded = Model::Load(path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n",
                   std::string(loaded.status().message()).c_str());
      return 1;
    }
    std::shared_ptr<const Model> model(*std::move(loaded));
    const auto& c = model->config();
    const double weight_gb = model->weight_bytes_per_token() / 1e9;
    int64_t layer_params = 0;
    for (const auto& L : model->layers()) {
      for (const auto* w :
           {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
        layer_params += w->rows * w->cols;
      }
    }
    const int64_t params = layer_params + 2 * c.n_vocab * c.dim;
    std::printf("\nmodel %s: %.3fB params, %.3f GB of weights read per token\n",
                path.c_str(), params / 1e9, weight_gb);
    // Warm the page cache / mapping once.
    (void)RunAlone(model, {.threads = threads, .max_context = 512},
                   Request(4, 2, 0));
    // Prompt processing: 128 tokens in one batch.
    if (!decode_only) {
      double pp_best = 0;
      for (int rep = 0; rep < 3; ++rep) {
        const SequenceTimings t = RunAlone(
            model,
            {.threads = threads, .max_batch_tokens = 128, .max_context = 512},
            Request(128, 1, rep));
        pp_best = std::max(pp_best, t.prompt_tokens_per_second());
      }
      if (prompt_only) {
        std::printf("prompt (128 tokens): %.1f tokens/s\n", pp_best);
        continue;
      }
      // The peer figures again, right beside this model's runs, so both see
      // the same machine conditions.
      const double sgemm_here =
          std::max(sgemm_prompt, SgemmGflops(threads, 128, 4096, 1024));
      const double pp_gflops = pp_best * 2.0 * layer_params / 1e9;
      std::printf(
          "prompt (128 tokens): %.1f tokens/s = %.1f GFLOP/s = %.0f%% of "
          "sgemm (%.1f GFLOP/s)\n",
          pp_best, pp_gflops, 100 * pp_gflops / sgemm_here, sgemm_here);
    }
    // Single-sequence decode. Without --decode-only each round measures the
    // read bandwidth right before its decode run, and the share of the
    // bound is that round's decode against that round's bandwidth: the
    // median and range over the rounds.
    const int rounds = bandwidth ? 5 : 2;
    double decode_best = 0;
    std::vector<double> shares;
    for (int rep = 0; rep < rounds; ++rep) {
      const double bw = bandwidth ? bandwidth->Measure(1) : 0;
      const SequenceTimings t = RunAlone(
          model, {.threads = threads, .max_context = 512}, Request(8, 65, rep));
      const double tps = t.decode_tokens_per_second();
      decode_best = std::max(decode_best, tps);
      if (bandwidth) shares.push_back(tps * weight_gb / bw);
    }
    std::printf("decode (1 sequence, 64 tokens): %.2f tokens/s", decode_best);
    if (bandwidth) {
      std::sort(shares.begin(), shares.end());
      std::printf(
          "; %.0f%% of bound (%.2f GB/s effective; median of %d rounds, each "
          "decode against the bandwidth measured right before it; range "
          "%.0f-%.0f%%)",
          100 * shares[shares.size() / 2], decode_best * weight_gb, rounds,
          100 * shares.front(), 100 * shares.back());
    }
    std::printf("\n");
    for (int n : batch_sizes) {
      const double agg = AggregateDecode(model, threads, n, 32);
      std::printf("aggregate decode, %2d sequences: %.2f tokens/s\n", n, agg);
    }
  }
  return 0;
}
