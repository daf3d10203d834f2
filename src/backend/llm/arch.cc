#include "backend/llm/arch.h"

#include <cmath>
#include <string>
#include <utility>

#include "backend/llm/encoder_model.h"
#include "backend/llm/model.h"
#include "common/strings.h"

namespace inferd::llm {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

struct Traits {
  const char* name;
  bool rope_neox;
  bool qkv_bias;
  bool qk_norm;
  bool gemma;  // embedding scale, GeGLU, post-norms, soft-caps
  // Sliding layers when a window is set: 0, every layer; n, layer l when
  // l % n < n - 1 (gemma2: even layers; gemma3: five of six).
  int swa_pattern;
};

constexpr Traits kArchitectures[] = {
    {"llama", false, false, false, false, 0},
    {"qwen2", true, true, false, false, 0},
    {"qwen3", true, false, true, false, 0},
    {"gemma2", true, false, false, true, 2},
    {"gemma3", true, false, true, true, 6},
    {"phi3", true, false, false, false, 0},
};

absl::StatusOr<int64_t> RequiredInt(const GgufFile& f, const std::string& key) {
  absl::StatusOr<uint64_t> v = f.GetUint(key);
  if (!v.ok()) return v.status();
  if (*v == 0 || *v > (1u << 30)) {
    return Invalid(StrCat("metadata \"", key, "\" = ", *v, " is out of range"));
  }
  return static_cast<int64_t>(*v);
}

absl::Status OptionalFloat(const GgufFile& f, const std::string& key,
                           float* out) {
  absl::StatusOr<double> v = f.GetFloatOr(key, *out);
  if (!v.ok()) return v.status();
  if (!std::isfinite(*v) || *v < 0) {
    return Invalid(StrCat("metadata \"", key, "\" = ", *v,
                          " must be a finite non-negative number"));
  }
  *out = static_cast<float>(*v);
  return absl::OkStatus();
}

}  // namespace

const char* SupportedArchitectures() {
  return "llama, qwen2, qwen3, gemma2, gemma3, phi3";
}

