#include "backend/llm/ggml_type.h"

#include <cmath>
#include <string>

#include "common/strings.h"

namespace inferd::llm {
namespace {

struct Entry {
  uint32_t id;
  GgmlTypeInfo info;
};

constexpr Entry kTypes[] = {
    {0, {"F32", 1, 4}},       {1, {"F16", 1, 2}},
    {2, {"Q4_0", 32, 18}},    {3, {"Q4_1", 32, 20}},
    {6, {"Q5_0", 32, 22}},    {7, {"Q5_1", 32, 24}},
    {8, {"Q8_0", 32, 34}},    {9, {"Q8_1", 32, 36}},
    {10, {"Q2_K", 256, 84}},  {11, {"Q3_K", 256, 110}},
    {12, {"Q4_K", 256, 144}}, {13, {"Q5_K", 256, 176}},
    {14, {"Q6_K", 256, 210}}, {15, {"Q8_K", 256, 292}},
    {20, {"IQ4_NL", 32, 18}},
    {24, {"I8", 1, 1}},       {25, {"I16", 1, 2}},
    {26, {"I32", 1, 4}},      {27, {"I64", 1, 8}},
    {28, {"F64", 1, 8}},      {30, {"BF16", 1, 2}},
};

}  // namespace

const GgmlTypeInfo* FindGgmlType(uint32_t type) {
  for (const Entry& e : kTypes) {
    if (e.id == type) return &e.info;
  }
  return nullptr;
}

std::string TypeName(GgmlType type) {
  const GgmlTypeInfo* info = FindGgmlType(static_cast<uint32_t>(type));
  if (info == nullptr) return StrCat("type", static_cast<uint32_t>(type));
  return std::string(info->name);
}

int64_t RowBytes(GgmlType type, int64_t n) {
  const GgmlTypeInfo* info = FindGgmlType(static_cast<uint32_t>(type));
  return n / info->block_size * info->type_size;
}

}  // namespace inferd::llm
