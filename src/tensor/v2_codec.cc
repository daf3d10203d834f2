#include "tensor/v2_codec.h"

#include "tensor/scheduling_parameters.h"
#include "tensor/v2_parameters.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "absl/container/flat_hash_set.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "common/status_macros.h"
#include "tensor/half.h"

namespace inferd {
namespace {

namespace json = boost::json;

absl::Status Invalid(std::string_view input, std::string_view what) {
  return absl::InvalidArgumentError(
      StrCat("input \"", input, "\": ", what));
}

// Appends `value` to `out` as the bytes of T.
template <typename T>
void Append(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
absl::Status AppendInteger(const json::value& v, std::string_view input,
                           size_t index, std::string& out) {
  constexpr auto kMin = std::numeric_limits<T>::min();
  constexpr auto kMax = std::numeric_limits<T>::max();
  auto range_error = [&] {
    return Invalid(input, StrCat("element ", index,
                                       " is out of range for its datatype"));
  };
  if (v.is_int64()) {
    const int64_t x = v.get_int64();
    if constexpr (std::is_signed_v<T>) {
      if (x < static_cast<int64_t>(kMin) || x > static_cast<int64_t>(kMax))
        return range_error();
    } else {
      if (x < 0 || static_cast<uint64_t>(x) > static_cast<uint64_t>(kMax))
        return range_error();
    }
    Append<T>(out, static_cast<T>(x));
    return absl::OkStatus();
  }
  if (v.is_uint64()) {
    const uint64_t x = v.get_uint64();
    if (x > static_cast<uint64_t>(kMax)) return range_error();
    Append<T>(out, static_cast<T>(x));
    return absl::OkStatus();
  }
  if (v.is_double()) {
    const double x = v.get_double();
    if (std::trunc(x) != x) {
      return Invalid(input, StrCat("element ", index, " (", x,
                                         ") is not an integer"));
    }
    // Compare against 2^digits exactly: static_cast<double>(INT64_MAX)
    // rounds up to 2^63, which would let 2^63 through.
    const double limit = std::ldexp(1.0, std::numeric_limits<T>::digits);
    if (x >= limit || (std::is_signed_v<T> ? x < -limit : x < 0)) return range_error();
    Append<T>(out, static_cast<T>(x));
    return absl::OkStatus();
  }
  return Invalid(input, StrCat("element ", index, " is a ",
                                     std::string_view(json::to_string(v.kind())),
                                     ", expected a number"));
}

absl::StatusOr<double> NumberOf(const json::value& v, std::string_view input,
                                size_t index) {
  if (v.is_number()) return v.to_number<double>();
  return Invalid(input, StrCat("element ", index, " is a ",
                                     std::string_view(json::to_string(v.kind())),
                                     ", expected a number"));
}

absl::Status AppendElement(const json::value& v, DataType dtype,
                           std::string_view input, size_t index,
                           Tensor& tensor) {
  std::string& out = tensor.data;
  switch (dtype) {
    case DataType::kBool:
      if (!v.is_bool()) {
        return Invalid(input, StrCat("element ", index, " is a ",
                                           std::string_view(json::to_string(v.kind())),
                                           ", expected true or false"));
      }
      out.push_back(v.get_bool() ? 1 : 0);
      return absl::OkStatus();
    case DataType::kUint8:
      return AppendInteger<uint8_t>(v, input, index, out);
    case DataType::kUint16:
      return AppendInteger<uint16_t>(v, input, index, out);
    case DataType::kUint32:
      return AppendInteger<uint32_t>(v, input, index, out);
    case DataType::kUint64:
      return AppendInteger<uint64_t>(v, input, index, out);
    case DataType::kInt8:
      return AppendInteger<int8_t>(v, input, index, out);
    case DataType::kInt16:
      return AppendInteger<int16_t>(v, input, index, out);
    case DataType::kInt32:
      return AppendInteger<int32_t>(v, input, index, out);
    case DataType::kInt64:
      return AppendInteger<int64_t>(v, input, index, out);
    case DataType::kFp16: {
      INFERD_ASSIGN_OR_RETURN(double x, NumberOf(v, input, index));
      Append<uint16_t>(out, FloatToHalf(static_cast<float>(x)));
      return absl::OkStatus();
    }
    case DataType::kBf16: {
      INFERD_ASSIGN_OR_RETURN(double x, NumberOf(v, input, index));
      Append<uint16_t>(out, FloatToBfloat16(static_cast<float>(x)));
      return absl::OkStatus();
    }
    case DataType::kFp32: {
      INFERD_ASSIGN_OR_RETURN(double x, NumberOf(v, input, index));
      Append<float>(out, static_cast<float>(x));
      return absl::OkStatus();
    }
    case DataType::kFp64: {
      INFERD_ASSIGN_OR_RETURN(double x, NumberOf(v, input, index));
      Append<double>(out, x);
      return absl::OkStatus();
    }
    case DataType::kBytes:
      if (!v.is_string()) {
        return Invalid(input, StrCat("element ", index, " is a ",
                                           std::string_view(json::to_string(v.kind())),
                                           ", expected a string (BYTES)"));
      }
      tensor.strings.emplace_back(v.get_string());
      return absl::OkStatus();
  }
  return absl::InternalError("unhandled datatype");
}

// Walks `data`, flat or nested, checking it against `shape` and appending the
// scalars in row-major order.
absl::Status CollectScalars(const json::array& data, const Shape& shape,
                            size_t depth, std::string_view input,
                            std::vector<const json::value*>& out) {
  if (depth == shape.size()) {
    return Invalid(input, "data is nested deeper than its shape " +
                              ShapeToString(shape));
  }
  if (static_cast<int64_t>(data.size()) != shape[depth]) {
    return Invalid(input,
                   StrCat("nested data has ", data.size(),
                                " elements at depth ", depth, " but shape ",
                                ShapeToString(shape), " says ", shape[depth]));
  }
  for (const json::value& v : data) {
    if (v.is_array()) {
      INFERD_RETURN_IF_ERROR(
          CollectScalars(v.get_array(), shape, depth + 1, input, out));
    } else {
      if (depth + 1 != shape.size()) {
        return Invalid(input, "nested data is shallower than its shape " +
                                  ShapeToString(shape));
      }
      out.push_back(&v);
    }
  }
  return absl::OkStatus();
}

// Most elements a shape may declare. Far above what any request body can
// carry (the data must still match the shape); it keeps every product of
// dimensions, and count * element size, well inside int64.
constexpr int64_t kMaxElements = int64_t{1} << 40;

absl::StatusOr<Shape> DecodeShape(const json::value* v, std::string_view input) {
  if (v == nullptr) return Invalid(input, "missing \"shape\"");
  if (!v->is_array()) return Invalid(input, "\"shape\" must be an array");
  Shape shape;
  for (const json::value& d : v->get_array()) {
    if (!d.is_int64() && !d.is_uint64()) {
      return Invalid(input, "\"shape\" must hold non-negative integers");
    }
    if (d.is_int64() && d.get_int64() < 0) {
      return Invalid(input, StrCat("\"shape\" must hold non-negative integers, got ",
                                   d.get_int64()));
    }
    if (d.is_uint64() && d.get_uint64() > static_cast<uint64_t>(kMaxElements)) {
      return Invalid(input, StrCat("\"shape\" is too large: dimension ", d.get_uint64()));
    }
    shape.push_back(d.is_int64() ? d.get_int64() : static_cast<int64_t>(d.get_uint64()));
  }
  // Zero dimensions count as one here: [0, 2^62] holds no element but is no
  // more a shape a client means than [2^62] is.
  int64_t extent = 1;
  for (int64_t dim : shape) {
    if (dim == 0) continue;
    if (dim > kMaxElements / extent) {
      return Invalid(input, StrCat("\"shape\" is too large: ", ShapeToString(shape),
                                   " declares more than ", kMaxElements, " elements"));
    }
    extent *= dim;
  }
  return shape;
}

absl::Status DecodeBinaryTensor(std::string_view bytes, std::string_view input,
                                Tensor& tensor) {
  const int64_t count = tensor.element_count();
  if (tensor.dtype != DataType::kBytes) {
    const size_t expected = count * DataTypeSize(tensor.dtype);
    if (bytes.size() != expected) {
      return Invalid(input, StrCat("binary_data_size is ", bytes.size(),
                                         " bytes but shape ",
                                         ShapeToString(tensor.shape), " of ",
                                         DataTypeName(tensor.dtype), " needs ",
                                         expected));
    }
    tensor.data.assign(bytes);
    return absl::OkStatus();
  }
  size_t pos = 0;
  while (pos < bytes.size()) {
    if (bytes.size() - pos < 4) {
      return Invalid(input, "binary BYTES element length prefix is truncated");
    }
    uint32_t length;
    std::memcpy(&length, bytes.data() + pos, 4);
    pos += 4;
    if (bytes.size() - pos < length) {
      return Invalid(input, "binary BYTES element runs past binary_data_size");
    }
    tensor.strings.emplace_back(bytes.substr(pos, length));
    pos += length;
  }
  if (static_cast<int64_t>(tensor.strings.size()) != count) {
    return Invalid(input, StrCat("binary data holds ",
                                       tensor.strings.size(),
                                       " BYTES elements but shape ",
                                       ShapeToString(tensor.shape), " needs ",
                                       count));
  }
  return absl::OkStatus();
}

absl::StatusOr<NamedTensor> DecodeInput(const json::value& value,
                                        std::string_view& binary,
                                        std::optional<SharedMemoryRef>& shared_memory) {
  if (!value.is_object()) {
    return absl::InvalidArgumentError("each element of \"inputs\" must be an object");
  }
  const json::object& input = value.get_object();
  const json::value* name = input.if_contains("name");
  if (name == nullptr || !name->is_string()) {
    return absl::InvalidArgumentError("an input is missing its \"name\" string");
  }
  NamedTensor out;
  out.name = std::string(name->get_string());
  const std::string_view input_name = out.name;

  const json::value* datatype = input.if_contains("datatype");
  if (datatype == nullptr || !datatype->is_string()) {
    return Invalid(input_name, "missing \"datatype\" string");
  }
  std::optional<DataType> dtype = DataTypeFromName(datatype->get_string());
  if (!dtype) {
    return Invalid(input_name, StrCat("unknown datatype \"",
                                            std::string(datatype->get_string()),
                                            "\""));
  }
  out.tensor.dtype = *dtype;
  INFERD_ASSIGN_OR_RETURN(out.tensor.shape,
                          DecodeShape(input.if_contains("shape"), input_name));
  const int64_t count = out.tensor.element_count();

  std::optional<uint64_t> binary_size;
  const json::value* data = input.if_contains("data");
  if (const json::value* params = input.if_contains("parameters")) {
    if (!params->is_object()) return Invalid(input_name, "\"parameters\" must be an object");
    const std::string where = StrCat("input \"", input_name, "\": ");
    INFERD_RETURN_IF_ERROR(CheckKnownParameters(
        params->get_object(), where,
        {"binary_data_size", "shared_memory_region", "shared_memory_byte_size",
         "shared_memory_offset"}));
    INFERD_ASSIGN_OR_RETURN(binary_size,
                            UnsignedParameter(params->get_object(), "binary_data_size", where));
    INFERD_ASSIGN_OR_RETURN(shared_memory, SharedMemoryParameters(params->get_object(), where));
    if (shared_memory) {
      if (data != nullptr || binary_size) {
        return Invalid(input_name,
                       "has \"shared_memory_region\" and also \"data\" or binary_data_size");
      }
      return out;  // filled from the region by the server
    }
  }
  if (binary_size) {
    if (data != nullptr) {
      return Invalid(input_name, "has both \"data\" and binary_data_size");
    }
    if (*binary_size > binary.size()) {
      return Invalid(input_name,
                     StrCat("binary_data_size ", *binary_size,
                                  " runs past the end of the body (",
                                  binary.size(), " binary bytes left)"));
    }
    INFERD_RETURN_IF_ERROR(DecodeBinaryTensor(binary.substr(0, *binary_size),
                                              input_name, out.tensor));
    binary.remove_prefix(*binary_size);
    return out;
  }
  if (data == nullptr) return Invalid(input_name, "missing \"data\"");
  if (!data->is_array()) return Invalid(input_name, "\"data\" must be an array");
  const json::array& array = data->get_array();

  // Nothing is reserved from `count` before the data is known to hold that
  // many elements: the shape is the client's claim, the data is what came.
  std::vector<const json::value*> scalars;
  const bool nested = !array.empty() && array[0].is_array();
  if (nested) {
    INFERD_RETURN_IF_ERROR(
        CollectScalars(array, out.tensor.shape, 0, input_name, scalars));
  } else if (static_cast<int64_t>(array.size()) != count) {
    return Invalid(input_name,
                   StrCat("shape ", ShapeToString(out.tensor.shape),
                                " has ", count, " elements but data has ",
                                array.size()));
  }
  const size_t n = nested ? scalars.size() : array.size();
  if (out.tensor.dtype == DataType::kBytes) {
    out.tensor.strings.reserve(n);
  } else {
    out.tensor.data.reserve(n * DataTypeSize(out.tensor.dtype));
  }
  for (size_t i = 0; i < n; ++i) {
    const json::value& v = nested ? *scalars[i] : array[i];
    if (v.is_array()) {
      return Invalid(input_name, "mixes nested arrays and scalars in \"data\"");
    }
    INFERD_RETURN_IF_ERROR(
        AppendElement(v, out.tensor.dtype, input_name, i, out.tensor));
  }
  return out;
}

absl::StatusOr<bool> BoolParameter(const json::value* params,
                                   std::string_view key,
                                   std::string_view where, bool fallback) {
  if (params == nullptr) return fallback;
  if (!params->is_object()) {
    return absl::InvalidArgumentError(
        StrCat(where, ": \"parameters\" must be an object"));
  }
  const json::value* v = params->get_object().if_contains(key);
  if (v == nullptr) return fallback;
  if (!v->is_bool()) {
    return absl::InvalidArgumentError(
        StrCat(where, ": parameter \"", key, "\" must be true or false"));
  }
  return v->get_bool();
}

// Writes a JSON string literal with the escapes JSON requires.
void AppendJsonString(std::string_view text, std::string& out) {
  out.push_back('"');
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", c);
        } else {
          out.push_back(static_cast<char>(c));
        }
    }
  }
  out.push_back('"');
}