absl::Status ReadArchitecture(const GgufFile& f, ModelConfig* config) {
  ModelConfig& c = *config;
  absl::StatusOr<std::string_view> arch = f.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  c.arch = std::string(*arch);
  const Traits* traits = nullptr;
  for (const Traits& t : kArchitectures) {
    if (c.arch == t.name) traits = &t;
  }
  if (traits == nullptr && IsEncoderArchitecture(c.arch)) {
    return Invalid(StrCat("architecture \"", c.arch,
                          "\" is an embedding model (an encoder): it does not "
                          "generate text; serve it for /v1/embeddings"));
  }
  if (traits == nullptr) {
    return Invalid(StrCat("unsupported architecture \"", c.arch,
                          "\" (supported: ", SupportedArchitectures(), ")"));
  }
  c.rope_neox = traits->rope_neox;
  c.qkv_bias = traits->qkv_bias;
  c.qk_norm = traits->qk_norm;

  const std::string p = c.arch + ".";
  for (auto [key, out] :
       {std::pair<const char*, int64_t*>{"embedding_length", &c.dim},
        {"block_count", &c.n_layers},
        {"feed_forward_length", &c.ffn_dim},
        {"attention.head_count", &c.n_heads}}) {
    absl::StatusOr<int64_t> v = RequiredInt(f, p + key);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  // Every layer has tensors of its own: a block count beyond the file's
  // tensors is a corrupt header, refused before anything is sized by it.
  if (c.n_layers <= 0 ||
      c.n_layers > static_cast<int64_t>(f.tensors().size())) {
    return Invalid(StrCat("metadata \"", p, "block_count\" = ", c.n_layers,
                          " is out of range for a file of ",
                          f.tensors().size(), " tensors"));
  }
  auto kv = f.GetUintOr(p + "attention.head_count_kv", c.n_heads);
  auto ctx = f.GetUintOr(p + "context_length", 2048);
  if (!kv.ok()) return kv.status();
  if (!ctx.ok()) return ctx.status();
  c.n_kv_heads = static_cast<int64_t>(*kv);
  c.context_length = static_cast<int64_t>(*ctx);
  if (c.context_length == 0 || c.context_length > (1 << 24)) {
    return Invalid(StrCat("metadata \"", p, "context_length\" = ",
                          c.context_length, " is out of range"));
  }
  if (c.n_kv_heads == 0 || c.n_heads % c.n_kv_heads != 0) {
    return Invalid(StrCat("attention.head_count ", c.n_heads,
                          " is not a multiple of head_count_kv ",
                          c.n_kv_heads));
  }
  auto key_len = f.GetUintOr(p + "attention.key_length", c.dim / c.n_heads);
  if (!key_len.ok()) return key_len.status();
  c.head_dim = static_cast<int64_t>(*key_len);
  if (c.head_dim == 0 || c.head_dim % 2 != 0 || c.head_dim > 1024) {
    return Invalid(StrCat("head dimension ", c.head_dim, " must be even"));
  }
  auto value_len = f.GetUintOr(p + "attention.value_length", c.head_dim);
  if (!value_len.ok()) return value_len.status();
  if (static_cast<int64_t>(*value_len) != c.head_dim) {
    return Invalid(StrCat("attention.value_length ", *value_len,
                          " differs from attention.key_length ", c.head_dim));
  }
  auto rope_dims = f.GetUintOr(p + "rope.dimension_count", c.head_dim);
  auto base = f.GetFloatOr(p + "rope.freq_base", 10000.0);
  auto eps = f.GetFloatOr(p + "attention.layer_norm_rms_epsilon", 1e-5);
  if (!rope_dims.ok()) return rope_dims.status();
  if (!base.ok()) return base.status();
  if (!eps.ok()) return eps.status();
  c.rope_dims = static_cast<int64_t>(*rope_dims);
  if (c.rope_dims == 0 || c.rope_dims > c.head_dim || c.rope_dims % 2 != 0) {
    return Invalid(StrCat("rope.dimension_count ", c.rope_dims,
                          " must be even and at most the head dimension ",
                          c.head_dim));
  }
  if (!(*base > 1.0) || !std::isfinite(*base)) {
    return Invalid(StrCat("rope.freq_base ", *base, " must exceed 1"));
  }
  c.rope_base = static_cast<float>(*base);
  c.rms_eps = static_cast<float>(*eps);
  absl::StatusOr<RopeScaling> scaling =
      ReadRopeScaling(f, p, c.context_length);
  if (!scaling.ok()) return scaling.status();
  c.rope_scaling = *scaling;

  // Sliding-window attention.
  auto window = f.GetUintOr(p + "attention.sliding_window", 0);
  if (!window.ok()) return window.status();
  c.sliding_window = static_cast<int64_t>(
      std::min<uint64_t>(*window, static_cast<uint64_t>(c.context_length)));
  c.sliding.assign(c.n_layers, false);
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const int n = traits->swa_pattern;
    c.sliding[l] = n == 0 || l % n < n - 1;
  }

  if (c.arch == "gemma2") {  // llama.cpp's defaults for files without keys
    c.sliding_window = f.Find(p + "attention.sliding_window") != nullptr
                           ? c.sliding_window
                           : std::min<int64_t>(4096, c.context_length);
    c.attn_softcap = 50.0f;
    c.final_softcap = 30.0f;
  }
  if (traits->gemma) {
    c.embed_scale = std::sqrt(static_cast<float>(c.dim));
    c.ffn_activation = ModelConfig::Activation::kGeluTanh;
    c.post_norms = true;
    // llama.cpp's rule: the 27B models scale queries by 1/sqrt(dim/heads),
    // the others by 1/sqrt(head_dim); GGUF has no key for it.
    const bool big = (c.arch == "gemma2" && c.n_layers == 46) ||
                     (c.arch == "gemma3" && c.n_layers == 62);
    const float scalar = big ? static_cast<float>(c.dim) / c.n_heads
                             : static_cast<float>(c.head_dim);
    c.attn_scale = 1.0f / std::sqrt(scalar);
    for (auto [key, out] :
         {std::pair<const char*, float*>{"attn_logit_softcapping",
                                         &c.attn_softcap},
          {"final_logit_softcapping", &c.final_softcap}}) {
      if (absl::Status s = OptionalFloat(f, p + key, out); !s.ok()) return s;
    }
    if (c.arch == "gemma3") {
      c.swa_rope_unscaled = true;
      c.rope_base_swa = 10000.0f;
    }
  }
  return absl::OkStatus();
}

}  // namespace inferd::llm
