#pragma once

// A GGUF model file (versions 2 and 3) mapped read-only into memory.
//
// GGUF is the single-file format of llama.cpp and Ollama: a header, typed
// key/value metadata, a tensor table, and aligned tensor data. GgufFile maps
// the file, validates every count, length, type and offset against the file
// size before anything is used, and exposes the metadata and the tensors as
// views into the mapping (no copies). No Debian package reads GGUF, hence
// our own reader.
//
// Lifetime: every string_view and data pointer handed out points into the
// mapping and stays valid as long as the GgufFile lives.
// Thread-safety: immutable after Open(); all const methods are thread-safe.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "backend/llm/ggml_type.h"

namespace inferd::llm {

// On-disk metadata value types.
enum class GgufValueType : uint32_t {
  kUint8 = 0,
  kInt8 = 1,
  kUint16 = 2,
  kInt16 = 3,
  kUint32 = 4,
  kInt32 = 5,
  kFloat32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kUint64 = 10,
  kInt64 = 11,
  kFloat64 = 12,
};

std::string_view GgufValueTypeName(GgufValueType type);

// One metadata value. Scalars are widened into `i`/`u`/`f`; arrays keep a
// pointer to their packed elements (numbers) or a list of views (strings).
struct GgufValue {
  GgufValueType type = GgufValueType::kUint8;
  int64_t i = 0;
  uint64_t u = 0;
  double f = 0;
  bool b = false;
  std::string_view str;
  // Arrays only.
  GgufValueType elem_type = GgufValueType::kUint8;
  uint64_t count = 0;
  const uint8_t* elems = nullptr;         // packed numeric elements
  std::vector<std::string_view> strings;  // string elements
};

struct GgufTensor {
  std::string name;
  GgmlType type = GgmlType::kF32;
  std::vector<int64_t> shape;  // shape[0] is the contiguous (row) dimension
  uint64_t offset = 0;         // relative to the data section
  uint64_t size_bytes = 0;
  const uint8_t* data = nullptr;

  int64_t num_elements() const;
  int64_t rows() const;  // product of shape[1..]
};

class GgufFile {
 public:
  // Maps and validates `path`. Errors name the file and what is wrong.
  static absl::StatusOr<std::unique_ptr<GgufFile>> Open(
      const std::string& path);
  // Parses an in-memory image (tests); `bytes` is copied.
  static absl::StatusOr<std::unique_ptr<GgufFile>> FromBytes(std::string bytes);

  ~GgufFile();
  GgufFile(const GgufFile&) = delete;
  GgufFile& operator=(const GgufFile&) = delete;

  // The file as opened ("<memory>" for FromBytes).
  const std::string& path() const { return path_; }
  uint32_t version() const { return version_; }
  uint64_t alignment() const { return alignment_; }
  uint64_t file_size() const { return size_; }

  // Metadata lookups. Find returns nullptr when absent. The typed getters fail
  // with a message naming the key when it is absent or has another type;
  // integer getters accept any integer type whose value fits.
  const GgufValue* Find(std::string_view key) const;
  absl::StatusOr<uint64_t> GetUint(std::string_view key) const;
  absl::StatusOr<double> GetFloat(std::string_view key) const;
  absl::StatusOr<std::string_view> GetString(std::string_view key) const;
  absl::StatusOr<bool> GetBool(std::string_view key) const;
  // Returns `fallback` when the key is absent; errors only on a wrong type.
  absl::StatusOr<uint64_t> GetUintOr(std::string_view key,
                                     uint64_t fallback) const;
  absl::StatusOr<double> GetFloatOr(std::string_view key,
                                    double fallback) const;
  absl::StatusOr<bool> GetBoolOr(std::string_view key, bool fallback) const;
  // String array; error when absent or not an array of strings.
  absl::StatusOr<const std::vector<std::string_view>*> GetStringArray(
      std::string_view key) const;
  // Numeric array converted to float/int32; error when absent or not numeric.
  absl::StatusOr<std::vector<float>> GetFloatArray(std::string_view key) const;
  absl::StatusOr<std::vector<int32_t>> GetIntArray(std::string_view key) const;

  const std::vector<std::string>& keys() const { return keys_; }
  const std::vector<GgufTensor>& tensors() const { return tensors_; }
  const GgufTensor* FindTensor(std::string_view name) const;

 private:
  GgufFile() = default;
  absl::Status Parse();

  std::string path_;
  std::string owned_;  // FromBytes image
  void* map_ = nullptr;
  const uint8_t* base_ = nullptr;
  uint64_t size_ = 0;
  uint32_t version_ = 0;
  uint64_t alignment_ = 32;
  std::vector<std::string> keys_;
  absl::flat_hash_map<std::string, GgufValue> values_;
  std::vector<GgufTensor> tensors_;
  absl::flat_hash_map<std::string, size_t> tensor_index_;
};

}  // namespace inferd::llm
