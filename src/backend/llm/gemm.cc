#include "backend/llm/gemm.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "tensor/half.h"

namespace inferd::llm {
namespace {

// The next register block's slice of weights, from DRAM while this one
// multiplies: short pieces of many rows, which the hardware prefetcher does
// not follow. Rows [row, end) at byte `offset`, `bytes` long.
void PrefetchPieces(const Weight& w, int64_t row, int64_t end, int64_t offset,
                    int64_t bytes) {
  for (int64_t r = row; r < end; ++r) {
    const uint8_t* piece = w.row(r) + offset;
    for (int64_t b = 0; b < bytes; b += 64) __builtin_prefetch(piece + b, 0, 3);
  }
}

}  // namespace

Gemm::Gemm(int threads, const KernelSet& kernels)
    : kernels_(&kernels), scratch_(static_cast<size_t>(threads)) {}

bool Gemm::Integer(GgmlType type) const {
  return kernels_->qgemm_group(type) > 0;
}

bool Gemm::Bf16(GgmlType type, int64_t n) const {
  return type == GgmlType::kBF16 && kernels_->gemm_bf16_block != nullptr &&
         n % 2 == 0;
}

void Gemm::Pack(const float* x, int64_t n_tokens, int64_t n,
                Activations which) {
  n_tokens_ = n_tokens;
  n_ = n;
  const auto bits = static_cast<unsigned>(which);
  float_packed_ = (bits & static_cast<unsigned>(Activations::kFloat)) != 0;
  integer_packed_ = (bits & static_cast<unsigned>(Activations::kInteger)) != 0;
  bf16_ready_ = (bits & static_cast<unsigned>(Activations::kBf16)) != 0 &&
                Bf16(GgmlType::kBF16, n);
  if (float_packed_) PackFloat(x);
  if (integer_packed_) PackInteger(x);
  if (bf16_ready_) PackBf16(x);
}

void Gemm::PackBf16(const float* x) {
  constexpr int64_t lanes = kGemmLanesBf16;
  const int64_t pairs = n_ / 2;
  bf16_panels_ = (n_tokens_ + lanes - 1) / lanes;
  bf16_packed_.assign(static_cast<size_t>(bf16_panels_ * pairs * lanes), 0);
  for (int64_t t = 0; t < n_tokens_; ++t) {
    const float* src = x + t * n_;
    uint32_t* panel = bf16_packed_.data() + t / lanes * pairs * lanes + t % lanes;
    for (int64_t p = 0; p < pairs; ++p) {
      panel[p * lanes] = FloatToBfloat16(src[2 * p]) |
                         uint32_t{FloatToBfloat16(src[2 * p + 1])} << 16;
    }
  }
}

void Gemm::PackFloat(const float* x) {
  const int64_t lanes = kernels_->gemm_lanes;
  const int64_t n = n_;
  panels_ = (n_tokens_ + lanes - 1) / lanes;
  const auto size = static_cast<size_t>(panels_ * n * lanes);
  if (packed_.size() < size) packed_.resize(size);
  for (int64_t j = 0; j < panels_; ++j) {
    float* panel = packed_.data() + j * n * lanes;
    const int64_t here = std::min(lanes, n_tokens_ - j * lanes);
    for (int64_t l = 0; l < lanes; ++l) {
      if (l >= here) {
        for (int64_t k = 0; k < n; ++k) panel[k * lanes + l] = 0;
        continue;
      }
      const float* src = x + (j * lanes + l) * n;
      for (int64_t k = 0; k < n; ++k) panel[k * lanes + l] = src[k];
    }
  }
}

void Gemm::PackInteger(const float* x) {
  const int64_t lanes = kernels_->qgemm_lanes;
  const int64_t blocks = n_ / 32;
  const int64_t panels = (n_tokens_ + lanes - 1) / lanes;
  quantized_.resize(n_tokens_ * blocks);
  for (int64_t t = 0; t < n_tokens_; ++t) {
    kernels_->quantize_activations(x + t * n_, n_,
                                   quantized_.data() + t * blocks);
  }
  auto lines = [](int64_t bytes) {
    return static_cast<size_t>((bytes + 63) / 64);
  };
  const int64_t units = panels * blocks;  // (panel, block) pairs
  qcodes_.resize(lines(units * 32 * lanes));
  qscales_.resize(lines(units * lanes * 4));
  qsums_.resize(lines(units * lanes * 4));
  auto* codes = reinterpret_cast<uint8_t*>(qcodes_.data());
  auto* scales = reinterpret_cast<float*>(qscales_.data());
  auto* sums = reinterpret_cast<float*>(qsums_.data());
  for (int64_t j = 0; j < panels; ++j) {
    for (int64_t b = 0; b < blocks; ++b) {
      const int64_t unit = j * blocks + b;
      uint8_t* q = codes + unit * 32 * lanes;
      for (int64_t l = 0; l < lanes; ++l) {
        const int64_t t = j * lanes + l;
        float* d = scales + unit * lanes + l;
        float* ds = sums + unit * lanes + l;
        if (t >= n_tokens_) {
          // Activations 0: code 128, and no scale to carry the weights in.
          for (int i = 0; i < 32; ++i)
            q[(i / 4) * 4 * lanes + l * 4 + i % 4] = 128;
          *d = *ds = 0;
          continue;
        }
        const BlockQ8Act& a = quantized_[t * blocks + b];
        for (int i = 0; i < 32; ++i) {
          q[(i / 4) * 4 * lanes + l * 4 + i % 4] =
              static_cast<uint8_t>(a.qs[i] + 128);
        }
        *d = a.d;
        *ds = a.d * static_cast<float>(a.sum);
      }
    }
  }
  panels_q_ = {codes, scales, sums, blocks};
}

void Gemm::Rows(const Weight& w, int64_t r_begin, int64_t r_end, int thread,
                float* y) {
  Scratch& s = scratch_[thread];
  if (integer_packed_ && Integer(w.type)) {
    IntegerRows(w, r_begin, r_end, s, y);
  } else if (bf16_ready_ && Bf16(w.type, n_)) {
    Bf16Rows(w, r_begin, r_end, s, y);
  } else {
    if (!float_packed_) {
      std::fprintf(stderr, "Gemm::Rows: %s weight needs f32 activations\n",
                   TypeName(w.type).c_str());
      std::abort();
    }
    FloatRows(w, r_begin, r_end, s, y);
  }
}

void Gemm::Store(const Scratch& s, int64_t tokens, int64_t rb, int64_t re,
                 int64_t rows, float* y) const {
  for (int64_t t = 0; t < n_tokens_; ++t) {
    float* out = y + t * rows;
    for (int64_t r = rb; r < re; ++r) out[r] = s.acc[(r - rb) * tokens + t];
  }
}

// The block walk both paths share: rows in blocks of kRowPanels register
// panels of `mr` rows, whose accumulators (x `tokens`) stay while the
// k-blocks pass. Per panel and k-block, `decode(r0, rows_here, offset, kc)`
// fills the path's tile (rows past the range as zeros: they multiply but are
// not written) and `multiply(k0, kc, acc)` runs its block kernel.
template <typename Decode, typename Multiply>
void Gemm::Walk(const Weight& w, int64_t r_begin, int64_t r_end, int64_t mr,
                int64_t tokens, Scratch& s, float* y, Decode decode,
                Multiply multiply) {
  const int64_t n = n_;
  const int64_t block_rows = mr * kRowPanels;
  if (s.acc.size() < static_cast<size_t>(block_rows * tokens)) {
    s.acc.resize(block_rows * tokens);
  }
  // Bytes of one k-block of a row (a whole number of the type's blocks).
  const int64_t depth_bytes = RowBytes(w.type, kGemmDepth);
  for (int64_t rb = r_begin; rb < r_end; rb += block_rows) {
    const int64_t re = std::min(rb + block_rows, r_end);
    const int64_t panels_here = (re - rb + mr - 1) / mr;
    std::fill_n(s.acc.data(), panels_here * mr * tokens, 0.0f);
    for (int64_t k0 = 0; k0 < n; k0 += kGemmDepth) {
      const int64_t kc = std::min<int64_t>(kGemmDepth, n - k0);
      const int64_t offset = k0 / kGemmDepth * depth_bytes;
      for (int64_t p = 0; p < panels_here; ++p) {
        const int64_t r0 = rb + p * mr;
        int64_t next_row = r0 + mr;
        int64_t next_offset = offset;
        if (p + 1 == panels_here) {
          next_row = k0 + kGemmDepth < n ? rb : re;
          next_offset = k0 + kGemmDepth < n ? offset + depth_bytes : 0;
        }
        PrefetchPieces(w, next_row,
                       std::min(next_row + mr, next_row < re ? re : r_end),
                       next_offset, depth_bytes);
        decode(r0, std::min(mr, re - r0), offset, kc);
        multiply(k0, kc, s.acc.data() + p * mr * tokens);
      }
    }
    Store(s, tokens, rb, re, w.rows, y);
  }
}

void Gemm::FloatRows(const Weight& w, int64_t r_begin, int64_t r_end,
                     Scratch& s, float* y) {
  const int64_t mr = kernels_->gemm_rows;
  const int64_t lanes = kernels_->gemm_lanes;
  const int64_t tokens = panels_ * lanes;  // padded
  if (s.tile.size() < static_cast<size_t>(mr * kGemmDepth)) {
    s.tile.assign(mr * kGemmDepth, 0.0f);
  }
  float* tile = s.tile.data();
  Walk(
      w, r_begin, r_end, mr, tokens, s, y,
      [&](int64_t r0, int64_t rows_here, int64_t offset, int64_t kc) {
        for (int64_t i = 0; i < rows_here; ++i) {
          kernels_->dequantize_row(w.type, w.row(r0 + i) + offset, kc,
                                   tile + i * kGemmDepth);
        }
        for (int64_t i = rows_here; i < mr; ++i) {
          std::fill_n(tile + i * kGemmDepth, kc, 0.0f);
        }
      },
      [&](int64_t k0, int64_t kc, float* acc) {
        kernels_->gemm_block(tile, packed_.data() + k0 * lanes, n_ * lanes, kc,
                             panels_, acc, tokens);
      });
}

// The integer operands: rows decoded to codes and group scales (QGemmRow)
// instead of f32.
void Gemm::IntegerRows(const Weight& w, int64_t r_begin, int64_t r_end,
                       Scratch& s, float* y) {
  const int64_t mr = kernels_->qgemm_rows;
  const int64_t lanes = kernels_->qgemm_lanes;
  const int64_t panels = (n_tokens_ + lanes - 1) / lanes;
  if (s.qtile.size() < static_cast<size_t>(mr)) s.qtile.resize(mr);
  QGemmRow* tile = s.qtile.data();
  Walk(
      w, r_begin, r_end, mr, panels * lanes, s, y,
      [&](int64_t r0, int64_t rows_here, int64_t offset, int64_t kc) {
        for (int64_t i = 0; i < rows_here; ++i) {
          kernels_->qgemm_unpack(w.type, w.row(r0 + i) + offset, kc, tile + i);
        }
        for (int64_t i = rows_here; i < mr; ++i) {
          std::memset(static_cast<void*>(tile + i), 0, sizeof(QGemmRow));
        }
      },
      [&](int64_t k0, int64_t kc, float* acc) {
        kernels_->qgemm_block(tile, w.type, panels_q_, k0 / 32, kc, panels, acc,
                              panels * lanes);
      });
}

// BF16 weights as they lie in the file, pairs of values against the bf16
// panels: no decoding, a copy of each k-block into the tile.
void Gemm::Bf16Rows(const Weight& w, int64_t r_begin, int64_t r_end,
                    Scratch& s, float* y) {
  constexpr int64_t mr = kGemmRowsBf16;
  constexpr int64_t lanes = kGemmLanesBf16;
  if (s.btile.size() < static_cast<size_t>(mr * kGemmDepth)) {
    s.btile.assign(mr * kGemmDepth, 0);
  }
  uint16_t* tile = s.btile.data();
  Walk(
      w, r_begin, r_end, mr, bf16_panels_ * lanes, s, y,
      [&](int64_t r0, int64_t rows_here, int64_t offset, int64_t kc) {
        for (int64_t i = 0; i < rows_here; ++i) {
          std::memcpy(tile + i * kGemmDepth, w.row(r0 + i) + offset, 2 * kc);
        }
        for (int64_t i = rows_here; i < mr; ++i) {
          std::fill_n(tile + i * kGemmDepth, kc, uint16_t{0});
        }
      },
      [&](int64_t k0, int64_t kc, float* acc) {
        kernels_->gemm_bf16_block(
            reinterpret_cast<const uint32_t*>(tile),
            bf16_packed_.data() + k0 / 2 * lanes, n_ / 2 * lanes, kc,
            bf16_panels_, acc, bf16_panels_ * lanes);
      });
}

}  // namespace inferd::llm
