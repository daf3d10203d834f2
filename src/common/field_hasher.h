#pragma once

// Streams length-prefixed fields into an XXH3-128 hash (libxxhash), so that
// no two different field lists produce the same byte stream: "ab","c" and
// "a","bc" hash differently. Used for response-cache keys and job request
// fingerprints. Not thread-safe; cheap to create.

#include <cstdint>
#include <string>
#include <string_view>

#define XXH_INLINE_ALL
#include "xxhash.h"

namespace inferd {

class FieldHasher {
 public:
  FieldHasher() { XXH3_128bits_reset(&state_); }

  void U64(uint64_t v) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(v >> (8 * i));
    XXH3_128bits_update(&state_, bytes, sizeof(bytes));
  }
  void Field(std::string_view s) {
    U64(s.size());
    XXH3_128bits_update(&state_, s.data(), s.size());
  }
  // A one-byte section tag keeps sections apart even when a list is empty.
  void Tag(char c) { XXH3_128bits_update(&state_, &c, 1); }

  struct Digest {
    uint64_t high;
    uint64_t low;
  };
  Digest Finish() {
    XXH128_hash_t h = XXH3_128bits_digest(&state_);
    return Digest{h.high64, h.low64};
  }
  // The digest as 32 lowercase hex digits, high half first.
  std::string Hex() {
    const Digest d = Finish();
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (int i = 0; i < 16; ++i) {
      out[15 - i] = kDigits[(d.high >> (4 * i)) & 0xf];
      out[31 - i] = kDigits[(d.low >> (4 * i)) & 0xf];
    }
    return out;
  }

 private:
  XXH3_state_t state_;
};

}  // namespace inferd
