// Writes a llama-shaped model with random weights for speed measurements
// (speed does not depend on the values): by default ~0.49B parameters,
// dim 1024, 28 layers, 16 heads / 4 KV heads, FFN 4096, vocab 32000.
//
//   make_bench_model --type f16|q8_0|q4_0|f32 --out FILE.gguf [--layers N]

#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend/llm/ggml_type.h"
#include "backend/llm/gguf_writer.h"
#include "tensor/half.h"

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
  std::string out(inferd::llm::RowBytes(type, cols) * rows, '\0');
  char* p = out.data();
  std::vector<float> row(cols);
  for (int64_t r = 0; r < rows; ++r) {
    for (float& v : row) v = rng.Next(scale);
    switch (type) {
      case GgmlType::kF32:
        std::memcpy(p, row.data(), cols * 4);
        p += cols * 4;
        break;
      case GgmlType::kF16:
        for (float v : row) {
          const uint16_t h = inferd::FloatToHalf(v);
          std::memcpy(p, &h, 2);
          p += 2;
        }
        break;
      case GgmlType::kQ8_0:
        for (int64_t b = 0; b < cols / 32; ++b) {
          inferd::llm::BlockQ8_0 blk;
          float amax = 0;
          for (int j = 0; j < 32; ++j)
            amax = std::fmax(amax, std::fabs(row[b * 32 + j]));
          const float d = amax / 127;
          blk.d = inferd::FloatToHalf(d);
          for (int j = 0; j < 32; ++j) {
            blk.qs[j] = static_cast<int8_t>(
                std::nearbyint(d > 0 ? row[b * 32 + j] / d : 0));
          }
          std::memcpy(p, &blk, sizeof(blk));
          p += sizeof(blk);
        }
        break;
      case GgmlType::kQ4_0:
        for (int64_t b = 0; b < cols / 32; ++b) {
          inferd::llm::BlockQ4_0 blk;
          const float d = scale / 8;
          blk.d = inferd::FloatToHalf(d);
          for (int j = 0; j < 16; ++j) {
            auto q = [&](int k) {
              int v = static_cast<int>(row[b * 32 + k] / d + 8.5f);
              return static_cast<uint8_t>(v < 0 ? 0 : v > 15 ? 15 : v);
            };
            blk.qs[j] = q(j) | (q(j + 16) << 4);
          }
          std::memcpy(p, &blk, sizeof(blk));
          p += sizeof(blk);
        }
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::string type_name = "f16", out;
  int64_t dim = 1024, layers = 28, heads = 16, kv_heads = 4, ffn = 4096,
          vocab = 32000;
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
  }
  GgmlType type;
  if (type_name == "f32")
    type = GgmlType::kF32;
  else if (type_name == "f16")
    type = GgmlType::kF16;
  else if (type_name == "q8_0")
    type = GgmlType::kQ8_0;
  else if (type_name == "q4_0")
    type = GgmlType::kQ4_0;
  else {
    std::fprintf(stderr, "unknown --type %s\n", type_name.c_str());
    return 2;
  }
  if (out.empty()) {
    std::fprintf(stderr, "usage: make_bench_model --type T --out FILE\n");
    return 2;
  }
  GgufWriter w;
  w.AddString("general.architecture", "llama");
  w.AddString("general.name", "inferd-bench-random");
  w.AddUint32("llama.context_length", 4096);
  w.AddUint32("llama.embedding_length", dim);
  w.AddUint32("llama.block_count", layers);
  w.AddUint32("llama.feed_forward_length", ffn);
  w.AddUint32("llama.attention.head_count", heads);
  w.AddUint32("llama.attention.head_count_kv", kv_heads);
  w.AddFloat32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  w.AddFloat32("llama.rope.freq_base", 10000.0f);
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
  auto matrix = [&](const std::string& n, int64_t cols, int64_t rows) {
    const uint64_t s = seed++;
    w.AddTensor(n, type, {cols, rows}, [=](std::string* data) {
      *data = Encode(type, cols, rows, s);
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
  const int64_t head_dim = dim / heads;
  matrix("token_embd.weight", dim, vocab);
  ones("output_norm.weight", dim);
  matrix("output.weight", dim, vocab);
  for (int64_t l = 0; l < layers; ++l) {
    const std::string b = "blk." + std::to_string(l) + ".";
    ones(b + "attn_norm.weight", dim);
    matrix(b + "attn_q.weight", dim, dim);
    matrix(b + "attn_k.weight", dim, kv_heads * head_dim);
    matrix(b + "attn_v.weight", dim, kv_heads * head_dim);
    matrix(b + "attn_output.weight", dim, dim);
    ones(b + "ffn_norm.weight", dim);
    matrix(b + "ffn_gate.weight", dim, ffn);
    matrix(b + "ffn_up.weight", dim, ffn);
    matrix(b + "ffn_down.weight", ffn, dim);
  }
  if (absl::Status s = w.WriteFile(out); !s.ok()) {
    std::fprintf(stderr, "%s\n", std::string(s.message()).c_str());
    return 1;
  }
  return 0;
}
