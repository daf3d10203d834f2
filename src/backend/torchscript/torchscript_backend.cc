#include "backend/torchscript/torchscript_backend.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/script.h>

#include <filesystem>
#include <mutex>
#include <optional>
#include <regex>

#include "common/strings.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "spdlog/spdlog.h"

namespace inferd {
namespace {

std::optional<c10::ScalarType> TorchType(DataType type) {
  switch (type) {
    case DataType::kBool: return torch::kBool;
    case DataType::kUint8: return torch::kUInt8;
    case DataType::kInt8: return torch::kInt8;
    case DataType::kInt16: return torch::kInt16;
    case DataType::kInt32: return torch::kInt32;
    case DataType::kInt64: return torch::kInt64;
    case DataType::kFp16: return torch::kFloat16;
    case DataType::kBf16: return torch::kBFloat16;
    case DataType::kFp32: return torch::kFloat32;
    case DataType::kFp64: return torch::kFloat64;
    default: return std::nullopt;
  }
}

std::string TorchTypeName(c10::ScalarType type) { return c10::toString(type); }

// First line of a libtorch error: the rest is a C++ backtrace.
std::string Brief(const std::exception& e) {
  std::string what = e.what();
  const size_t newline = what.find('\n');
  return newline == std::string::npos ? what : what.substr(0, newline);
}

// NAME__3 -> 3.
std::optional<size_t> IndexSuffix(const std::string& name) {
  static const std::regex kPattern(".*__([0-9]+)$");
  std::smatch match;
  if (!std::regex_match(name, match, kPattern)) return std::nullopt;
  return static_cast<size_t>(std::stoul(match[1].str()));
}

// For each config tensor, its position in forward()'s arguments or in the
// returned tuple: by NAME__<index> when every name follows that convention,
// otherwise by config order.
std::vector<size_t> PositionsByConvention(const std::vector<TensorSpec>& specs) {
  std::vector<size_t> positions;
  for (const auto& spec : specs) {
    std::optional<size_t> index = IndexSuffix(spec.name);
    if (!index) {
      positions.clear();
      for (size_t i = 0; i < specs.size(); ++i) positions.push_back(i);
      return positions;
    }
    positions.push_back(*index);
  }
  return positions;
}

Shape ResolveShape(const Shape& target, int64_t elements, int64_t batch) {
  Shape shape;
  if (batch >= 0) shape.push_back(batch);
  int64_t known = batch >= 0 ? batch : 1;
  int wildcard = -1;
  for (int64_t d : target) {
    if (d == -1) {
      wildcard = static_cast<int>(shape.size());
      shape.push_back(1);
    } else {
      known *= d;
      shape.push_back(d);
    }
  }
  if (wildcard >= 0 && known > 0) shape[wildcard] = elements / known;
  return shape;
}

class TorchScriptInstance : public ModelInstance {
 public:
  TorchScriptInstance(torch::jit::Module module, const ModelSignature& signature,
                      std::vector<size_t> argument_positions, size_t argument_count)
      : module_(std::move(module)),
        signature_(signature),
        argument_positions_(std::move(argument_positions)),
        argument_count_(argument_count),
        output_positions_(PositionsByConvention(signature.outputs())) {}

  absl::StatusOr<std::vector<Tensor>> Execute(
      const std::vector<Tensor>& inputs) override {
    INFERD_ASSIGN_OR_RETURN(c10::IValue result, Run(inputs));
    return MapOutputs(result);
  }

  // Runs forward() on `inputs`; errors carry libtorch's message.
  absl::StatusOr<c10::IValue> Run(const std::vector<Tensor>& inputs) {
    try {
      c10::InferenceMode guard;
      std::vector<c10::IValue> arguments(argument_count_);
      for (size_t i = 0; i < inputs.size(); ++i) {
        if (inputs[i].shape.empty() && inputs[i].data.empty() &&
            inputs[i].strings.empty() && signature_.inputs()[i].optional) {
          continue;  // absent optional input: leave None
        }
        arguments[argument_positions_[i]] = ToIValue(inputs[i], signature_.inputs()[i]);
      }
      return module_.forward(arguments);
    } catch (const std::exception& e) {
      return absl::InternalError(StrCat("model execution failed: ", Brief(e)));
    }
  }

