#pragma once

// Dot products and row conversions for each weight type: the inner loops of
// the forward pass.
//
// Weights stay in their GGUF encoding; activations are f32, or for the
// integer-quantised weight types first quantised to 8-bit blocks
// (QuantizeActivations) so the dot product runs on integers. Each function
// forwards to the kernel set chosen for this CPU at startup (kernel_set.h:
// scalar, AVX2 or AVX-512). Pure functions: thread-safe.

#include <cstdint>

#include "backend/llm/ggml_type.h"

namespace inferd::llm {

// Activations quantised for integer dot products: 32 values with an f32
// scale (finer than Q8_0's f16 scale, same int8 payload), and the sum of
// the 32 integers for the weight types with an offset (value = d*q - m).
struct BlockQ8Act {
  float d;
  int32_t sum;
  int8_t qs[32];
};

// The kernel set in use, for people: "scalar", "AVX2", "AVX-512 VNNI".
const char* KernelsName();

// Whether `type` is a weight type the kernels multiply.
bool IsSupportedWeightType(GgmlType type);
// Whether dot products with `type` take quantised activations.
bool UsesQuantizedActivations(GgmlType type);

// x[0..n) -> n/32 blocks; n must be a multiple of 32.
void QuantizeActivations(const float* x, int64_t n, BlockQ8Act* out);

// Dot product of one weight row of `type` (n values, GGUF encoding) with
// activations: `x` as f32 for float types, `xq` blocks for quantised ones.
float DotRow(GgmlType type, const void* row, const float* x,
             const BlockQ8Act* xq, int64_t n);

// out[t * out_stride] = dot(row, token t) for t < n_tokens, where token t's
// activations are x + t * n and xq + t * n / 32: one weight row read once
// for several tokens (batched decode), kept in cache while the tokens pass.
void DotRows(GgmlType type, const void* row, const float* x,
             const BlockQ8Act* xq, int64_t n, int64_t n_tokens, float* out,
             int64_t out_stride);

// DotRows for rows [0, n_rows) of a weight, `row_bytes` apart:
// out[t * out_stride + r] = dot(row r, token t). Small groups of rows are
// read once for all tokens while they are in cache (the decode step's
// product). A token's results are the same whatever n_tokens is.
// `xq_id`: 0, or an id from NewActivationsId() naming the contents of xq;
// calls on one thread that pass the same id (and the same xq, n and
// n_tokens) promise the same contents, and reuse the arrangement of the
// activations the kernels made for the first of them.
void DotWeightRows(GgmlType type, const void* rows, int64_t row_bytes,
                   int64_t n_rows, const float* x, const BlockQ8Act* xq,
                   int64_t n, int64_t n_tokens, float* out, int64_t out_stride,
                   uint64_t xq_id = 0);

// A nonzero id, unique in the process, for one set of activations passed to
// DotWeightRows.
uint64_t NewActivationsId();

// gate[i] = act(gate[i]) * up[i] for i < n, act SiLU (g * sigmoid(g)) or,
// with gelu_tanh, GELU's tanh form (g * sigmoid(2 sqrt(2/pi) (g + 0.044715
// g^3))): the gated feed-forward's activation.
void GatedMul(bool gelu_tanh, float* gate, const float* up, int64_t n);

// v[i] = e^(v[i] - shift) for i < n, and their sum: softmax weights.
float ExpSum(float* v, int64_t n, float shift);

// Decodes one row of n values to f32.
void DequantizeRow(GgmlType type, const void* row, int64_t n, float* out);

// Single f32 dot product.
float DotF32(const float* a, const float* b, int64_t n);

}  // namespace inferd::llm
