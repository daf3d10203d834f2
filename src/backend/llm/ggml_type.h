#pragma once

// Tensor element types of the GGUF format and their storage layout.
//
// GGUF stores weights as "ggml types": plain floats or quantised blocks of a
// fixed number of values. This header names the types, gives their block
// geometry (their half-precision values convert with tensor/half.h). Everything here is a
// pure function or constant data: thread-safe.

#include <cstdint>
#include <cstring>
#include <string_view>

namespace inferd::llm {

// Numeric values are the on-disk ids; they must not change.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ4_NL = 20,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kBF16 = 30,
};

struct GgmlTypeInfo {
  std::string_view name;
  int64_t block_size = 0;  // values per block
  int64_t type_size = 0;   // bytes per block
};

// Returns the layout of `type`, or nullptr when the id is not a type this
// reader knows (the caller turns that into an error naming the tensor).
const GgmlTypeInfo* FindGgmlType(uint32_t type);

// Name for messages; "type<N>" for unknown ids.
std::string TypeName(GgmlType type);

// Bytes taken by a row of `n` values; n must be a multiple of the block size.
int64_t RowBytes(GgmlType type, int64_t n);

// Block layouts used in place from the mapped file.
inline constexpr int kQK8_0 = 32;
struct BlockQ8_0 {
  uint16_t d;  // f16 scale
  int8_t qs[kQK8_0];
};
static_assert(sizeof(BlockQ8_0) == 34);

inline constexpr int kQK4_0 = 32;
struct BlockQ4_0 {
  uint16_t d;              // f16 scale
  uint8_t qs[kQK4_0 / 2];  // low nibbles: values 0..15, high: 16..31
};
static_assert(sizeof(BlockQ4_0) == 18);

inline constexpr int kQK_K = 256;
struct BlockQ4_K {
  uint16_t d;          // f16 super-block scale for the 6-bit scales
  uint16_t dmin;       // f16 super-block scale for the 6-bit mins
  uint8_t scales[12];  // 8 scales and 8 mins, 6 bits each
  uint8_t qs[kQK_K / 2];
};
static_assert(sizeof(BlockQ4_K) == 144);

struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];      // low 4 bits
  uint8_t qh[kQK_K / 4];      // high 2 bits
  int8_t scales[kQK_K / 16];  // 8-bit scales of 16-value groups
  uint16_t d;                 // f16 super-block scale
};
static_assert(sizeof(BlockQ6_K) == 210);

inline constexpr int kQK5 = 32;
struct BlockQ5_0 {
  uint16_t d;            // f16 scale; value = d * (q - 16)
  uint8_t qh[4];         // bit i: high bit of value i
  uint8_t qs[kQK5 / 2];  // low nibbles: values 0..15, high: 16..31
};
static_assert(sizeof(BlockQ5_0) == 22);

struct BlockQ5_1 {
  uint16_t d;  // f16 scale; value = d * q + m
  uint16_t m;  // f16 offset
  uint8_t qh[4];
  uint8_t qs[kQK5 / 2];
};
static_assert(sizeof(BlockQ5_1) == 24);

struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[12];     // as Q4_K
  uint8_t qh[kQK_K / 8];  // bit j of qh[l]: high bit of value l of sub-block j
  uint8_t qs[kQK_K / 2];  // as Q4_K
};
static_assert(sizeof(BlockQ5_K) == 176);

// IQ4_NL: 4-bit indices into a fixed non-linear table of int8 levels.
struct BlockIQ4_NL {
  uint16_t d;              // f16 scale; value = d * kIq4NlLevels[index]
  uint8_t qs[kQK4_0 / 2];  // nibbles as Q4_0
};
static_assert(sizeof(BlockIQ4_NL) == 18);
inline constexpr int8_t kIq4NlLevels[16] = {-127, -104, -83, -65, -49, -35,
                                            -22,  -10,  1,   13,  25,  38,
                                            53,   69,   89,  113};


}  // namespace inferd::llm