  // Matches the returned value to the config outputs. FailedPrecondition
  // when the model's return disagrees with its config.
  absl::StatusOr<std::vector<Tensor>> MapOutputs(const c10::IValue& result) {
    const auto& specs = signature_.outputs();
    std::vector<c10::IValue> values(specs.size());
    if (result.isTensor() || (result.isList() && IsStringList(result))) {
      if (specs.size() != 1) {
        return Mismatch(StrCat("model returned one value but the config "
                                     "declares ", specs.size(), " outputs"));
      }
      values[0] = result;
    } else if (result.isTuple() || result.isList()) {
      std::vector<c10::IValue> items;
      if (result.isTuple()) {
        items = result.toTupleRef().elements().vec();
      } else {
        for (const auto& item : result.toListRef()) items.push_back(item);
      }
      for (size_t i = 0; i < specs.size(); ++i) {
        if (output_positions_[i] >= items.size()) {
          return Mismatch(StrCat("output \"", specs[i].name,
                                       "\" maps to position ", output_positions_[i],
                                       " but the model returned ", items.size(),
                                       " values"));
        }
        values[i] = items[output_positions_[i]];
      }
    } else if (result.isGenericDict()) {
      const auto dict = result.toGenericDict();
      for (size_t i = 0; i < specs.size(); ++i) {
        auto it = dict.find(c10::IValue(specs[i].name));
        if (it == dict.end()) {
          return Mismatch(StrCat("model's returned dict has no key \"",
                                       specs[i].name, "\""));
        }
        values[i] = it->value();
      }
    } else {
      return Mismatch(StrCat("model returned a ", result.tagKind(),
                                   ", expected a tensor, tuple, list or dict"));
    }
    std::vector<Tensor> outputs;
    outputs.reserve(specs.size());
    for (size_t i = 0; i < specs.size(); ++i) {
      INFERD_ASSIGN_OR_RETURN(Tensor out, ToTensor(values[i], specs[i]));
      outputs.push_back(std::move(out));
    }
    return outputs;
  }

 private:
  static bool IsStringList(const c10::IValue& v) {
    if (!v.isList()) return false;
    const auto& list = v.toListRef();
    return !list.empty() && list[0].isString();
  }

  static absl::Status Mismatch(std::string what) {
    return absl::FailedPreconditionError(std::move(what));
  }

  c10::IValue ToIValue(const Tensor& t, const TensorSpec& spec) const {
    if (t.dtype == DataType::kBytes) {
      c10::List<std::string> list;
      list.reserve(t.strings.size());
      for (const auto& s : t.strings) list.push_back(s);
      return list;
    }
    std::vector<int64_t> shape = t.shape;
    if (spec.reshape) {
      shape = ResolveShape(*spec.reshape, t.element_count(),
                           signature_.batched() ? t.shape[0] : -1);
    }
    // The request owns the bytes for the whole call; no copy needed.
    return torch::from_blob(const_cast<char*>(t.data.data()), shape,
                            torch::TensorOptions().dtype(*TorchType(t.dtype)));
  }

