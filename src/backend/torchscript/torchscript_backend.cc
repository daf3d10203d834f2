#include "backend/torchscript/torchscript_backend.h"

#include "backend/torchscript/string_output.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>

#include <cctype>
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

// Whether `line` opens with an exception class and a colon, as libtorch
// writes the error under a TorchScript traceback: "RuntimeError: ...",
// "builtins.ValueError: ...".
bool NamesAnError(std::string_view line) {
  const size_t colon = line.find(": ");
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view name = line.substr(0, colon);
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '.') return false;
  }
  return name.ends_with("Error") || name.ends_with("Exception");
}

// The line of a libtorch error that says what went wrong. Usually the first
// (the rest is a C++ backtrace); but an error inside TorchScript code opens
// with "The following operation failed in the TorchScript interpreter.",
// then one or two tracebacks whose code lines end at a "<--- HERE" marker,
// and names the error after the last of them: "RuntimeError: index out of
// range in self".
std::string Brief(const std::exception& e) {
  const std::string_view what = e.what();
  std::vector<std::string_view> lines;
  for (size_t start = 0; start <= what.size();) {
    const size_t end = std::min(what.find('\n', start), what.size());
    lines.push_back(what.substr(start, end - start));
    start = end + 1;
  }
  constexpr std::string_view kInterpreter = "The following operation failed in the TorchScript";
  if (lines[0].starts_with(kInterpreter)) {
    size_t from = 1;
    for (size_t i = 1; i < lines.size(); ++i) {
      if (lines[i].find("<--- HERE") != std::string_view::npos) from = i + 1;
    }
    for (size_t i = from; i < lines.size(); ++i) {
      if (NamesAnError(lines[i])) return std::string(lines[i]);
    }
  }
  return std::string(lines[0]);
}

// Whether a libtorch error blames the values of the inputs (which already
// matched the model's signature in dtype and shape): an index computed from
// them fell outside a tensor (an embedding given an id past its table,
// index_select, gather), or the model's own code refused them with
// `raise ValueError(...)` / `raise IndexError(...)`. A client mistake, so a
// 400; any other error inside the model is the model's, a 500.
bool BlamesInputValues(std::string_view brief) {
  if (brief.starts_with("builtins.")) brief.remove_prefix(9);
  return brief.starts_with("ValueError") || brief.starts_with("IndexError") ||
         brief.find("index out of range") != std::string_view::npos ||
         brief.find("out of bounds for dimension") != std::string_view::npos;
}

// An input that forward() hands straight to an embedding lookup, and the
// number of rows of that embedding: ids outside [0, rows) fail inside
// libtorch with an error that names no input.
struct IdInput {
  size_t input = 0;  // config order
  int64_t rows = 0;
  std::string table;  // "embed.weight", for messages
};

// Follows `value` back through ops that keep the ids as they are.
const torch::jit::Value* ThroughIdentityOps(const torch::jit::Value* value) {
  // Not aten::to: a cast to a narrower type could wrap an id into range.
  static const std::vector<c10::Symbol> kIdentity = {
      c10::Symbol::fromQualString("aten::contiguous"),
      c10::Symbol::fromQualString("aten::clone")};
  while (std::find(kIdentity.begin(), kIdentity.end(), value->node()->kind()) !=
         kIdentity.end()) {
    value = value->node()->inputs()[0];
  }
  return value;
}

