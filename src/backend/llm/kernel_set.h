#pragma once

// The instruction-set variants of the kernels and the choice between them.
//
// kernels_impl.inc is compiled four times, each time with different target
// flags (kernels_scalar.cc: none; kernels_avx2.cc: AVX2/FMA/F16C;
// kernels_avxvnni.cc: those and AVX-VNNI, the 256-bit vpdpbusd of CPUs
// without AVX-512; kernels_avx512.cc: AVX-512 F/BW/VL/VNNI), and each copy
// fills one KernelSet. The rest of the library is compiled for the baseline
// x86-64, so one binary runs on any machine and uses the widest set the CPU
// has: ActiveKernels() picks it once, on first use, from CPUID. One more
// set, avx512bf16, is the AVX-512 set plus the BF16 GEMM kernel
// (gemm_bf16_kernels.cc, its own flags), for CPUs with AVX-512 BF16. The
// environment variable INFERD_KERNELS=scalar|avx2|avxvnni|avx512|avx512bf16
// forces a set (tests, benchmarks); a set this CPU or build lacks is refused
// with a warning on stderr and the best one is used.
//
// We dispatch by hand rather than with GCC function multiversioning (whose
// resolver runs per function, and which cannot share one source between ISA
// variants of a whole kernel family) or Highway (its per-target templates
// would have meant rewriting every kernel in its vocabulary): one table of
// function pointers, chosen once, is enough for a handful of hot loops.
// Thread-safe: the sets are constant data.

#include <cstdint>
#include <string_view>
#include <vector>

#include "backend/llm/ggml_type.h"