// Shortest text that reads back as the same value of the element type
// (0.1f prints as 0.1, not 0.10000000149011612). JSON has no NaN or
// infinity; they go out as null.
template <typename F>
void AppendFloat(F value, std::string& out) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  fmt::format_to(std::back_inserter(out), "{}", value);
}

template <typename T>
void AppendIntegers(const Tensor& t, std::string& out) {
  const T* values = t.data_as<T>();
  const int64_t n = t.element_count();
  for (int64_t i = 0; i < n; ++i) {
    if (i) out.push_back(',');
    fmt::format_to(std::back_inserter(out), "{}", +values[i]);
  }
}

void AppendJsonData(const Tensor& t, std::string& out) {
  const int64_t n = t.element_count();
  out.push_back('[');
  switch (t.dtype) {
    case DataType::kBool:
      for (int64_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        out += t.data[i] != 0 ? "true" : "false";
      }
      break;
    case DataType::kUint8: AppendIntegers<uint8_t>(t, out); break;
    case DataType::kUint16: AppendIntegers<uint16_t>(t, out); break;
    case DataType::kUint32: AppendIntegers<uint32_t>(t, out); break;
    case DataType::kUint64: AppendIntegers<uint64_t>(t, out); break;
    case DataType::kInt8: AppendIntegers<int8_t>(t, out); break;
    case DataType::kInt16: AppendIntegers<int16_t>(t, out); break;
    case DataType::kInt32: AppendIntegers<int32_t>(t, out); break;
    case DataType::kInt64: AppendIntegers<int64_t>(t, out); break;
    case DataType::kFp16:
      for (int64_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        AppendFloat(HalfToFloat(t.data_as<uint16_t>()[i]), out);
      }
      break;
    case DataType::kBf16:
      for (int64_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        AppendFloat(Bfloat16ToFloat(t.data_as<uint16_t>()[i]), out);
      }
      break;
    case DataType::kFp32:
      for (int64_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        AppendFloat(t.data_as<float>()[i], out);
      }
      break;
    case DataType::kFp64:
      for (int64_t i = 0; i < n; ++i) {
        if (i) out.push_back(',');
        AppendFloat(t.data_as<double>()[i], out);
      }
      break;
    case DataType::kBytes:
      for (size_t i = 0; i < t.strings.size(); ++i) {
        if (i) out.push_back(',');
        AppendJsonString(t.strings[i], out);
      }
      break;
  }
  out.push_back(']');
}