  absl::StatusOr<Tensor> ToTensor(const c10::IValue& value,
                                  const TensorSpec& spec) const {
    Tensor out;
    out.dtype = spec.dtype;
    if (spec.dtype == DataType::kBytes) {
      if (!value.isList()) {
        return Mismatch(StrCat("output \"", spec.name,
                                     "\" is BYTES but the model returned a ",
                                     value.tagKind(), ", not List[str]"));
      }
      for (const auto& item : value.toListRef()) {
        if (!item.isString()) {
          return Mismatch(StrCat("output \"", spec.name,
                                       "\": list holds a non-string"));
        }
        out.strings.push_back(item.toStringRef());
      }
      out.shape = {static_cast<int64_t>(out.strings.size())};
      return out;
    }
    if (!value.isTensor()) {
      return Mismatch(StrCat("output \"", spec.name, "\": model returned a ",
                                   value.tagKind(), ", expected a tensor"));
    }
    torch::Tensor tensor = value.toTensor();
    const c10::ScalarType expected = *TorchType(spec.dtype);
    if (tensor.scalar_type() != expected) {
      return Mismatch(StrCat("output \"", spec.name, "\": model returned ",
                                   TorchTypeName(tensor.scalar_type()),
                                   " but the config says ",
                                   DataTypeName(spec.dtype)));
    }
    tensor = tensor.contiguous();
    out.shape.assign(tensor.sizes().begin(), tensor.sizes().end());
    if (spec.reshape) {
      out.shape = ResolveShape(spec.dims, tensor.numel(),
                               signature_.batched() && !out.shape.empty()
                                   ? out.shape[0] : -1);
    }
    Shape expected_shape = signature_.ClientShape(spec);
    bool ok = expected_shape.size() == out.shape.size();
    for (size_t d = 0; ok && d < out.shape.size(); ++d) {
      ok = expected_shape[d] == -1 || expected_shape[d] == out.shape[d];
    }
    if (!ok) {
      return Mismatch(StrCat("output \"", spec.name, "\": model returned shape ",
                                   ShapeToString(out.shape), " but the config says ",
                                   ShapeToString(expected_shape)));
    }
    const auto* bytes = static_cast<const char*>(tensor.data_ptr());
    out.data.assign(bytes, bytes + tensor.numel() * tensor.element_size());
    return out;
  }

