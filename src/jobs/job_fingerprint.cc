#include "jobs/job_fingerprint.h"

#include <cstdint>

#define XXH_INLINE_ALL
#include "xxhash.h"

namespace inferd::jobs {
namespace {

// Streams length-prefixed fields into an XXH3-128 state, so that no two
// different field lists produce the same byte stream.
class Hasher {
 public:
  Hasher() { XXH3_128bits_reset(&state_); }

  void U64(uint64_t v) {
    unsigned char bytes[8];
    for (int i = 0; i < 8; ++i) bytes[i] = static_cast<unsigned char>(v >> (8 * i));
    XXH3_128bits_update(&state_, bytes, sizeof(bytes));
  }
  void Field(std::string_view s) {
    U64(s.size());
    XXH3_128bits_update(&state_, s.data(), s.size());
  }

  std::string Hex() {
    XXH128_hash_t h = XXH3_128bits_digest(&state_);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out(32, '0');
    for (int i = 0; i < 16; ++i) {
      out[15 - i] = kDigits[(h.high64 >> (4 * i)) & 0xf];
      out[31 - i] = kDigits[(h.low64 >> (4 * i)) & 0xf];
    }
    return out;
  }

 private:
  XXH3_state_t state_;
};

}  // namespace

std::string JobFingerprint(const JobSpec& spec) {
  Hasher h;
  h.Field(kJobFingerprintTag);
  h.Field(spec.request.route);
  h.Field(spec.request.model);
  h.Field(spec.request.version);
  h.Field(spec.request.input.content_type);
  h.U64(spec.request.input.headers.size());
  for (const auto& [name, value] : spec.request.input.headers) {
    h.Field(name);
    h.Field(value);
  }
  h.Field(spec.request.input.body);
  h.U64(static_cast<uint64_t>(spec.priority));
  h.Field(spec.webhook_url);
  h.U64(static_cast<uint64_t>(spec.max_attempts));
  return h.Hex();
}

}  // namespace inferd::jobs