void AppendBinaryData(const Tensor& t, std::string& out) {
  if (t.dtype != DataType::kBytes) {
    out.append(t.data);
    return;
  }
  for (const auto& s : t.strings) {
    Append<uint32_t>(out, static_cast<uint32_t>(s.size()));
    out.append(s);
  }
}

size_t BinarySize(const Tensor& t) {
  if (t.dtype != DataType::kBytes) return t.data.size();
  return t.byte_size() + 4 * t.strings.size();
}

}  // namespace

absl::StatusOr<InferenceRequest> DecodeV2InferRequest(
    std::string_view body, std::optional<size_t> json_header_length) {
  std::string_view header = body;
  std::string_view binary;
  if (json_header_length) {
    if (*json_header_length > body.size()) {
      return absl::InvalidArgumentError(StrCat(
          "Inference-Header-Content-Length is ", *json_header_length,
          " but the body has only ", body.size(), " bytes"));
    }
    header = body.substr(0, *json_header_length);
    binary = body.substr(*json_header_length);
  }
  boost::system::error_code ec;
  json::value root = json::parse(json::string_view(header.data(), header.size()), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        StrCat("request body is not valid JSON: ", ec.message()));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError("request body must be a JSON object");
  }
  const json::object& object = root.get_object();
  InferenceRequest request;
  if (const json::value* id = object.if_contains("id")) {
    if (!id->is_string()) {
      return absl::InvalidArgumentError("\"id\" must be a string");
    }
    request.id = std::string(id->get_string());
  }
  INFERD_ASSIGN_OR_RETURN(
      request.binary_data_output,
      BoolParameter(object.if_contains("parameters"), "binary_data_output",
                    "request", false));

  if (const json::value* params = object.if_contains("parameters")) {
    const json::object& p = params->get_object();  // checked by BoolParameter
    // Triton's sequence parameters (sequence_id, sequence_start, ...) need
    // sequence batching, which inferd does not have: they are refused here
    // with every other parameter it does not implement.
    INFERD_RETURN_IF_ERROR(CheckKnownParameters(p, "request: ",
                                                {"binary_data_output", "priority", "timeout"}));
    SchedulingParameters scheduling;
    INFERD_RETURN_IF_ERROR(ReadSchedulingParameters(p, &scheduling));
    if (scheduling.priority) request.priority = *scheduling.priority;
    request.timeout_us = scheduling.timeout_us;
  }

  const json::value* inputs = object.if_contains("inputs");
  if (inputs == nullptr) {
    return absl::InvalidArgumentError("request is missing \"inputs\"");
  }
  if (!inputs->is_array()) {
    return absl::InvalidArgumentError("\"inputs\" must be an array");
  }
  // Names seen so far, for duplicates: a set, since a body may list many
  // thousands of tensors.
  absl::flat_hash_set<std::string> seen;
  for (const json::value& input : inputs->get_array()) {
    std::optional<SharedMemoryRef> shared_memory;
    INFERD_ASSIGN_OR_RETURN(NamedTensor tensor, DecodeInput(input, binary, shared_memory));
    if (shared_memory) {
      request.shared_memory_inputs.push_back({request.inputs.size(), *std::move(shared_memory)});
    }
    if (!seen.insert(tensor.name).second) {
      return absl::InvalidArgumentError(
          StrCat("input \"", tensor.name, "\" appears twice"));
    }
    request.inputs.push_back(std::move(tensor));
  }
  if (!binary.empty()) {
    return absl::InvalidArgumentError(StrCat(
        binary.size(), " bytes of binary data are not claimed by any input's "
                       "binary_data_size"));
  }

  if (const json::value* outputs = object.if_contains("outputs")) {
    if (!outputs->is_array()) {
      return absl::InvalidArgumentError("\"outputs\" must be an array");
    }
    // A name requested twice would be computed and encoded twice: thousands
    // of copies of one output amplify a small request into a huge answer.
    seen.clear();
    for (const json::value& output : outputs->get_array()) {
      const json::value* name =
          output.is_object() ? output.get_object().if_contains("name") : nullptr;
      if (name == nullptr || !name->is_string()) {
        return absl::InvalidArgumentError(
            "each element of \"outputs\" needs a \"name\" string");
      }
      RequestedOutput requested;
      requested.name = std::string(name->get_string());
      if (!seen.insert(requested.name).second) {
        return absl::InvalidArgumentError(
            StrCat("output \"", requested.name, "\" is requested twice"));
      }
      const json::value* params = output.get_object().if_contains("parameters");
      if (params != nullptr && !params->is_object()) {
        return absl::InvalidArgumentError(StrCat(
            "output \"", requested.name, "\": \"parameters\" must be an object"));
      }
      if (params != nullptr) {
        const json::object& p = params->get_object();
        const std::string where = StrCat("output \"", requested.name, "\": ");
        INFERD_RETURN_IF_ERROR(CheckKnownParameters(
            p, where,
            {"binary_data", "classification", "shared_memory_region", "shared_memory_byte_size",
             "shared_memory_offset"}));
        if (p.contains("binary_data")) {
          INFERD_ASSIGN_OR_RETURN(
              requested.binary_data,
              BoolParameter(params, "binary_data",
                            StrCat("output \"", requested.name, "\""), false));
        }
        INFERD_ASSIGN_OR_RETURN(std::optional<uint64_t> classes,
                                UnsignedParameter(p, "classification", where));
        if (classes) {
          if (*classes == 0 || *classes > std::numeric_limits<uint32_t>::max()) {
            return absl::InvalidArgumentError(
                StrCat(where, "\"classification\" must be a positive number of classes"));
          }
          requested.classification = static_cast<uint32_t>(*classes);
        }
        INFERD_ASSIGN_OR_RETURN(requested.shared_memory, SharedMemoryParameters(p, where));
      }
      request.outputs.push_back(std::move(requested));
    }
  }
  return request;
}

