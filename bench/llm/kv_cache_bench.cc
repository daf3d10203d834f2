// Decode speed at a long context for each KV cache type, and the KV memory
// per token.
//
// For each model, KV type (f32, f16, q8_0) and context length, the cache of
// one sequence is filled with random keys and values for `context`
// positions (as a prompt would leave it, without the prompt's compute),
// then single-token decode steps at the following positions are timed:
// the attention over the whole context, plus the weights, per token. One
// untimed run first pages the weights in.
//
//   kv_cache_bench --threads 2 [--contexts 512,4096] [--steps 32]
//                  [--types f32,f16,q8_0] MODEL.gguf...

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "backend/llm/kernels.h"
#include "backend/llm/kv_cache.h"
#include "backend/llm/model.h"
#include "backend/llm/transformer.h"
#include "common/thread_pool.h"

namespace {

using Clock = std::chrono::steady_clock;
using inferd::ThreadPool;
using namespace inferd::llm;

// Best-of-3 decode tokens/s over `steps` steps after `context` positions.
double DecodeAt(const Model& model, ThreadPool& pool, GgmlType type,
                int64_t context, int steps) {
  const ModelConfig& c = model.config();
  const int64_t block = 16;
  const int64_t positions = context + steps;
  auto transformer = *Transformer::Create(
      &model, &pool, {.max_batch_tokens = 1, .max_context = positions});
  auto cache = *KvCache::Create({.n_layers = c.n_layers,
                                 .kv_dim = c.kv_dim(),
                                 .block_tokens = block,
                                 .num_blocks = (positions + block - 1) / block,
                                 .type = type,
                                 .head_dim = c.head_dim});
  SequenceKv seq;
  if (!cache->Reserve(seq, positions).ok()) std::abort();
  // Keys and values of the size real ones have after normalisation.
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> row(c.kv_dim());
  for (int64_t l = 0; l < c.n_layers; ++l) {
    for (int64_t p = 0; p < context; ++p) {
      for (float& v : row) v = normal(rng);
      cache->StoreKey(seq, l, p, row.data());
      for (float& v : row) v = normal(rng);
      cache->StoreValue(seq, l, p, row.data());
    }
  }
  seq.length = context;
  std::vector<float> logits(c.n_vocab);
  double best = 0;
  for (int rep = 0; rep < 3; ++rep) {
    seq.length = context;
    const auto start = Clock::now();
    for (int s = 0; s < steps; ++s) {
      BatchToken t{static_cast<int32_t>(300 + s),
                   static_cast<int32_t>(context + s), 0, true};
      SequenceKv* seqs[] = {&seq};
      if (!transformer->Forward({&t, 1}, seqs, cache.get(), logits.data())
               .ok()) {
        std::abort();
      }
    }
    const double seconds =
        std::chrono::duration<double>(Clock::now() - start).count();
    best = std::max(best, steps / seconds);
  }
  return best;
}

std::vector<std::string> Split(const char* text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) out.push_back(item);
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, steps = 32;
  std::vector<int64_t> contexts = {512, 4096};
  std::vector<GgmlType> types = {GgmlType::kF32, GgmlType::kF16,
                                 GgmlType::kQ8_0};
  std::vector<std::string> models;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--threads") == 0 && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--steps") == 0 && i + 1 < argc) {
      steps = std::atoi(argv[++i]);
    } else if (std::strcmp(argv[i], "--contexts") == 0 && i + 1 < argc) {
      contexts.clear();
      for (const std::string& c : Split(argv[++i])) {
        contexts.push_back(std::atoll(c.c_str()));
      }
    } else if (std::strcmp(argv[i], "--types") == 0 && i + 1 < argc) {
      types.clear();
      for (const std::string& t : Split(argv[++i])) {
        auto type = KvCache::ParseType(t);
        if (!type.ok()) {
          std::fprintf(stderr, "--types: %s %s\n", t.c_str(),
                       std::string(type.status().message()).c_str());
          return 2;
        }
        types.push_back(*type);
      }
    } else {
      models.push_back(argv[i]);
    }
  }
  std::printf("threads: %d, kernels: %s\n", threads, KernelsName());
  ThreadPool pool(threads - 1, /*spin_when_idle=*/true);  // as the engine
  for (const std::string& path : models) {
    auto loaded = Model::Load(path);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n",
                   std::string(loaded.status().message()).c_str());
      return 1;
    }
    const Model& model = **loaded;
    const ModelConfig& c = model.config();
    std::printf("\nmodel %s: %lld layers, kv_dim %lld, head_dim %lld\n",
                path.c_str(), static_cast<long long>(c.n_layers),
                static_cast<long long>(c.kv_dim()),
                static_cast<long long>(c.head_dim));
    DecodeAt(model, pool, GgmlType::kF32, 16, 4);  // page the weights in
    std::printf("%-5s %12s", "KV", "bytes/token");
    for (int64_t ctx : contexts) {
      std::printf("  %8s %6lld", "tok/s @", static_cast<long long>(ctx));
    }
    std::printf("\n");
    for (GgmlType type : types) {
      std::printf("%-5s %12lld", KvCache::TypeName(type),
                  static_cast<long long>(
                      KvCache::BytesPerToken(type, c.n_layers, c.kv_dim())));
      std::fflush(stdout);
      for (int64_t ctx : contexts) {
        std::printf("  %15.2f", DecodeAt(model, pool, type, ctx, steps));
        std::fflush(stdout);
      }
      std::printf("\n");
    }
  }
  return 0;
}
