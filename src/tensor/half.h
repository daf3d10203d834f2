#pragma once

// IEEE 754 half precision and bfloat16 conversions for the tensor codecs.
// Written here because the C++20 standard library has no float16 type and
// pulling a library in for four bit-twiddling functions is not worth it.

#include <cstdint>

namespace inferd {

// Round-to-nearest-even float -> binary16 / bfloat16 bits.
uint16_t FloatToHalf(float value);
uint16_t FloatToBfloat16(float value);

float HalfToFloat(uint16_t bits);
float Bfloat16ToFloat(uint16_t bits);

}  // namespace inferd
