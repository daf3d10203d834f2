#include "backend/llm/model.h"

#include <cmath>
#include <utility>

#include "backend/llm/arch.h"
#include "backend/llm/kernels.h"
#include "backend/llm/tensor_views.h"
#include "backend/llm/tokenizer_loader.h"
#include "common/strings.h"

namespace inferd::llm {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
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
  ModelConfig& c = config_;
  if (absl::Status s = ReadArchitecture(f, &c); !s.ok()) return s;

  auto tok = LoadTokenizer(f);
  if (!tok.ok()) return tok.status();
  tokenizer_ = *std::move(tok);

  // Tensors: presence, type, shape.
  auto matrix = [&](const std::string& name, int64_t cols, int64_t rows,
                    Weight* out) { return MatrixView(f, name, cols, rows, out); };
  auto vector = [&](const std::string& name, int64_t n, const float** out) {
    return VectorView(f, name, n, out);
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
  // Rows [first, first + n) of a fused matrix, as a matrix of its own.
  auto rows_of = [](const Weight& w, int64_t first, int64_t n) {
    Weight v = w;
    v.data = w.row(first);
    v.rows = n;
    return v;
  };
  auto check = [](std::initializer_list<absl::Status> all) {
    for (const absl::Status& s : all) {
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  };
  layers_.resize(c.n_layers);
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const std::string b = StrCat("blk.", l, ".");
    LayerWeights& L = layers_[l];
    absl::Status s = check(
        {vector(b + "attn_norm.weight", c.dim, &L.attn_norm),
         matrix(b + "attn_output.weight", c.q_dim(), c.dim, &L.wo),
         vector(b + "ffn_norm.weight", c.dim, &L.ffn_norm),
         matrix(b + "ffn_down.weight", c.ffn_dim, c.dim, &L.w_down)});
    if (!s.ok()) return s;
    if (f.FindTensor(b + "attn_qkv.weight") != nullptr) {
      Weight qkv;
      s = matrix(b + "attn_qkv.weight", c.dim, c.q_dim() + 2 * c.kv_dim(),
                 &qkv);
      L.wq = rows_of(qkv, 0, c.q_dim());
      L.wk = rows_of(qkv, c.q_dim(), c.kv_dim());
      L.wv = rows_of(qkv, c.q_dim() + c.kv_dim(), c.kv_dim());
    } else {
      s = check({matrix(b + "attn_q.weight", c.dim, c.q_dim(), &L.wq),
                 matrix(b + "attn_k.weight", c.dim, c.kv_dim(), &L.wk),
                 matrix(b + "attn_v.weight", c.dim, c.kv_dim(), &L.wv)});
    }
    if (!s.ok()) return s;
    if (f.FindTensor(b + "ffn_gate.weight") == nullptr &&
        f.FindTensor(b + "ffn_up.weight") != nullptr &&
        f.FindTensor(b + "ffn_up.weight")->shape.size() == 2 &&
        f.FindTensor(b + "ffn_up.weight")->shape[1] == 2 * c.ffn_dim) {
      Weight gate_up;  // phi3: gate rows, then up rows
      s = matrix(b + "ffn_up.weight", c.dim, 2 * c.ffn_dim, &gate_up);
      L.w_gate = rows_of(gate_up, 0, c.ffn_dim);
      L.w_up = rows_of(gate_up, c.ffn_dim, c.ffn_dim);
    } else {
      s = check({matrix(b + "ffn_gate.weight", c.dim, c.ffn_dim, &L.w_gate),
                 matrix(b + "ffn_up.weight", c.dim, c.ffn_dim, &L.w_up)});
    }
    if (!s.ok()) return s;
    if (c.qkv_bias) {
      s = check({vector(b + "attn_q.bias", c.q_dim(), &L.bq),
                 vector(b + "attn_k.bias", c.kv_dim(), &L.bk),
                 vector(b + "attn_v.bias", c.kv_dim(), &L.bv)});
      if (!s.ok()) return s;
    }
    if (c.qk_norm) {
      s = check({vector(b + "attn_q_norm.weight", c.head_dim, &L.q_norm),
                 vector(b + "attn_k_norm.weight", c.head_dim, &L.k_norm)});
      if (!s.ok()) return s;
    }
    if (c.post_norms) {
      s = check(
          {vector(b + "post_attention_norm.weight", c.dim, &L.attn_post_norm),
           vector(b + "post_ffw_norm.weight", c.dim, &L.ffn_post_norm)});
      if (!s.ok()) return s;
    }
  }

  const float* factors = nullptr;
  double long_attn_factor = 1.0;
  if (f.FindTensor("rope_factors_long.weight") != nullptr) {
    // LongRoPE: short factors up to the original context, long ones past it
    // (chosen by the serving context, as llama.cpp does), cos/sin scaled by
    // rope.scaling.attn_factor.
    const float* long_factors = nullptr;
    if (absl::Status s = check(
            {vector("rope_factors_long.weight", c.rope_dims / 2, &long_factors),
             vector("rope_factors_short.weight", c.rope_dims / 2, &factors)});
        !s.ok()) {
      return s;
    }
    if (c.rope_scaling.type != RopeScaling::Type::kNone) {
      return Invalid("rope_factors_long.weight with rope.scaling.type set");
    }
    auto orig = f.GetUintOr(c.arch + ".rope.scaling.original_context_length",
                            static_cast<uint64_t>(c.context_length));
    auto attn = f.GetFloatOr(c.arch + ".rope.scaling.attn_factor", 1.0);
    if (!orig.ok()) return orig.status();
    if (!attn.ok()) return attn.status();
    if (*orig == 0 || !(*attn > 0)) {
      return Invalid("LongRoPE original_context_length and attn_factor must "
                     "be positive");
    }
    c.rope_long_context = static_cast<int64_t>(*orig);
    long_attn_factor = *attn;
    float unused = 1.0f;
    inv_freq_long_ = RopeInvFreq(c.rope_dims, c.rope_base, c.rope_scaling,
                                 long_factors, &unused);
  }
  if (factors == nullptr && f.FindTensor("rope_freqs.weight") != nullptr) {
    if (absl::Status s = vector("rope_freqs.weight", c.rope_dims / 2, &factors);
        !s.ok()) {
      return s;
    }
  }
  inv_freq_ = RopeInvFreq(c.rope_dims, c.rope_base, c.rope_scaling, factors,
                          &c.rope_mscale);
  if (c.rope_long_context > 0) {
    c.rope_mscale = static_cast<float>(long_attn_factor);
  }
  if (c.swa_rope_unscaled) {
    float unscaled = 1.0f;
    inv_freq_swa_ = RopeInvFreq(c.rope_dims, c.rope_base_swa, RopeScaling{},
                                nullptr, &unscaled);
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
