// Writes a llama-shaped model with random weights for speed measurements
// (speed does not depend on the values): by default ~0.49B parameters,
// dim 1024, 28 layers, 16 heads / 4 KV heads, FFN 4096, vocab 32000.
//
//   make_bench_model --type T --out FILE.gguf [--arch llama|qwen3]
//       [--layers N] [--dim N] [--ffn N] [--heads N] [--kv-heads N]
//       [--head-dim N] [--vocab N]
// qwen3 adds its per-head RMS norms on q and k (attn_q_norm, attn_k_norm);
// --head-dim (default dim / heads) sets attention.key_length.
// T: f32 f16 bf16 q8_0 q4_0 q5_0 q5_1 iq4_nl q4_k q5_k q6_k, or q4_k_m
// (llama.cpp's mix of Q4_K and Q6_K).

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/llm/ggml_type.h"
#include "backend/llm/gguf_writer.h"
#include "backend/llm/testing/quantize.h"

namespace {

using inferd::llm::GgmlType;
using inferd::llm::GgufWriter;

// Fast deterministic pseudo-random floats in [-scale, scale).
struct Rng {
  uint64_t s;
  float Next(float scale) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return (static_cast<float>(s >> 40) / 16777216.0f * 2 - 1) * scale;
  }
};

std::string Encode(GgmlType type, int64_t cols, int64_t rows, uint64_t seed) {
  Rng rng{seed * 0x9e3779b97f4a7c15ull + 1};
  const float scale = 1.0f / std::sqrt(static_cast<float>(cols));
  std::string out;
  out.reserve(inferd::llm::RowBytes(type, cols) * rows);
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = rng.Next(scale);
    out += inferd::llm::Quantize(type, row.data(), cols);
  }
  return out;
}

// llama.cpp's Q4_K_M mix, as its quantizer picks it: Q6_K for the output
// matrix and for attn_v / ffn_down in the first and last eighth of the
// layers and every third layer between, Q4_K elsewhere.
bool MoreBits(int64_t layer, int64_t layers) {
  return layer < layers / 8 || layer >= 7 * layers / 8 ||
         (layer - layers / 8) % 3 == 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string type_name = "f16", out, arch = "llama";
  int64_t dim = 1024, layers = 28, heads = 16, kv_heads = 4, ffn = 4096,
          vocab = 32000, head_dim = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--type")
      type_name = argv[i + 1];
    else if (a == "--out")
      out = argv[i + 1];
    else if (a == "--layers")
      layers = std::stoll(argv[i + 1]);
    else if (a == "--dim")
      dim = std::stoll(argv[i + 1]);
    else if (a == "--ffn")
      ffn = std::stoll(argv[i + 1]);
    else if (a == "--heads")
      heads = std::stoll(argv[i + 1]);
    else if (a == "--kv-heads")
      kv_heads = std::stoll(argv[i + 1]);
    else if (a == "--vocab")
      vocab = std::stoll(argv[i + 1]);
    else if (a == "--head-dim")
      head_dim = std::stoll(argv[i + 1]);
    else if (a == "--arch")
      arch = argv[i + 1];
  }
  if (arch != "llama" && arch != "qwen3") {
    std::fprintf(stderr, "unknown --arch %s (llama or qwen3)\n", arch.c_str());
    return 2;
  }
  if (head_dim <= 0) head_dim = dim / heads;
  const bool q4_k_m = type_name == "q4_k_m";
  GgmlType type = GgmlType::kQ4_K;
  if (!q4_k_m) {
    bool found = false;
    for (uint32_t id = 0; id < 64 && !found; ++id) {
      const inferd::llm::GgmlTypeInfo* info = inferd::llm::FindGgmlType(id);
      if (info == nullptr) continue;
      std::string lower(info->name);
      for (char& c : lower) c = static_cast<char>(std::tolower(c));
      if (lower == type_name) {
        type = static_cast<GgmlType>(id);
        found = inferd::llm::CanQuantize(type);
      }
    }
    if (!found) {
      std::fprintf(stderr, "unknown --type %s\n", type_name.c_str());
      return 2;
    }
  }
  if (out.empty()) {
    std::fprintf(stderr, "usage: make_bench_model --type T --out FILE\n");
    return 2;
  }
  GgufWriter w;
  const std::string p = arch + ".";
  w.AddString("general.architecture", arch);
  w.AddString("general.name", "inferd-bench-random");
  w.AddUint32(p + "context_length", 4096);
  w.AddUint32(p + "embedding_length", dim);
  w.AddUint32(p + "block_count", layers);
  w.AddUint32(p + "feed_forward_length", ffn);
  w.AddUint32(p + "attention.head_count", heads);
  w.AddUint32(p + "attention.head_count_kv", kv_heads);
  w.AddUint32(p + "attention.key_length", head_dim);
  w.AddUint32(p + "attention.value_length", head_dim);
  w.AddFloat32(p + "attention.layer_norm_rms_epsilon", 1e-5f);
  w.AddFloat32(p + "rope.freq_base", arch == "qwen3" ? 1000000.0f : 10000.0f);
  std::vector<std::string> tokens = {"<unk>", "<s>", "</s>"};
  std::vector<int32_t> types = {2, 3, 3};
  char name[16];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(name, sizeof(name), "<0x%02X>", b);
    tokens.push_back(name);
    types.push_back(6);
  }
  while (static_cast<int64_t>(tokens.size()) < vocab) {
    tokens.push_back("t" + std::to_string(tokens.size()));
    types.push_back(1);
  }
  w.AddString("tokenizer.ggml.model", "llama");
  w.AddStringArray("tokenizer.ggml.tokens", tokens);
  w.AddFloat32Array("tokenizer.ggml.scores", std::vector<float>(vocab, 0.0f));
  w.AddInt32Array("tokenizer.ggml.token_type", types);
  uint64_t seed = 1;
  auto matrix = [&](const std::string& n, int64_t cols, int64_t rows,
                    bool more_bits = false) {
    const uint64_t s = seed++;
    const GgmlType t = q4_k_m && more_bits ? GgmlType::kQ6_K : type;
    w.AddTensor(n, t, {cols, rows}, [=](std::string* data) {
      *data = Encode(t, cols, rows, s);
    });
  };
  auto ones = [&](const std::string& n, int64_t len) {
    std::string bytes(len * 4, '\0');
    for (int64_t i = 0; i < len; ++i) {
      const float one = 1.0f;
      std::memcpy(&bytes[i * 4], &one, 4);
    }
    w.AddTensorBytes(n, GgmlType::kF32, {len}, bytes);
  };
  matrix("token_embd.weight", dim, vocab);
  ones("output_norm.weight", dim);
  matrix("output.weight", dim, vocab, true);
  for (int64_t l = 0; l < layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    ones(b + "attn_norm.weight", dim);
    matrix(b + "attn_q.weight", dim, heads * head_dim);
    matrix(b + "attn_k.weight", dim, kv_heads * head_dim);
    matrix(b + "attn_v.weight", dim, kv_heads * head_dim, MoreBits(l, layers));
    matrix(b + "attn_output.weight", heads * head_dim, dim);
    if (arch == "qwen3") {
      ones(b + "attn_q_norm.weight", head_dim);
      ones(b + "attn_k_norm.weight", head_dim);
    }
    ones(b + "ffn_norm.weight", dim);
    matrix(b + "ffn_gate.weight", dim, ffn);
    matrix(b + "ffn_up.weight", dim, ffn);
    matrix(b + "ffn_down.weight", ffn, dim, MoreBits(l, layers));
  }
  if (absl::Status s = w.WriteFile(out); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