  torch::jit::Module module_;
  const ModelSignature& signature_;
  std::vector<size_t> argument_positions_;
  size_t argument_count_;
  std::vector<size_t> output_positions_;
};

// A request-shaped set of zero inputs (wildcards and batch as 1), used to
// check at load time that the model's outputs agree with the config.
std::vector<Tensor> ProbeInputs(const ModelSignature& signature) {
  std::vector<Tensor> inputs;
  for (const auto& spec : signature.inputs()) {
    Tensor t;
    t.dtype = spec.dtype;
    t.shape = signature.ClientShape(spec);
    for (auto& d : t.shape) if (d == -1) d = 1;
    if (spec.dtype == DataType::kBytes) {
      t.strings.assign(t.element_count(), "");
    } else {
      t.data.assign(t.element_count() * DataTypeSize(spec.dtype), '\0');
    }
    inputs.push_back(std::move(t));
  }
  return inputs;
}

}  // namespace

void ConfigureTorchThreads(int intra_op_threads) {
  static std::once_flag once;
  std::call_once(once, [&] {
    if (intra_op_threads > 0) at::set_num_threads(intra_op_threads);
    // Looked up rather than linked: the BLAS behind libblas.so.3 is chosen by
    // Debian's alternatives and may not be OpenBLAS.
    using SetBlasThreads = void (*)(int);
    if (auto set_blas_threads = reinterpret_cast<SetBlasThreads>(
            dlsym(RTLD_DEFAULT, "openblas_set_num_threads"))) {
      set_blas_threads(at::get_num_threads());
      spdlog::debug("OpenBLAS threads set to {}", at::get_num_threads());
    }
    try {
      at::set_num_interop_threads(1);
    } catch (const std::exception&) {
      // Already started by an earlier libtorch call; harmless.
    }
  });
}

absl::StatusOr<std::unique_ptr<ModelInstance>> TorchScriptBackend::CreateInstance(
    const ModelLoadContext& context) {
  const config::ModelConfig& config = *context.config;
  const ModelSignature& signature = *context.signature;
  const std::string file = context.version_dir + "/" + config.default_model_filename();
  if (!std::filesystem::is_regular_file(file)) {
    return absl::NotFoundError(StrCat("model file ", file, " is missing"));
  }
  for (const auto& spec : signature.inputs()) {
    if (spec.dtype != DataType::kBytes && !TorchType(spec.dtype)) {
      return absl::InvalidArgumentError(StrCat(
          "input \"", spec.name, "\": ", DataTypeName(spec.dtype),
          " has no libtorch equivalent"));
    }
  }
  for (const auto& spec : signature.outputs()) {
    if (spec.dtype != DataType::kBytes && !TorchType(spec.dtype)) {
      return absl::InvalidArgumentError(StrCat(
          "output \"", spec.name, "\": ", DataTypeName(spec.dtype),
          " has no libtorch equivalent"));
    }
  }

  torch::jit::Module module;
  try {
    module = torch::jit::load(file, torch::kCPU);
    module.eval();
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(StrCat(
        config.default_model_filename(),
        " is not a loadable TorchScript file: ", Brief(e)));
  }

  std::vector<std::string> arguments;
  std::vector<c10::TypePtr> argument_types;
  size_t required = 0;
  try {
    const auto& schema = module.get_method("forward").function().getSchema();
    for (size_t i = 1; i < schema.arguments().size(); ++i) {  // 0 is self
      arguments.push_back(schema.arguments()[i].name());
      argument_types.push_back(schema.arguments()[i].type());
      if (!schema.arguments()[i].default_value()) ++required;
    }
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(
        StrCat("TorchScript module has no forward(): ", Brief(e)));
  }

  // Map config inputs to forward() arguments.
  const auto& inputs = signature.inputs();
  std::vector<size_t> positions;
  bool by_name = true;
  for (const auto& spec : inputs) {
    auto it = std::find(arguments.begin(), arguments.end(), spec.name);
    if (it == arguments.end()) {
      by_name = false;
      break;
    }
    positions.push_back(it - arguments.begin());
  }
  if (!by_name) {
    positions.clear();
    for (const auto& spec : inputs) {
      std::optional<size_t> index = IndexSuffix(spec.name);
      if (!index) {
        return absl::InvalidArgumentError(StrCat(
            "input \"", spec.name, "\" is neither an argument of forward(",
            absl::StrJoin(arguments, ", "),
            ") nor named by Triton's NAME__<index> convention"));
      }
      if (*index >= arguments.size()) {
        return absl::InvalidArgumentError(StrCat(
            "input \"", spec.name, "\" maps to argument ", *index,
            " but forward() takes ", arguments.size()));
      }
      positions.push_back(*index);
    }
  }
  if (inputs.size() < required || inputs.size() > arguments.size()) {
    return absl::InvalidArgumentError(StrCat(
        "forward(", absl::StrJoin(arguments, ", "), ") takes ", required,
        " required arguments but the config declares ", inputs.size(),
        " inputs"));
  }

  // The argument types say what each input must be: a Tensor for numbers,
  // List[str] for BYTES.
  for (size_t i = 0; i < inputs.size(); ++i) {
    c10::TypePtr type = argument_types[positions[i]];
    if (auto optional = type->cast<c10::OptionalType>()) type = optional->getElementType();
    const bool wants_strings =
        type->isSubtypeOf(*c10::ListType::create(c10::StringType::get()));
    const bool wants_tensor = type->isSubtypeOf(*c10::TensorType::get());
    const bool is_bytes = inputs[i].dtype == DataType::kBytes;
    if ((is_bytes && !wants_strings) || (!is_bytes && !wants_tensor)) {
      return absl::InvalidArgumentError(StrCat(
          "input \"", inputs[i].name, "\" is ", DataTypeName(inputs[i].dtype),
          " in the config but forward() argument \"", arguments[positions[i]],
          "\" is ", type->annotation_str(),
          is_bytes ? " (BYTES needs List[str])" : " (numeric inputs need Tensor)"));
    }
  }

  auto instance = std::make_unique<TorchScriptInstance>(
      std::move(module), signature, std::move(positions), arguments.size());
  // Check the outputs against the config on a zero input. A model that
  // cannot run on zeros (say, it needs valid token ids) is still loaded; a
  // model whose outputs disagree with the config is not.
  absl::StatusOr<c10::IValue> probe = instance->Run(ProbeInputs(signature));
  if (probe.ok()) {
    absl::StatusOr<std::vector<Tensor>> mapped = instance->MapOutputs(*probe);
    if (!mapped.ok()) {
      return absl::InvalidArgumentError(
          StrCat("model disagrees with its config: ", mapped.status().message()));
    }
  } else {
    spdlog::warn("model {}: load-time probe on zero inputs failed ({}); "
                 "outputs are checked on the first request",
                 config.name(), probe.status().message());
  }
  return instance;
}

}  // namespace inferd
