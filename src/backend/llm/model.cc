#include "backend/llm/model.h"

#include <cmath>
#include <utility>

#include "backend/llm/kernels.h"
#include "backend/llm/tokenizer_loader.h"
#include "common/strings.h"

namespace inferd::llm {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    s += (i ? ", " : "") + std::to_string(shape[i]);
  }
  return s + "]";
}

absl::StatusOr<int64_t> RequiredInt(const GgufFile& f, const std::string& key) {
  absl::StatusOr<uint64_t> v = f.GetUint(key);
  if (!v.ok()) return v.status();
  if (*v == 0 || *v > (1u << 30)) {
    return Invalid(StrCat("metadata \"", key, "\" = ", *v, " is out of range"));
  }
  return static_cast<int64_t>(*v);
}

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& path) {
  absl::StatusOr<std::unique_ptr<GgufFile>> file = GgufFile::Open(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::unique_ptr<Model>> model = FromFile(*std::move(file));
  if (!model.ok()) {
    return absl::Status(
        model.status().code(),
        ToAbsl(StrCat("model ", path, ": ",
                     std::string_view(model.status().message().data(),
                                      model.status().message().size()))));
  }
  return model;
}

absl::StatusOr<std::unique_ptr<Model>> Model::FromFile(
    std::unique_ptr<GgufFile> file) {
  std::unique_ptr<Model> model(new Model());
  model->file_ = std::move(file);
  if (absl::Status s = model->Init(); !s.ok()) return s;
  return model;
}

absl::Status Model::Init() {
  const GgufFile& f = *file_;
  absl::StatusOr<std::string_view> arch = f.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  ModelConfig& c = config_;
  c.arch = std::string(*arch);
  if (c.arch == "llama") {
    c.rope_neox = false;
  } else if (c.arch == "qwen2") {
    c.rope_neox = true;
    c.qkv_bias = true;
  } else {
    return Invalid(StrCat("unsupported architecture \"", c.arch,
                       "\" (supported: llama, qwen2)"));
  }
  const std::string p = c.arch + ".";
  auto get = [&](const std::string& key, int64_t* out) -> absl::Status {
    absl::StatusOr<int64_t> v = RequiredInt(f, p + key);
    if (!v.ok()) return v.status();
    *out = *v;
    return absl::OkStatus();
  };
  for (auto [key, out] :
       {std::pair<const char*, int64_t*>{"embedding_length", &c.dim},
        {"block_count", &c.n_layers},
        {"feed_forward_length", &c.ffn_dim},
        {"attention.head_count", &c.n_heads}}) {
    if (absl::Status s = get(key, out); !s.ok()) return s;
  }
  auto kv = f.GetUintOr(p + "attention.head_count_kv", c.n_heads);
  auto ctx = f.GetUintOr(p + "context_length", 2048);
  if (!kv.ok()) return kv.status();
  if (!ctx.ok()) return ctx.status();
  c.n_kv_heads = static_cast<int64_t>(*kv);
  c.context_length = static_cast<int64_t>(*ctx);
  if (c.n_kv_heads == 0 || c.n_heads % c.n_kv_heads != 0) {
    return Invalid(StrCat("attention.head_count ", c.n_heads,
                       " is not a multiple of head_count_kv ", c.n_kv_heads));
  }
  auto key_len = f.GetUintOr(p + "attention.key_length", c.dim / c.n_heads);
  if (!key_len.ok()) return key_len.status();
  c.head_dim = static_cast<int64_t>(*key_len);
  if (c.head_dim == 0 || c.head_dim % 2 != 0 || c.head_dim > 1024) {
    return Invalid(StrCat("head dimension ", c.head_dim, " must be even"));
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
  c.rope_base = static_cast<float>(*base);
  c.rms_eps = static_cast<float>(*eps);
  if (const GgufValue* type = f.Find(p + "rope.scaling.type");
      type != nullptr) {
    auto name = f.GetString(p + "rope.scaling.type");
    if (!name.ok()) return name.status();
    if (*name == "linear") {
      auto factor = f.GetFloat(p + "rope.scaling.factor");
      if (!factor.ok()) return factor.status();
      if (*factor <= 0) return Invalid("rope.scaling.factor must be positive");
      c.rope_scale = static_cast<float>(*factor);
    } else if (*name != "none") {
      return Invalid(StrCat("unsupported rope.scaling.type \"", *name, "\""));
    }
  }

  auto tok = LoadTokenizer(f);
  if (!tok.ok()) return tok.status();
  tokenizer_ = *std::move(tok);

  // Tensors: presence, type, shape.
  auto matrix = [&](const std::string& name, int64_t cols, int64_t rows,
                    Weight* out) -> absl::Status {
    const GgufTensor* t = f.FindTensor(name);
    if (t == nullptr) return Invalid(StrCat("missing tensor \"", name, "\""));
    if (!IsSupportedWeightType(t->type)) {
      return Invalid(
          StrCat("tensor \"", name, "\": weight type ", TypeName(t->type),
              " is not supported (F32, F16, BF16, Q8_0, Q4_0, Q4_K, Q6_K)"));
    }
    if (t->shape.size() != 2 || t->shape[0] != cols ||
        (rows > 0 && t->shape[1] != rows)) {
      return Invalid(StrCat("tensor \"", name, "\": shape ", ShapeString(t->shape),
                         ", expected [", cols, ", ",
                         rows > 0 ? std::to_string(rows) : "n_vocab", "]"));
    }
    if (UsesQuantizedActivations(t->type) && cols % 32 != 0) {
      return Invalid(StrCat("tensor \"", name, "\": row length ", cols,
                         " is not a multiple of 32"));
    }
    out->type = t->type;
    out->data = t->data;
    out->cols = t->shape[0];
    out->rows = t->shape[1];
    out->row_bytes = RowBytes(t->type, t->shape[0]);
    return absl::OkStatus();
  };
  auto vector = [&](const std::string& name, int64_t n,
                    const float** out) -> absl::Status {
    const GgufTensor* t = f.FindTensor(name);
    if (t == nullptr) return Invalid(StrCat("missing tensor \"", name, "\""));
    if (t->type != GgmlType::kF32 || t->shape.size() != 1 || t->shape[0] != n) {
      return Invalid(StrCat("tensor \"", name, "\": expected F32 [", n, "], got ",
                         TypeName(t->type), " ", ShapeString(t->shape)));
    }
    if (reinterpret_cast<uintptr_t>(t->data) % alignof(float) != 0) {
      return Invalid(StrCat("tensor \"", name, "\": misaligned data"));
    }
    *out = reinterpret_cast<const float*>(t->data);
    return absl::OkStatus();
  };

  if (absl::Status s = matrix("token_embd.weight", c.dim, 0, &token_embd_);
      !s.ok()) {
    return s;
  }
  c.n_vocab = token_embd_.rows;
  if (tokenizer_->vocab_size() > c.n_vocab) {
    return Invalid(StrCat("tokenizer has ", tokenizer_->vocab_size(),
                       " tokens but the embedding only ", c.n_vocab, " rows"));
  }
  if (absl::Status s = vector("output_norm.weight", c.dim, &output_norm_);
      !s.ok()) {
    return s;
  }
  if (f.FindTensor("output.weight") != nullptr) {
    if (absl::Status s = matrix("output.weight", c.dim, c.n_vocab, &output_);
        !s.ok()) {
      return s;
    }
  } else {
    c.tied_output = true;
    output_ = token_embd_;
  }
  layers_.resize(c.n_layers);
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const std::string b = StrCat("blk.", l, ".");
    LayerWeights& L = layers_[l];
    for (absl::Status s :
         {vector(b + "attn_norm.weight", c.dim, &L.attn_norm),
          matrix(b + "attn_q.weight", c.dim, c.q_dim(), &L.wq),
          matrix(b + "attn_k.weight", c.dim, c.kv_dim(), &L.wk),
          matrix(b + "attn_v.weight", c.dim, c.kv_dim(), &L.wv),
          matrix(b + "attn_output.weight", c.q_dim(), c.dim, &L.wo),
          vector(b + "ffn_norm.weight", c.dim, &L.ffn_norm),
          matrix(b + "ffn_gate.weight", c.dim, c.ffn_dim, &L.w_gate),
          matrix(b + "ffn_up.weight", c.dim, c.ffn_dim, &L.w_up),
          matrix(b + "ffn_down.weight", c.ffn_dim, c.dim, &L.w_down)}) {
      if (!s.ok()) return s;
    }
    if (c.qkv_bias) {
      for (absl::Status s : {vector(b + "attn_q.bias", c.q_dim(), &L.bq),
                             vector(b + "attn_k.bias", c.kv_dim(), &L.bk),
                             vector(b + "attn_v.bias", c.kv_dim(), &L.bv)}) {
        if (!s.ok()) return s;
      }
    }
  }

  const int64_t pairs = c.rope_dims / 2;
  inv_freq_.resize(pairs);
  const float* factors = nullptr;
  if (f.FindTensor("rope_freqs.weight") != nullptr) {
    if (absl::Status s = vector("rope_freqs.weight", pairs, &factors);
        !s.ok()) {
      return s;
    }
  }
  for (int64_t i = 0; i < pairs; ++i) {
    double inv = std::pow(static_cast<double>(c.rope_base),
                          -2.0 * i / static_cast<double>(c.rope_dims));
    if (factors != nullptr) inv /= factors[i];
    inv /= c.rope_scale;
    inv_freq_[i] = static_cast<float>(inv);
  }
  return absl::OkStatus();
}

int64_t Model::weight_bytes_per_token() const {
  int64_t bytes = output_.rows * output_.row_bytes;
  for (const LayerWeights& L : layers_) {
    for (const Weight* w :
         {&L.wq, &L.wk, &L.wv, &L.wo, &L.w_gate, &L.w_up, &L.w_down}) {
      bytes += w->rows * w->row_bytes;
    }
  }
  return bytes;
}

}  // namespace inferd::llm
