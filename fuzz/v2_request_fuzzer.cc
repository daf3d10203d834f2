// Fuzzes the KServe v2 infer request decoder, JSON and the binary tensor
// extension. The first two bytes, when present, choose the JSON header
// length (0xffff: none), so both paths are reached.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "tensor/v2_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::optional<size_t> header_length;
  if (size >= 2) {
    const size_t chosen = (size_t{data[0]} << 8) | data[1];
    if (chosen != 0xffff) header_length = chosen;
    data += 2;
    size -= 2;
  }
  std::string_view body(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<inferd::InferenceRequest> request =
      inferd::DecodeV2InferRequest(body, header_length);
  (void)request;
  return 0;
}
