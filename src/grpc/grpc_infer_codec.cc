#include "grpc/grpc_infer_codec.h"

#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#include "absl/container/flat_hash_set.h"
#include "boost/json.hpp"
#include "common/status_macros.h"
#include "common/strings.h"
#include "tensor/scheduling_parameters.h"

namespace inferd::grpc_api {
namespace {

namespace json = boost::json;
using inference::InferParameter;
using inference::InferTensorContents;
using inference::ModelInferRequest;
using inference::ModelInferResponse;
using ParameterMap = google::protobuf::Map<std::string, InferParameter>;

// The same bound as the JSON codec: a shape declaring more elements than
// this is refused before anything looks at the data.
constexpr int64_t kMaxElements = int64_t{1} << 40;

absl::Status Invalid(std::string_view input, std::string_view what) {
  return absl::InvalidArgumentError(StrCat("input \"", input, "\": ", what));
}

absl::StatusOr<Shape> DecodeShape(const ModelInferRequest::InferInputTensor& input) {
  Shape shape(input.shape().begin(), input.shape().end());
  int64_t extent = 1;
  for (int64_t dim : shape) {
    if (dim < 0) {
      return Invalid(input.name(), StrCat("\"shape\" must hold non-negative integers, got ", dim));
    }
    if (dim == 0) continue;
    if (dim > kMaxElements / extent) {
      return Invalid(input.name(), StrCat("\"shape\" is too large: ", ShapeToString(shape),
                                          " declares more than ", kMaxElements, " elements"));
    }
    extent *= dim;
  }
  return shape;
}

// Raw contents: packed little-endian elements, BYTES as 4-byte length + bytes.
absl::Status DecodeRaw(const std::string& raw, std::string_view input, Tensor& tensor) {
  const int64_t count = tensor.element_count();
  if (tensor.dtype != DataType::kBytes) {
    const size_t expected = static_cast<size_t>(count) * DataTypeSize(tensor.dtype);
    if (raw.size() != expected) {
      return Invalid(input, StrCat("raw_input_contents holds ", raw.size(), " bytes but shape ",
                                   ShapeToString(tensor.shape), " of ",
                                   DataTypeName(tensor.dtype), " needs ", expected));
    }
    tensor.data = raw;
    return absl::OkStatus();
  }
  size_t pos = 0;
  while (pos < raw.size()) {
    if (raw.size() - pos < 4) {
      return Invalid(input, "raw_input_contents: a BYTES element's 4-byte length is truncated");
    }
    uint32_t length;
    std::memcpy(&length, raw.data() + pos, 4);
    pos += 4;
    if (raw.size() - pos < length) {
      return Invalid(input, StrCat("raw_input_contents: a BYTES element of ", length,
                                   " bytes runs past the end of the contents"));
    }
    tensor.strings.emplace_back(raw, pos, length);
    pos += length;
  }
  if (static_cast<int64_t>(tensor.strings.size()) != count) {
    return Invalid(input, StrCat("raw_input_contents holds ", tensor.strings.size(),
                                 " BYTES elements but shape ", ShapeToString(tensor.shape),
                                 " needs ", count));
  }
  return absl::OkStatus();
}

// Which typed field of InferTensorContents holds elements of `dtype`.
std::string_view ContentsField(DataType dtype) {
  switch (dtype) {
    case DataType::kBool: return "bool_contents";
    case DataType::kInt8:
    case DataType::kInt16:
    case DataType::kInt32: return "int_contents";
    case DataType::kInt64: return "int64_contents";
    case DataType::kUint8:
    case DataType::kUint16:
    case DataType::kUint32: return "uint_contents";
    case DataType::kUint64: return "uint64_contents";
    case DataType::kFp32: return "fp32_contents";
    case DataType::kFp64: return "fp64_contents";
    case DataType::kBytes: return "bytes_contents";
    default: return "";  // FP16, BF16: raw contents only
  }
}

// The typed fields that hold elements, with their counts.
std::vector<std::pair<std::string_view, int>> FilledFields(const InferTensorContents& c) {
  std::vector<std::pair<std::string_view, int>> filled;
  const auto note = [&filled](std::string_view name, int size) {
    if (size > 0) filled.emplace_back(name, size);
  };
  note("bool_contents", c.bool_contents_size());
  note("int_contents", c.int_contents_size());
  note("int64_contents", c.int64_contents_size());
  note("uint_contents", c.uint_contents_size());
  note("uint64_contents", c.uint64_contents_size());
  note("fp32_contents", c.fp32_contents_size());
  note("fp64_contents", c.fp64_contents_size());
  note("bytes_contents", c.bytes_contents_size());
  return filled;
}

template <typename To, typename From>
absl::Status AppendNarrowed(const google::protobuf::RepeatedField<From>& values,
                            std::string_view input, DataType dtype, std::string& out) {
  out.resize(values.size() * sizeof(To));
  To* dst = reinterpret_cast<To*>(out.data());
  for (int i = 0; i < values.size(); ++i) {
    const From v = values[i];
    if (v < static_cast<From>(std::numeric_limits<To>::min()) ||
        v > static_cast<From>(std::numeric_limits<To>::max())) {
      return Invalid(input, StrCat("element ", i, " (", v, ") is out of range for ",
                                   DataTypeName(dtype)));
    }
    dst[i] = static_cast<To>(v);
  }
  return absl::OkStatus();
}

template <typename T>
void AppendPacked(const google::protobuf::RepeatedField<T>& values, std::string& out) {
  out.assign(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

absl::Status DecodeTyped(const InferTensorContents& contents, std::string_view input,
                         Tensor& tensor) {
  const std::string_view field = ContentsField(tensor.dtype);
  if (field.empty()) {
    return Invalid(input, StrCat(DataTypeName(tensor.dtype),
                                 " has no typed contents field: send it in raw_input_contents"));
  }
  const int64_t count = tensor.element_count();
  const std::vector<std::pair<std::string_view, int>> filled = FilledFields(contents);
  if (filled.size() > 1 || (filled.size() == 1 && filled[0].first != field)) {
    return Invalid(input, StrCat("datatype ", DataTypeName(tensor.dtype), " takes its elements in ",
                                 field, ", not in ", filled.back().first));
  }
  const int64_t got = filled.empty() ? 0 : filled[0].second;
  if (got != count) {
    return Invalid(input, StrCat("shape ", ShapeToString(tensor.shape), " has ", count,
                                 " elements but ", field, " has ", got));
  }
  std::string& out = tensor.data;
  switch (tensor.dtype) {
    case DataType::kBool:
      out.resize(count);
      for (int i = 0; i < contents.bool_contents_size(); ++i) {
        out[i] = contents.bool_contents(i) ? 1 : 0;
      }
      return absl::OkStatus();
    case DataType::kInt8:
      return AppendNarrowed<int8_t>(contents.int_contents(), input, tensor.dtype, out);
    case DataType::kInt16:
      return AppendNarrowed<int16_t>(contents.int_contents(), input, tensor.dtype, out);
    case DataType::kInt32: AppendPacked(contents.int_contents(), out); return absl::OkStatus();
    case DataType::kInt64: AppendPacked(contents.int64_contents(), out); return absl::OkStatus();
    case DataType::kUint8:
      return AppendNarrowed<uint8_t>(contents.uint_contents(), input, tensor.dtype, out);
    case DataType::kUint16:
      return AppendNarrowed<uint16_t>(contents.uint_contents(), input, tensor.dtype, out);
    case DataType::kUint32: AppendPacked(contents.uint_contents(), out); return absl::OkStatus();
    case DataType::kUint64: AppendPacked(contents.uint64_contents(), out); return absl::OkStatus();
    case DataType::kFp32: AppendPacked(contents.fp32_contents(), out); return absl::OkStatus();
    case DataType::kFp64: AppendPacked(contents.fp64_contents(), out); return absl::OkStatus();
    case DataType::kBytes:
      tensor.strings.assign(contents.bytes_contents().begin(), contents.bytes_contents().end());
      return absl::OkStatus();
    default: return Invalid(input, "unsupported datatype");
  }
}

// A gRPC parameter as the JSON value the shared readers take.
json::value ToJson(const InferParameter& parameter) {
  switch (parameter.parameter_choice_case()) {
    case InferParameter::kBoolParam: return json::value(parameter.bool_param());
    case InferParameter::kInt64Param: return json::value(parameter.int64_param());
    case InferParameter::kStringParam: return json::value(parameter.string_param());
    case InferParameter::kDoubleParam: return json::value(parameter.double_param());
    case InferParameter::kUint64Param: return json::value(parameter.uint64_param());
    default: return json::value(nullptr);
  }
}

// Triton's classification extension: the number of classes to answer, a
// positive int64 or uint64 parameter (Triton's clients send int64).
absl::StatusOr<uint32_t> ClassCount(const std::string& output, const InferParameter& value) {
  uint64_t classes = 0;
  if (value.parameter_choice_case() == InferParameter::kInt64Param && value.int64_param() > 0) {
    classes = static_cast<uint64_t>(value.int64_param());
  } else if (value.parameter_choice_case() == InferParameter::kUint64Param) {
    classes = value.uint64_param();
  }
  if (classes == 0 || classes > std::numeric_limits<uint32_t>::max()) {
    return absl::InvalidArgumentError(
        StrCat("output \"", output, "\": \"classification\" must be a positive number of classes"));
  }
  return static_cast<uint32_t>(classes);
}

// The request parameters: priority and timeout as HTTP reads them;
// binary_data_output is accepted (gRPC answers are always raw); anything
// else is refused by name.
absl::Status ReadRequestParameters(const ParameterMap& parameters, InferenceRequest& request) {
  json::object scheduling;
  for (const auto& [key, value] : parameters) {
    if (key == "priority" || key == "timeout") {
      scheduling[key] = ToJson(value);
    } else if (key == "binary_data_output") {
      if (value.parameter_choice_case() != InferParameter::kBoolParam) {
        return absl::InvalidArgumentError("parameters.binary_data_output must be a bool");
      }
    } else {
      return absl::InvalidArgumentError(
          StrCat("parameters.", key, ": unknown request parameter (inferd supports priority, "
                 "timeout and binary_data_output)"));
    }
  }
  if (scheduling.empty()) return absl::OkStatus();
  SchedulingParameters read;
  INFERD_RETURN_IF_ERROR(ReadSchedulingParameters(scheduling, &read));
  if (read.priority) request.priority = *read.priority;
  request.timeout_us = read.timeout_us;
  return absl::OkStatus();
}

absl::StatusOr<NamedTensor> DecodeInput(const ModelInferRequest& request, int index) {
  const ModelInferRequest::InferInputTensor& input = request.inputs(index);
  if (input.name().empty()) {
    return absl::InvalidArgumentError(StrCat("inputs[", index, "] is missing its \"name\""));
  }
  if (!input.parameters().empty()) {
    // binary_data_size and the shared-memory parameters belong to other
    // transports and extensions that gRPC requests here do not use.
    return Invalid(input.name(), StrCat("parameter \"", input.parameters().begin()->first,
                                        "\" is not supported"));
  }
  NamedTensor out;
  out.name = input.name();
  std::optional<DataType> dtype = DataTypeFromName(input.datatype());
  if (!dtype) {
    return Invalid(input.name(), input.datatype().empty()
                                     ? std::string("missing \"datatype\"")
                                     : StrCat("unknown datatype \"", input.datatype(), "\""));
  }
  out.tensor.dtype = *dtype;
  INFERD_ASSIGN_OR_RETURN(out.tensor.shape, DecodeShape(input));
  if (request.raw_input_contents_size() > 0) {
    if (!FilledFields(input.contents()).empty()) {
      return Invalid(input.name(), "has typed \"contents\" while the request uses "
                                   "raw_input_contents; use one or the other for every input");
    }
    INFERD_RETURN_IF_ERROR(
        DecodeRaw(request.raw_input_contents(index), input.name(), out.tensor));
  } else {
    INFERD_RETURN_IF_ERROR(DecodeTyped(input.contents(), input.name(), out.tensor));
  }
  return out;
}

void AppendRaw(Tensor& tensor, std::string* out) {
  if (tensor.dtype != DataType::kBytes) {
    *out = std::move(tensor.data);
    return;
  }
  size_t bytes = 0;
  for (const std::string& s : tensor.strings) bytes += 4 + s.size();
  out->reserve(bytes);
  for (const std::string& s : tensor.strings) {
    const uint32_t length = static_cast<uint32_t>(s.size());
    out->append(reinterpret_cast<const char*>(&length), 4);
    out->append(s);
  }
}

}  // namespace

absl::StatusOr<InferenceRequest> DecodeGrpcInferRequest(const ModelInferRequest& request) {
  InferenceRequest out;
  out.id = request.id();
  INFERD_RETURN_IF_ERROR(ReadRequestParameters(request.parameters(), out));
  if (request.raw_input_contents_size() > 0 &&
      request.raw_input_contents_size() != request.inputs_size()) {
    return absl::InvalidArgumentError(
        StrCat("raw_input_contents has ", request.raw_input_contents_size(),
               " entries but the request has ", request.inputs_size(),
               " inputs: send one per input, in the order of \"inputs\""));
  }
  absl::flat_hash_set<std::string> seen;
  out.inputs.reserve(request.inputs_size());
  for (int i = 0; i < request.inputs_size(); ++i) {
    INFERD_ASSIGN_OR_RETURN(NamedTensor tensor, DecodeInput(request, i));
    if (!seen.insert(tensor.name).second) {
      return absl::InvalidArgumentError(StrCat("input \"", tensor.name, "\" appears twice"));
    }
    out.inputs.push_back(std::move(tensor));
  }
  seen.clear();
  for (const ModelInferRequest::InferRequestedOutputTensor& output : request.outputs()) {
    if (output.name().empty()) {
      return absl::InvalidArgumentError("each element of \"outputs\" needs a \"name\"");
    }
    if (!seen.insert(output.name()).second) {
      return absl::InvalidArgumentError(
          StrCat("output \"", output.name(), "\" is requested twice"));
    }
    RequestedOutput requested{output.name(), std::nullopt};
    for (const auto& [key, value] : output.parameters()) {
      // binary_data is meaningless over gRPC (answers are raw) but clients
      // written for both transports send it.
      if (key == "binary_data" && value.parameter_choice_case() == InferParameter::kBoolParam) {
        continue;
      }
      if (key == "classification") {
        INFERD_ASSIGN_OR_RETURN(requested.classification, ClassCount(output.name(), value));
        continue;
      }
      return absl::InvalidArgumentError(
          StrCat("output \"", output.name(), "\": parameter \"", key, "\" is not supported"));
    }
    out.outputs.push_back(std::move(requested));
  }
  return out;
}

void EncodeGrpcInferResponse(InferenceResponse&& response, ModelInferResponse* out) {
  out->Clear();
  out->set_model_name(std::move(response.model_name));
  out->set_model_version(std::move(response.model_version));
  out->set_id(std::move(response.id));
  for (NamedTensor& output : response.outputs) {
    ModelInferResponse::InferOutputTensor* tensor = out->add_outputs();
    tensor->set_name(std::move(output.name));
    tensor->set_datatype(std::string(DataTypeName(output.tensor.dtype)));
    tensor->mutable_shape()->Add(output.tensor.shape.begin(), output.tensor.shape.end());
    AppendRaw(output.tensor, out->add_raw_output_contents());
  }
}

}  // namespace inferd::grpc_api