absl::Status DecodeV2BinaryTensor(std::string_view bytes, std::string_view input,
                                  Tensor& tensor) {
  return DecodeBinaryTensor(bytes, input, tensor);
}

size_t V2BinarySize(const Tensor& tensor) { return BinarySize(tensor); }

void AppendV2BinaryData(const Tensor& tensor, std::string& out) { AppendBinaryData(tensor, out); }

EncodedResponse EncodeV2InferResponse(const InferenceResponse& response) {
  // Written directly rather than through a JSON DOM: responses can hold
  // millions of numbers, and this keeps the shortest float spelling.
  std::string out;
  std::string binary;
  bool any_binary = false;
  out += "{\"model_name\":";
  AppendJsonString(response.model_name, out);
  out += ",\"model_version\":";
  AppendJsonString(response.model_version, out);
  if (!response.id.empty()) {
    out += ",\"id\":";
    AppendJsonString(response.id, out);
  }
  out += ",\"outputs\":[";
  for (size_t i = 0; i < response.outputs.size(); ++i) {
    const NamedTensor& output = response.outputs[i];
    const bool as_binary = i < response.binary.size() && response.binary[i];
    if (i) out.push_back(',');
    out += "{\"name\":";
    AppendJsonString(output.name, out);
    out += ",\"datatype\":\"";
    out += DataTypeName(output.tensor.dtype);
    out += "\",\"shape\":[";
    for (size_t d = 0; d < output.tensor.shape.size(); ++d) {
      if (d) out.push_back(',');
      fmt::format_to(std::back_inserter(out), "{}", output.tensor.shape[d]);
    }
    out += "]";
    if (i < response.shared_memory.size() && response.shared_memory[i]) {
      const SharedMemoryRef& ref = *response.shared_memory[i];
      out += ",\"parameters\":{\"shared_memory_region\":";
      AppendJsonString(ref.region, out);
      fmt::format_to(std::back_inserter(out), ",\"shared_memory_byte_size\":{}", ref.byte_size);
      if (ref.offset != 0) {
        fmt::format_to(std::back_inserter(out), ",\"shared_memory_offset\":{}", ref.offset);
      }
      out += "}}";
    } else if (as_binary) {
      any_binary = true;
      fmt::format_to(std::back_inserter(out),
                     ",\"parameters\":{{\"binary_data_size\":{}}}}}",
                     BinarySize(output.tensor));
      AppendBinaryData(output.tensor, binary);
    } else {
      out += ",\"data\":";
      AppendJsonData(output.tensor, out);
      out += "}";
    }
  }
  out += "]}";

  EncodedResponse encoded;
  if (!any_binary) {
    encoded.body = std::move(out);
    encoded.content_type = "application/json";
    return encoded;
  }
  encoded.json_header_length = out.size();
  encoded.body = std::move(out);
  encoded.body.append(binary);
  encoded.content_type = "application/octet-stream";
  return encoded;
}

}  // namespace inferd