// The embedding lookups of forward() whose ids are a forward() argument, as
// far as the inlined graph shows them (nn.Embedding and F.embedding on an
// attribute of the module). Best effort: a lookup the graph does not show
// this plainly is left to libtorch's own error.
std::vector<IdInput> FindIdInputs(const torch::jit::Module& module,
                                  const std::vector<size_t>& argument_positions) {
  std::vector<IdInput> found;
  std::shared_ptr<torch::jit::Graph> graph = module.get_method("forward").graph()->copy();
  torch::jit::Inline(*graph);
  const c10::Symbol kEmbedding = c10::Symbol::fromQualString("aten::embedding");
  const c10::Symbol kGetAttr = c10::Symbol::fromQualString("prim::GetAttr");
  const c10::Symbol kParam = c10::Symbol::fromQualString("prim::Param");
  std::vector<torch::jit::Block*> blocks = {graph->block()};
  while (!blocks.empty()) {
    torch::jit::Block* block = blocks.back();
    blocks.pop_back();
    for (torch::jit::Node* node : block->nodes()) {
      for (torch::jit::Block* inner : node->blocks()) blocks.push_back(inner);
      if (node->kind() != kEmbedding || node->inputs().size() < 2) continue;
      const torch::jit::Value* ids = ThroughIdentityOps(node->inputs()[1]);
      if (ids->node()->kind() != kParam || ids->offset() == 0) continue;  // 0 is self
      const size_t argument = ids->offset() - 1;
      auto position = std::find(argument_positions.begin(), argument_positions.end(), argument);
      if (position == argument_positions.end()) continue;
      // The table: self.a.b.weight, a chain of attribute reads from self.
      std::vector<std::string> path;
      const torch::jit::Value* table = node->inputs()[0];
      while (table->node()->kind() == kGetAttr) {
        path.insert(path.begin(), table->node()->s(c10::Symbol::attr("name")));
        table = table->node()->inputs()[0];
      }
      if (path.empty() || table != graph->inputs()[0]) continue;
      torch::jit::Object object = module;
      c10::IValue attribute;
      bool resolved = true;
      for (size_t i = 0; i < path.size() && resolved; ++i) {
        resolved = object.hasattr(path[i]);
        if (!resolved) break;
        attribute = object.attr(path[i]);
        if (i + 1 < path.size()) {
          resolved = attribute.isObject();
          if (resolved) object = torch::jit::Object(attribute.toObject());
        }
      }
      if (!resolved || !attribute.isTensor() || attribute.toTensor().dim() != 2) continue;
      IdInput id;
      id.input = static_cast<size_t>(position - argument_positions.begin());
      id.rows = attribute.toTensor().size(0);
      id.table = absl::StrJoin(path, ".");
      auto same = std::find_if(found.begin(), found.end(),
                               [&](const IdInput& f) { return f.input == id.input; });
      if (same == found.end()) {
        found.push_back(std::move(id));
      } else if (id.rows < same->rows) {
        *same = std::move(id);
      }
    }
  }
  return found;
}

