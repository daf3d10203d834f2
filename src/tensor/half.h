#pragma once

// IEEE 754 half precision and bfloat16 conversions: the one scalar
// implementation for the tensor codecs and the GGUF engine's kernels (which
// add an F16C bulk path of their own). Written here because the C++20
// standard library has no float16 type and pulling a library in for four
// bit-twiddling functions is not worth it. Inline: the kernels convert one
// block scale per 32 weights.
//
// Thread-safe: pure functions.

#include <cmath>
#include <cstdint>
#include <cstring>

namespace inferd {
namespace half_internal {

inline uint32_t FloatBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

inline float BitsToFloat(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

}  // namespace half_internal

// Round-to-nearest-even float -> binary16 bits; overflow gives infinity, NaN
// stays NaN.
inline uint16_t FloatToHalf(float value) {
  using half_internal::BitsToFloat;
  const uint32_t bits = half_internal::FloatBits(value);
  const uint16_t sign = static_cast<uint16_t>((bits >> 16) & 0x8000u);
  const uint32_t abs_bits = bits & 0x7fffffffu;
  if (abs_bits >= 0x7f800000u) {  // inf or nan
    const bool nan = abs_bits > 0x7f800000u;
    return sign | 0x7c00u | (nan ? 0x200u : 0u);
  }
  if (abs_bits >= 0x477ff000u) return sign | 0x7c00u;  // overflow to inf
  if (abs_bits < 0x38800000u) {  // subnormal or zero in half
    // Scale into the subnormal range and let the FPU round to nearest even.
    const float scaled = BitsToFloat(abs_bits) * 16777216.0f;  // 2^24, exact
    return sign | static_cast<uint16_t>(std::nearbyint(scaled));
  }
  const uint32_t exponent = ((abs_bits >> 23) - 127 + 15) << 10;
  const uint32_t mantissa = abs_bits & 0x7fffffu;
  uint32_t half = exponent | (mantissa >> 13);
  const uint32_t rest = mantissa & 0x1fffu;
  if (rest > 0x1000u || (rest == 0x1000u && (half & 1u))) ++half;
  return sign | static_cast<uint16_t>(half);
}

// Exact: every binary16 value is a float.
inline float HalfToFloat(uint16_t bits) {
  using half_internal::BitsToFloat;
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  if (exponent == 0) {  // zero or subnormal: mantissa * 2^-24, exact
    const float value = static_cast<float>(mantissa) * 5.9604644775390625e-8f;
    return sign ? -value : value;
  }
  if (exponent == 31) {
    return BitsToFloat(sign | 0x7f800000u | (mantissa << 13));
  }
  return BitsToFloat(sign | ((exponent - 15 + 127) << 23) | (mantissa << 13));
}

// Round-to-nearest-even float -> bfloat16 bits (the top half of a float).
inline uint16_t FloatToBfloat16(float value) {
  uint32_t bits = half_internal::FloatBits(value);
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    return static_cast<uint16_t>((bits >> 16) | 0x40u);  // quiet nan
  }
  const uint32_t rounding = 0x7fffu + ((bits >> 16) & 1u);
  bits += rounding;
  return static_cast<uint16_t>(bits >> 16);
}

inline float Bfloat16ToFloat(uint16_t bits) {
  return half_internal::BitsToFloat(static_cast<uint32_t>(bits) << 16);
}

}  // namespace inferd
