#pragma once

// A tensor as it travels between the protocol codecs and the backends: an
// element type, a shape, and its elements, owned by value.
//
// Fixed-size types keep their elements packed little-endian in `data`
// (row-major). BYTES tensors keep one std::string per element in `strings`.
// Not thread-safe to mutate; safe to read from many threads.

#include <cstdint>
#include <string>
#include <vector>

#include "tensor/data_type.h"

namespace inferd {

using Shape = std::vector<int64_t>;

// Product of the dimensions; 1 for a scalar (empty shape). A product that
// overflows int64 on the way saturates to INT64_MAX rather than wrapping, so it never matches the
// length of real data (the v2 decoder refuses such shapes before this).
int64_t ElementCount(const Shape& shape);

// "[2,16]".
std::string ShapeToString(const Shape& shape);

struct Tensor {
  DataType dtype = DataType::kFp32;
  Shape shape;
  std::string data;                  // fixed-size types
  std::vector<std::string> strings;  // kBytes

  int64_t element_count() const { return ElementCount(shape); }

  // Size of the element payload in bytes (for BYTES: the sum of lengths).
  size_t byte_size() const;

  template <typename T>
  const T* data_as() const {
    return reinterpret_cast<const T*>(data.data());
  }
  template <typename T>
  T* mutable_data_as() {
    return reinterpret_cast<T*>(data.data());
  }
};

// A named tensor of an inference request or response.
struct NamedTensor {
  std::string name;
  Tensor tensor;
};

}  // namespace inferd
