#pragma once

// A blocked GEMM of GGUF weights with f32 activations, y[t][r] = w.row(r) .
// x[t], for the compute-bound products: prompt chunks and batches of F16
// decode steps (Transformer::MatMul) and the encoders (MatMul, matmul.h).
//
// GotoBLAS's structure: the tokens are packed once per product into panels
// of KernelSet::gemm_lanes tokens, k-major (Pack); each thread then walks
// its rows in blocks of kRowPanels register blocks, and per k-block of
// kGemmDepth values decodes gemm_rows weight rows to f32 (its own scratch:
// gemm_rows x kGemmDepth floats, never a copy of the model) and runs the
// outer-product micro-kernel over every token panel into an f32 accumulator
// block (rows x tokens), which is written to y once the rows' k-blocks are
// done. The k-block of activations (tokens x kGemmDepth) stays in L2 while
// the rows pass, the decoded weights stay in L1 while the tokens pass; the
// next register block's weights are prefetched meanwhile.
//
// Each output is one chain of multiply-adds in k order, whatever tokens
// and rows share its blocks: a token's vector is the same alone or in a
// batch (encoders' "batch equals single", prompt goldens).
//
// The integer variant (Pack with Activations::kInteger or kBoth): tokens
// quantised to 8 bits per 32 values like decode's (quantize_activations),
// weights of the quantised types decoded per k-block to their signed
// integer codes and per-group scales instead of f32, and multiplied with
// vpdpbusd (64 multiply-adds per instruction, 4x an f32 FMA's): prompt
// processing runs at integer throughput, with decode's 8-bit rounding of
// the activations. Weight types a set cannot run there (float types, AVX2)
// keep the f32 path. Operands and arithmetic: qgemm_kernels_impl.inc.
//
// Thread-safety: Pack() runs alone; then Rows() may run concurrently for
// disjoint row ranges, each `thread` index used by one caller at a time.

#include <cstdint>
#include <vector>

#include "backend/llm/kernel_set.h"
#include "backend/llm/kernels.h"
#include "backend/llm/model.h"

namespace inferd::llm {

class Gemm {
 public:
  // Register blocks per row block: rows whose accumulators (x tokens) are
  // kept while the k-blocks pass.
  static constexpr int64_t kRowPanels = 16;

  // `threads`: scratch slots (the pool's parallelism). `kernels`: the set
  // whose micro-kernel and decoder run (tests pick one); not owned.
  explicit Gemm(int threads, const KernelSet& kernels = ActiveKernels());

  // Rows per register block: callers split row ranges at multiples of it
  // so that no block is cut short in the middle of a range.
  int64_t row_block() const { return kernels_->gemm_rows; }

  // Which activations Pack() prepares, a set of bits: f32 panels, 8-bit
  // panels (kBoth: both), bf16 panels.
  enum class Activations : unsigned {
    kFloat = 1,
    kInteger = 2,
    kBoth = 3,
    kBf16 = 4,
  };
  friend Activations operator|(Activations a, Activations b) {
    return static_cast<Activations>(static_cast<unsigned>(a) |
                                    static_cast<unsigned>(b));
  }

  // Whether Rows() multiplies a weight of `type` with 8-bit activations
  // (the integer GEMM) once they are packed; else in f32.
  bool Integer(GgmlType type) const;
  // Whether Rows() multiplies a weight of `type` with rows of n values with
  // activations rounded to bf16 once they are packed (BF16 weights of even
  // n, as the panels hold pairs of values, on a set with a BF16 dot
  // product: 2x the f32 FMA's multiply-adds; the values are those of a
  // model run in bf16, as the weights were trained).
  bool Bf16(GgmlType type, int64_t n) const;

  // Packs n_tokens activation vectors of n values (x[t * n + k]) for the
  // following Rows() calls. kInteger needs n a multiple of 32; kBf16 is
  // ignored where Bf16(kBF16, n) is false (BF16 weights then need kFloat).
  void Pack(const float* x, int64_t n_tokens, int64_t n,
            Activations which = Activations::kFloat);

  // Rows [r_begin, r_end) of y = w . x for the packed tokens:
  // y[t * w.rows + r]. w.cols must be the packed n; the integer GEMM for
  // Integer(w.type) when 8-bit panels are packed, the BF16 one for
  // Bf16(w.type, n) when bf16 panels are, else the f32 panels must be.
  void Rows(const Weight& w, int64_t r_begin, int64_t r_end, int thread,
            float* y);

 private:
  struct Scratch {
    std::vector<float> tile;      // gemm_rows x kGemmDepth decoded weights
    std::vector<uint16_t> btile;  // kGemmRowsBf16 x kGemmDepth bf16 weights
    std::vector<QGemmRow> qtile;  // qgemm_rows decoded rows
    std::vector<float> acc;       // row block x padded tokens
  };

  void PackFloat(const float* x);
  void PackInteger(const float* x);
  void PackBf16(const float* x);
  void FloatRows(const Weight& w, int64_t r_begin, int64_t r_end,
                 Scratch& s, float* y);
  void IntegerRows(const Weight& w, int64_t r_begin, int64_t r_end,
                   Scratch& s, float* y);
  void Bf16Rows(const Weight& w, int64_t r_begin, int64_t r_end, Scratch& s,
                float* y);
  template <typename Decode, typename Multiply>
  void Walk(const Weight& w, int64_t r_begin, int64_t r_end, int64_t mr,
            int64_t tokens, Scratch& s, float* y, Decode decode,
            Multiply multiply);
  // Copies a row block's accumulators (rows x padded tokens) to y.
  void Store(const Scratch& s, int64_t tokens, int64_t rb, int64_t re,
             int64_t rows, float* y) const;

  const KernelSet* kernels_;
  std::vector<Scratch> scratch_;  // per thread
  std::vector<float> packed_;     // panels x n x gemm_lanes
  bool float_packed_ = false;
  // 8-bit panels (QGemmPanels): codes, scales, scale x sum.
  std::vector<BlockQ8Act> quantized_;  // n_tokens x n / 32, before packing
  // Cache-line storage, so the micro-kernel's vector loads are aligned.
  struct alignas(64) Line {
    uint8_t bytes[64];
  };
  std::vector<Line> qcodes_;
  std::vector<Line> qscales_;
  std::vector<Line> qsums_;
  QGemmPanels panels_q_{};
  bool integer_packed_ = false;
  // bf16 panels of kGemmLanesBf16 tokens, pairs of values (gemm_bf16_block).
  std::vector<uint32_t> bf16_packed_;
  int64_t bf16_panels_ = 0;
  bool bf16_ready_ = false;
  int64_t n_tokens_ = 0;
  int64_t n_ = 0;
  int64_t panels_ = 0;
};

}  // namespace inferd::llm