namespace inferd::llm {

struct BlockQ8Act;

// The k-block of the GEMM (gemm.h): values of a weight row decoded and
// multiplied per step, a multiple of every block size (K-quants: 256), so a
// k-block is a whole number of a row's blocks.
inline constexpr int64_t kGemmDepth = 256;

// The BF16 GEMM's register block (gemm_bf16_kernels.cc): weight rows and
// tokens per panel.
inline constexpr int kGemmRowsBf16 = 12;
inline constexpr int kGemmLanesBf16 = 16;

// The integer GEMM (gemm.h with 8-bit activations; operands and arithmetic
// in qgemm_kernels_impl.inc). One weight row's k-block decoded to signed
// codes: w[k] = scale[g] * q[k] + min[g] for g = k / group (group 32, or
// 16 for Q6_K), bias[g] = -128 * (sum of the group's q).
inline constexpr int kQGemmMaxGroups = kGemmDepth / 16;
struct alignas(64) QGemmRow {
  int8_t q[kGemmDepth];
  float scale[kQGemmMaxGroups];
  float min[kQGemmMaxGroups];  // 0 for the types without mins
  int32_t bias[kQGemmMaxGroups];
};

// Tokens quantised to 8 bits per block of 32 values (as
// quantize_activations), packed in panels of qgemm_lanes tokens. Value i of
// block b of token l of panel j, plus 128 (unsigned), at
//   q[(j * blocks + b) * 32 * lanes + (i / 4) * 4 * lanes + l * 4 + i % 4]
// (one 4-byte lane per token: vpdpbusd's operand); the block's scale at
// d[(j * blocks + b) * lanes + l], that scale times the sum of its 32
// integers at dsum[...] likewise. Missing tokens of the last panel are 0.
struct QGemmPanels {
  const uint8_t* q;
  const float* d;
  const float* dsum;
  int64_t blocks;  // per token: n / 32
};

struct KernelSet {
  // INFERD_KERNELS values: "scalar", "avx2", "avxvnni", "avx512" or
  // "avx512bf16" (the avx512 set with gemm_bf16_block).
  const char* name;
  const char* label;  // for people: "scalar", "AVX2", "AVX2 VNNI", ...
  float (*dot_row)(GgmlType type, const void* row, const float* x,
                   const BlockQ8Act* xq, int64_t n);
  void (*dot_rows)(GgmlType type, const void* row, const float* x,
                   const BlockQ8Act* xq, int64_t n, int64_t n_tokens,
                   float* out, int64_t out_stride);
  void (*dequantize_row)(GgmlType type, const void* row, int64_t n, float* out);
  float (*dot_f32)(const float* a, const float* b, int64_t n);
  void (*quantize_activations)(const float* x, int64_t n, BlockQ8Act* out);
  // KV cache rows (kv_kernels_impl.inc): F32, F16 or Q8_0.
  void (*kv_store)(GgmlType type, const float* x, int64_t n, void* out);
  void (*kv_dots)(GgmlType type, const float* q, const uint8_t* rows,
                  int64_t stride, int64_t n_rows, int64_t n, float* out);
  void (*kv_accumulate)(GgmlType type, const float* weights,
                        const uint8_t* rows, int64_t stride, int64_t n_rows,
                        int64_t n, float* acc);
  // Decode's matrix-vector product over a range of rows (DotWeightRows,
  // xq_id as there).
  void (*dot_weight_rows)(GgmlType type, const void* rows, int64_t row_bytes,
                          int64_t n_rows, const float* x, const BlockQ8Act* xq,
                          int64_t n, int64_t n_tokens, float* out,
                          int64_t out_stride, uint64_t xq_id);
  // gate[i] = act(gate[i]) * up[i] (GatedMul).
  void (*gated_mul)(bool gelu_tanh, float* gate, const float* up, int64_t n);
  // v[i] = e^(v[i] - shift), returning the sum (ExpSum).
  float (*exp_sum)(float* v, int64_t n, float shift);
  // GEMM micro-kernels (gemm_kernels_impl.inc; operands there): rows and
  // tokens per register block, and c += w . x over one k-block of kc <=
  // kGemmDepth for gemm_rows rows and n_panels panels of gemm_lanes tokens.
  int gemm_rows;
  int gemm_lanes;
  void (*gemm_block)(const float* w, const float* x, int64_t panel_stride,
                     int64_t kc, int64_t n_panels, float* c, int64_t c_stride);
  // Integer GEMM: values per weight group of `type`, 0 where this set runs
  // `type` in the f32 GEMM instead; one row's k-block (kc values from
  // `row`, which points at the k-block's first byte) decoded; and
  // c += w . x for qgemm_rows rows w[0..) and n_panels panels of
  // qgemm_lanes tokens over kc values from activation block b0, c laid out
  // as gemm_block's.
  int qgemm_rows;
  int qgemm_lanes;
  int (*qgemm_group)(GgmlType type);
  void (*qgemm_unpack)(GgmlType type, const void* row, int64_t kc,
                       QGemmRow* out);
  void (*qgemm_block)(const QGemmRow* w, GgmlType type, const QGemmPanels& x,
                      int64_t b0, int64_t kc, int64_t n_panels, float* c,
                      int64_t c_stride);
  // BF16 weights against activations rounded to bf16 (gemm_bf16_kernels.cc;
  // operands there): c += w . x for kGemmRowsBf16 rows and n_panels panels
  // of kGemmLanesBf16 tokens over kc values. nullptr where the set has no
  // BF16 dot product (BF16 weights then take the f32 GEMM).
  void (*gemm_bf16_block)(const uint32_t* w, const uint32_t* x,
                          int64_t panel_stride, int64_t kc, int64_t n_panels,
                          float* c, int64_t c_stride);
};

// The set the kernels of kernels.h use: chosen on the first call.
const KernelSet& ActiveKernels();

// The set named `name` if it is compiled in and this CPU can run it, else
// nullptr.
const KernelSet* FindKernelSet(std::string_view name);

// Every set this binary and CPU can run, narrowest first (scalar first).
std::vector<const KernelSet*> AvailableKernelSets();

}  // namespace inferd::llm