// The first id of `t` (INT64 or INT32) outside [0, rows), if any.
std::optional<int64_t> IdOutside(const Tensor& t, int64_t rows) {
  const int64_t n = t.element_count();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t id = t.dtype == DataType::kInt64 ? t.data_as<int64_t>()[i]
                                                   : int64_t{t.data_as<int32_t>()[i]};
    if (id < 0 || id >= rows) return id;
  }
  return std::nullopt;
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
  TorchScriptInstance(std::string model_name, torch::jit::Module module,
                      const ModelSignature& signature,
                      std::vector<size_t> argument_positions, size_t argument_count,
                      std::vector<IdInput> id_inputs)
      : model_name_(std::move(model_name)),
        module_(std::move(module)),
        signature_(signature),
        argument_positions_(std::move(argument_positions)),
        argument_count_(argument_count),
        output_positions_(PositionsByConvention(signature.outputs())),
        id_inputs_(std::move(id_inputs)) {}

  absl::StatusOr<std::vector<Tensor>> Execute(
      const std::vector<Tensor>& inputs) override {
    INFERD_RETURN_IF_ERROR(CheckIds(inputs));
    INFERD_ASSIGN_OR_RETURN(c10::IValue result, Run(inputs));
    absl::StatusOr<std::vector<Tensor>> outputs = MapOutputs(result, inputs);
    if (!outputs.ok()) {
      // The model broke its own config: a server-side fault (500), never
      // the client's; the text names the model for whoever reads the log.
      return absl::InternalError(StrCat("model \"", model_name_,
                                        "\" disagrees with its config: ",
                                        outputs.status().message()));
    }
    return outputs;
  }

  // Runs forward() on `inputs`; errors carry the line of libtorch's message
  // that names the error. InvalidArgument when that error is an index the
  // input values put out of range, Internal otherwise.
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
      std::string brief = Brief(e);
      if (brief.starts_with("builtins.")) brief.erase(0, 9);
      if (BlamesInputValues(brief)) {
        return absl::InvalidArgumentError(
            StrCat("model rejected the input values: ", brief, IntegerInputsHint()));
      }
      return absl::InternalError(StrCat("model execution failed: ", brief));
    }
  }

  // Matches the returned value to the config outputs (`inputs` give the
  // batch rows and element-wise shapes of BYTES outputs). Internal when the
  // model's return disagrees with its config.
  absl::StatusOr<std::vector<Tensor>> MapOutputs(const c10::IValue& result,
                                                 const std::vector<Tensor>& inputs) {
    const auto& specs = signature_.outputs();
    std::vector<c10::IValue> values(specs.size());
    if (result.isTensor() || (result.isList() && IsStringList(result)) ||
        (specs.size() == 1 && specs[0].dtype == DataType::kBytes && result.isList())) {
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
      INFERD_ASSIGN_OR_RETURN(Tensor out, ToTensor(values[i], specs[i], inputs));
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
    return absl::InternalError(std::move(what));
  }

  // Ids fed to an embedding must be rows of it; checked here so the error
  // names the input and the id instead of libtorch's "index out of range in
  // self".
  absl::Status CheckIds(const std::vector<Tensor>& inputs) const {
    for (const IdInput& id : id_inputs_) {
      if (id.input >= inputs.size()) continue;
      const Tensor& t = inputs[id.input];
      if (t.dtype != DataType::kInt64 && t.dtype != DataType::kInt32) continue;
      if (std::optional<int64_t> bad = IdOutside(t, id.rows)) {
        return absl::InvalidArgumentError(
            StrCat("input \"", signature_.inputs()[id.input].name, "\": id ", *bad,
                   " is outside [0, ", id.rows, "), the rows of the model's embedding ",
                   id.table));
      }
    }
    return absl::OkStatus();
  }

  // " (check the values of input \"ids\")": the integer inputs, one of
  // which most likely holds the index libtorch refused.
  std::string IntegerInputsHint() const {
    std::vector<std::string> names;
    for (const TensorSpec& spec : signature_.inputs()) {
      if (spec.dtype == DataType::kInt64 || spec.dtype == DataType::kInt32 ||
          spec.dtype == DataType::kInt16 || spec.dtype == DataType::kInt8 ||
          spec.dtype == DataType::kUint8) {
        names.push_back(StrCat("\"", spec.name, "\""));
      }
    }
    if (names.empty()) return "";
    return StrCat(" (check the values of input", names.size() > 1 ? "s " : " ",
                  absl::StrJoin(names, ", "), ")");
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

  absl::StatusOr<Tensor> ToTensor(const c10::IValue& value, const TensorSpec& spec,
                                  const std::vector<Tensor>& inputs) const {
    Tensor out;
    out.dtype = spec.dtype;
    if (spec.dtype == DataType::kBytes) {
      return StringOutput(value, spec.name, signature_.ClientShape(spec), signature_.batched(),
                          inputs);
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

  std::string model_name_;
  torch::jit::Module module_;
  const ModelSignature& signature_;
  std::vector<size_t> argument_positions_;
  size_t argument_count_;
  std::vector<size_t> output_positions_;
  std::vector<IdInput> id_inputs_;
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
  // A List[str] has no shape to reshape: the declared dims give BYTES
  // tensors their shape, so a reshape on one cannot be honoured.
  for (const auto* specs : {&signature.inputs(), &signature.outputs()}) {
    for (const auto& spec : *specs) {
      if (spec.dtype == DataType::kBytes && spec.reshape) {
        return absl::InvalidArgumentError(
            StrCat(specs == &signature.inputs() ? "input \"" : "output \"", spec.name,
                   "\": reshape is not supported for TYPE_STRING (BYTES) tensors; their "
                   "dims give their shape"));
      }
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

  std::vector<IdInput> id_inputs;
  try {
    id_inputs = FindIdInputs(module, positions);
  } catch (const std::exception& e) {
    // Only a finer error message is lost: libtorch still refuses bad ids.
    spdlog::warn("model {}: could not inspect forward() for embedding lookups: {}",
                 config.name(), Brief(e));
  }
  for (const IdInput& id : id_inputs) {
    spdlog::debug("model {}: input \"{}\" indexes embedding {} ({} rows)", config.name(),
                  inputs[id.input].name, id.table, id.rows);
  }
  auto instance = std::make_unique<TorchScriptInstance>(
      config.name(), std::move(module), signature, std::move(positions), arguments.size(),
      std::move(id_inputs));
  // Check the outputs against the config on a zero input. A model that
  // cannot run on zeros (say, it needs valid token ids) is still loaded; a
  // model whose outputs disagree with the config is not.
  const std::vector<Tensor> probe_inputs = ProbeInputs(signature);
  absl::StatusOr<c10::IValue> probe = instance->Run(probe_inputs);
  if (probe.ok()) {
    absl::StatusOr<std::vector<Tensor>> mapped = instance->MapOutputs(*probe, probe_inputs);
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
