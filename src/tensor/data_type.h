#pragma once

// Element types of tensors, named as the KServe v2 protocol names them.
//
// The v2 wire names ("INT32", "FP16", "BYTES") are the canonical spelling;
// the model config uses Triton's TYPE_* enum, converted in config/.

#include <cstddef>
#include <optional>
#include <string_view>

namespace inferd {

enum class DataType {
  kBool,
  kUint8,
  kUint16,
  kUint32,
  kUint64,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kFp16,
  kBf16,
  kFp32,
  kFp64,
  kBytes,  // variable-length byte strings; no fixed element size
};

// "BOOL", "UINT8", ... "BYTES".
std::string_view DataTypeName(DataType type);

// Parses a v2 datatype name; nullopt when unknown.
std::optional<DataType> DataTypeFromName(std::string_view name);

// Bytes per element; 0 for kBytes.
size_t DataTypeSize(DataType type);

bool IsFloatingPoint(DataType type);
bool IsSignedInteger(DataType type);
bool IsUnsignedInteger(DataType type);

}  // namespace inferd
