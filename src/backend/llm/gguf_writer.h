#pragma once

// Builds GGUF v3 files: metadata plus tensors whose bytes the caller supplies
// already in their ggml type layout.
//
// Used by tests (malformed-file cases start from a valid image) and by the
// benchmark model generator. Tensor data is streamed to the file so a model
// larger than memory can be written. Not thread-safe.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "backend/llm/ggml_type.h"

namespace inferd::llm {

class GgufWriter {
 public:
  explicit GgufWriter(uint32_t alignment = 32) : alignment_(alignment) {}

  void AddUint32(std::string_view key, uint32_t v);
  void AddFloat32(std::string_view key, float v);
  void AddBool(std::string_view key, bool v);
  void AddString(std::string_view key, std::string_view v);
  void AddStringArray(std::string_view key, const std::vector<std::string>& v);
  void AddFloat32Array(std::string_view key, const std::vector<float>& v);
  void AddInt32Array(std::string_view key, const std::vector<int32_t>& v);

  // Fills `out` with the tensor's bytes (exactly RowBytes * rows) on demand.
  using Producer = std::function<void(std::string* out)>;
  void AddTensor(std::string_view name, GgmlType type,
                 std::vector<int64_t> shape, Producer producer);
  // Convenience for small tensors already in memory.
  void AddTensorBytes(std::string_view name, GgmlType type,
                      std::vector<int64_t> shape, std::string bytes);

  // Whole image in memory (small files, tests).
  std::string ToBytes() const;
  absl::Status WriteFile(const std::string& path) const;

 private:
  struct Tensor {
    std::string name;
    GgmlType type;
    std::vector<int64_t> shape;
    uint64_t size = 0;
    uint64_t offset = 0;
    Producer producer;
  };
  std::string Header() const;

  uint32_t alignment_;
  uint64_t n_kv_ = 0;
  std::string kv_;  // encoded key/value pairs
  std::vector<Tensor> tensors_;
  uint64_t data_size_ = 0;
};

}  // namespace inferd::llm
