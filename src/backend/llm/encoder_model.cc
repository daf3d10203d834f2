#include "backend/llm/encoder_model.h"

#include <cmath>
#include <initializer_list>
#include <utility>

#include "backend/llm/kernels.h"
#include "backend/llm/tensor_views.h"
#include "backend/llm/tokenizer_loader.h"
#include "common/strings.h"

namespace inferd::llm {
namespace {

absl::Status Invalid(const std::string& message) {
  return absl::InvalidArgumentError(message);
}

absl::Status FirstError(std::initializer_list<absl::Status> all) {
  for (const absl::Status& s : all) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> PositiveInt(const GgufFile& f, const std::string& key) {
  absl::StatusOr<uint64_t> v = f.GetUint(key);
  if (!v.ok()) return v.status();
  if (*v == 0 || *v > (1u << 24)) {
    return Invalid(StrCat("metadata \"", key, "\" = ", *v, " is out of range"));
  }
  return static_cast<int64_t>(*v);
}

// Rows [first, first + n) of a fused matrix, as a matrix of its own.
Weight RowsOf(const Weight& w, int64_t first, int64_t n) {
  Weight v = w;
  v.data = w.row(first);
  v.rows = n;
  return v;
}

}  // namespace

bool IsEncoderArchitecture(std::string_view arch) {
  return arch == "bert" || arch == "nomic-bert";
}

absl::StatusOr<std::unique_ptr<EncoderModel>> EncoderModel::Load(
    const std::string& path) {
  absl::StatusOr<std::unique_ptr<GgufFile>> file = GgufFile::Open(path);
  if (!file.ok()) return file.status();
  absl::StatusOr<std::unique_ptr<EncoderModel>> model =
      FromFile(*std::move(file));
  if (!model.ok()) {
    return absl::Status(model.status().code(),
                        ToAbsl(StrCat("model ", path, ": ",
                                      std::string_view(
                                          model.status().message().data(),
                                          model.status().message().size()))));
  }
  return model;
}

absl::StatusOr<std::unique_ptr<EncoderModel>> EncoderModel::FromFile(
    std::unique_ptr<GgufFile> file) {
  std::unique_ptr<EncoderModel> model(new EncoderModel());
  model->file_ = std::move(file);
  if (absl::Status s = model->Init(); !s.ok()) return s;
  return model;
}

absl::Status EncoderModel::Init() {
  const GgufFile& f = *file_;
  EncoderConfig& c = config_;
  absl::StatusOr<std::string_view> arch = f.GetString("general.architecture");
  if (!arch.ok()) return arch.status();
  c.arch = std::string(*arch);
  if (!IsEncoderArchitecture(c.arch)) {
    return Invalid(StrCat("architecture \"", c.arch,
                          "\" is not an encoder (bert, nomic-bert)"));
  }
  c.rope = c.arch == "nomic-bert";
  c.gated_ffn = c.arch == "nomic-bert";
  const std::string p = c.arch + ".";
  for (auto [key, out] :
       {std::pair<const char*, int64_t*>{"embedding_length", &c.dim},
        {"block_count", &c.n_layers},
        {"feed_forward_length", &c.ffn_dim},
        {"attention.head_count", &c.n_heads},
        {"context_length", &c.context_length}}) {
    absl::StatusOr<int64_t> v = PositiveInt(f, p + key);
    if (!v.ok()) return v.status();
    *out = *v;
  }
  // Every layer has tensors of its own: a block count beyond the file's
  // tensors is a corrupt header, refused before anything is sized by it.
  if (c.n_layers > static_cast<int64_t>(f.tensors().size())) {
    return Invalid(StrCat("metadata \"", p, "block_count\" = ", c.n_layers,
                          " is out of range for a file of ", f.tensors().size(),
                          " tensors"));
  }
  if (c.dim % c.n_heads != 0) {
    return Invalid(StrCat("embedding_length ", c.dim,
                          " is not a multiple of attention.head_count ",
                          c.n_heads));
  }
  c.head_dim = c.dim / c.n_heads;
  absl::StatusOr<uint64_t> kv = f.GetUintOr(p + "attention.head_count_kv",
                                            static_cast<uint64_t>(c.n_heads));
  if (!kv.ok()) return kv.status();
  if (static_cast<int64_t>(*kv) != c.n_heads) {
    return Invalid(StrCat("metadata \"", p, "attention.head_count_kv\" = ", *kv,
                          ": encoders need as many key/value heads as heads (",
                          c.n_heads, ")"));
  }
  absl::StatusOr<double> eps =
      f.GetFloatOr(p + "attention.layer_norm_epsilon", 1e-12);
  if (!eps.ok()) return eps.status();
  if (!std::isfinite(*eps) || *eps < 0) {
    return Invalid(StrCat("metadata \"", p, "attention.layer_norm_epsilon\" = ",
                          *eps, " must be a finite non-negative number"));
  }
  c.norm_eps = static_cast<float>(*eps);
  absl::StatusOr<uint64_t> pooling = f.GetUintOr(p + "pooling_type", 1);
  if (!pooling.ok()) return pooling.status();
  switch (*pooling) {
    case 0:  // none: per-token vectors; a text's vector is their mean
    case 1:
      c.pooling = EncoderConfig::Pooling::kMean;
      break;
    case 2:
      c.pooling = EncoderConfig::Pooling::kCls;
      break;
    default:
      return Invalid(StrCat("metadata \"", p, "pooling_type\" = ", *pooling,
                            " is not supported (1: mean, 2: cls)"));
  }
  if (f.Find(p + "attention.causal") != nullptr) {
    absl::StatusOr<bool> causal = f.GetBool(p + "attention.causal");
    if (!causal.ok()) return causal.status();
    if (*causal) {
      return Invalid(StrCat("metadata \"", p,
                            "attention.causal\" is true: an encoder attends "
                            "both ways"));
    }
  }
  if (c.rope) {
    absl::StatusOr<double> base = f.GetFloatOr(p + "rope.freq_base", 10000.0);
    if (!base.ok()) return base.status();
    if (!(*base > 1.0) || !std::isfinite(*base)) {
      return Invalid(StrCat("metadata \"", p, "rope.freq_base\" = ", *base,
                            " must exceed 1"));
    }
    c.rope_base = static_cast<float>(*base);
    if (c.head_dim % 2 != 0) {
      return Invalid(StrCat("head dimension ", c.head_dim, " must be even"));
    }
  }

  absl::StatusOr<std::unique_ptr<text::Tokenizer>> tokenizer =
      LoadWordPieceTokenizer(f);
  if (!tokenizer.ok()) return tokenizer.status();
  tokenizer_ = *std::move(tokenizer);

  auto matrix = [&](const std::string& name, int64_t cols, int64_t rows,
                    Weight* out) { return MatrixView(f, name, cols, rows, out); };
  auto vector = [&](const std::string& name, int64_t n, const float** out) {
    return VectorView(f, name, n, out);
  };
  if (absl::Status s = FirstError(
          {matrix("token_embd.weight", c.dim, 0, &token_embd_),
           vector("token_embd_norm.weight", c.dim, &embd_norm_),
           vector("token_embd_norm.bias", c.dim, &embd_norm_b_)});
      !s.ok()) {
    return s;
  }
  c.n_vocab = token_embd_.rows;
  if (c.rope) {  // sized once token_embd has confirmed the width
    inv_freq_.resize(c.head_dim / 2);
    for (int64_t i = 0; i < c.head_dim / 2; ++i) {
      inv_freq_[i] = static_cast<float>(
          std::pow(static_cast<double>(c.rope_base),
                   -2.0 * static_cast<double>(i) / c.head_dim));
    }
  }
  if (tokenizer_->vocab_size() > c.n_vocab) {
    return Invalid(StrCat("tokenizer has ", tokenizer_->vocab_size(),
                          " tokens but the embedding only ", c.n_vocab,
                          " rows"));
  }
  if (!c.rope) {
    if (absl::Status s = matrix("position_embd.weight", c.dim, 0,
                                &position_embd_);
        !s.ok()) {
      return s;
    }
    if (position_embd_.rows < c.context_length) {
      return Invalid(StrCat("tensor \"position_embd.weight\" has ",
                            position_embd_.rows, " positions, fewer than ",
                            p, "context_length ", c.context_length));
    }
  }
  if (f.FindTensor("token_types.weight") != nullptr) {
    Weight types;
    if (absl::Status s = matrix("token_types.weight", c.dim, 0, &types);
        !s.ok()) {
      return s;
    }
    type_row_.resize(c.dim);
    DequantizeRow(types.type, types.row(0), c.dim, type_row_.data());
  }

  layers_.resize(c.n_layers);
  for (int64_t l = 0; l < c.n_layers; ++l) {
    const std::string b = StrCat("blk.", l, ".");
    EncoderLayerWeights& L = layers_[l];
    absl::Status s = FirstError(
        {matrix(b + "attn_output.weight", c.dim, c.dim, &L.wo),
         vector(b + "attn_output_norm.weight", c.dim, &L.attn_norm),
         vector(b + "attn_output_norm.bias", c.dim, &L.attn_norm_b),
         matrix(b + "ffn_up.weight", c.dim, c.ffn_dim, &L.w_up),
         matrix(b + "ffn_down.weight", c.ffn_dim, c.dim, &L.w_down),
         vector(b + "layer_output_norm.weight", c.dim, &L.out_norm),
         vector(b + "layer_output_norm.bias", c.dim, &L.out_norm_b)});
    if (!s.ok()) return s;
    if (f.FindTensor(b + "attn_qkv.weight") != nullptr) {
      Weight qkv;
      if (s = matrix(b + "attn_qkv.weight", c.dim, 3 * c.dim, &qkv); !s.ok()) {
        return s;
      }
      L.wq = RowsOf(qkv, 0, c.dim);
      L.wk = RowsOf(qkv, c.dim, c.dim);
      L.wv = RowsOf(qkv, 2 * c.dim, c.dim);
      if (f.FindTensor(b + "attn_qkv.bias") != nullptr) {
        const float* bias = nullptr;
        if (s = vector(b + "attn_qkv.bias", 3 * c.dim, &bias); !s.ok()) {
          return s;
        }
        L.bq = bias;
        L.bk = bias + c.dim;
        L.bv = bias + 2 * c.dim;
      }
    } else {
      s = FirstError({matrix(b + "attn_q.weight", c.dim, c.dim, &L.wq),
                      matrix(b + "attn_k.weight", c.dim, c.dim, &L.wk),
                      matrix(b + "attn_v.weight", c.dim, c.dim, &L.wv),
                      vector(b + "attn_q.bias", c.dim, &L.bq),
                      vector(b + "attn_k.bias", c.dim, &L.bk),
                      vector(b + "attn_v.bias", c.dim, &L.bv)});
      if (!s.ok()) return s;
    }
    if (c.gated_ffn) {
      s = matrix(b + "ffn_gate.weight", c.dim, c.ffn_dim, &L.w_gate);
    } else {
      s = FirstError({vector(b + "attn_output.bias", c.dim, &L.bo),
                      vector(b + "ffn_up.bias", c.ffn_dim, &L.b_up),
                      vector(b + "ffn_down.bias", c.dim, &L.b_down)});
    }
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

}  // namespace inferd::llm
