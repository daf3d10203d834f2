#include "tensor/data_type.h"

#include <array>
#include <utility>

namespace inferd {
namespace {

constexpr std::array<std::pair<DataType, std::string_view>, 14> kNames = {{
    {DataType::kBool, "BOOL"},   {DataType::kUint8, "UINT8"},
    {DataType::kUint16, "UINT16"}, {DataType::kUint32, "UINT32"},
    {DataType::kUint64, "UINT64"}, {DataType::kInt8, "INT8"},
    {DataType::kInt16, "INT16"}, {DataType::kInt32, "INT32"},
    {DataType::kInt64, "INT64"}, {DataType::kFp16, "FP16"},
    {DataType::kBf16, "BF16"},   {DataType::kFp32, "FP32"},
    {DataType::kFp64, "FP64"},   {DataType::kBytes, "BYTES"},
}};

}  // namespace

std::string_view DataTypeName(DataType type) {
  for (const auto& [t, name] : kNames) {
    if (t == type) return name;
  }
  return "INVALID";
}

std::optional<DataType> DataTypeFromName(std::string_view name) {
  for (const auto& [t, n] : kNames) {
    if (n == name) return t;
  }
  return std::nullopt;
}

size_t DataTypeSize(DataType type) {
  switch (type) {
    case DataType::kBool:
    case DataType::kUint8:
    case DataType::kInt8:
      return 1;
    case DataType::kUint16:
    case DataType::kInt16:
    case DataType::kFp16:
    case DataType::kBf16:
      return 2;
    case DataType::kUint32:
    case DataType::kInt32:
    case DataType::kFp32:
      return 4;
    case DataType::kUint64:
    case DataType::kInt64:
    case DataType::kFp64:
      return 8;
    case DataType::kBytes:
      return 0;
  }
  return 0;
}

bool IsFloatingPoint(DataType type) {
  return type == DataType::kFp16 || type == DataType::kBf16 ||
         type == DataType::kFp32 || type == DataType::kFp64;
}

bool IsSignedInteger(DataType type) {
  return type == DataType::kInt8 || type == DataType::kInt16 ||
         type == DataType::kInt32 || type == DataType::kInt64;
}

bool IsUnsignedInteger(DataType type) {
  return type == DataType::kUint8 || type == DataType::kUint16 ||
         type == DataType::kUint32 || type == DataType::kUint64;
}

}  // namespace inferd
