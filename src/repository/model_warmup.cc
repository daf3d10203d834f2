#include "repository/model_warmup.h"

#include <fstream>
#include <cstring>
#include <random>
#include <sstream>

#include "common/strings.h"
#include "config/model_config_loader.h"

namespace inferd {
namespace {

absl::StatusOr<Tensor> WarmupTensor(const config::ModelWarmup& sample,
                                    const std::string& name,
                                    const config::ModelWarmup::Input& input,
                                    const config::ModelConfig& config,
                                    const std::string& model_dir, std::mt19937& rng) {
  std::optional<DataType> dtype = FromConfigDataType(input.data_type());
  if (!dtype) {
    return absl::InvalidArgumentError(
        StrCat("model_warmup \"", sample.name(), "\" input \"", name, "\": no data_type"));
  }
  Tensor t;
  t.dtype = *dtype;
  if (config.max_batch_size() > 0) t.shape.push_back(std::max<uint32_t>(1, sample.batch_size()));
  for (int64_t d : input.dims()) {
    if (d < 1) {
      return absl::InvalidArgumentError(StrCat("model_warmup \"", sample.name(),
                                               "\" input \"", name,
                                               "\": dims must be positive"));
    }
    t.shape.push_back(d);
  }
  const int64_t count = t.element_count();
  if (count > (64 << 20)) {
    return absl::InvalidArgumentError(
        StrCat("model_warmup \"", sample.name(), "\" input \"", name, "\" is too large"));
  }
  if (t.dtype == DataType::kBytes) {
    t.strings.assign(count, input.random_data() ? "warmup" : "");
    return t;
  }
  const size_t bytes = count * DataTypeSize(t.dtype);
  if (input.has_input_data_file()) {
    // A file name inside warmup/, as in Triton: never a path out of the model.
    const std::string& file_name = input.input_data_file();
    if (file_name.empty() || file_name.front() == '/' ||
        file_name.find("..") != std::string::npos) {
      return absl::InvalidArgumentError(
          StrCat("model_warmup \"", sample.name(), "\": input_data_file \"", file_name,
                 "\" must be a file name inside the model's warmup/ folder"));
    }
    const std::string path = model_dir + "/warmup/" + file_name;
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      return absl::InvalidArgumentError(
          StrCat("model_warmup \"", sample.name(), "\": cannot read ", path));
    }
    std::stringstream content;
    content << file.rdbuf();
    t.data = content.str();
    if (t.data.size() != bytes) {
      return absl::InvalidArgumentError(
          StrCat("model_warmup \"", sample.name(), "\": ", path, " has ", t.data.size(),
                 " bytes, the input needs ", bytes));
    }
    return t;
  }
  t.data.assign(bytes, '\0');
  if (input.random_data()) {
    // Small non-negative values are valid for every type, ids included.
    std::uniform_int_distribution<int> small(0, 1);
    for (int64_t i = 0; i < count; ++i) {
      const int v = small(rng);
      char* at = t.data.data() + i * DataTypeSize(t.dtype);
      switch (t.dtype) {
        case DataType::kFp32: { float f = static_cast<float>(v); std::memcpy(at, &f, 4); break; }
        case DataType::kFp64: { double f = v; std::memcpy(at, &f, 8); break; }
        case DataType::kFp16: case DataType::kBf16: {
          uint16_t one = t.dtype == DataType::kFp16 ? 0x3c00 : 0x3f80;
          uint16_t h = v ? one : 0;
          std::memcpy(at, &h, 2);
          break;
        }
        default: *at = static_cast<char>(v);  // little-endian 0 or 1
      }
    }
  }
  return t;
}

}  // namespace

absl::Status RunWarmup(const config::ModelConfig& config, const std::string& model_dir,
                       ModelInstance& instance) {
  std::mt19937 rng(42);
  for (const config::ModelWarmup& sample : config.model_warmup()) {
    std::vector<Tensor> inputs;
    for (const auto& spec : config.input()) {
      auto it = sample.inputs().find(spec.name());
      if (it == sample.inputs().end()) {
        return absl::InvalidArgumentError(StrCat("model_warmup \"", sample.name(),
                                                 "\" has no input \"", spec.name(), "\""));
      }
      absl::StatusOr<Tensor> t =
          WarmupTensor(sample, spec.name(), it->second, config, model_dir, rng);
      if (!t.ok()) return t.status();
      inputs.push_back(*std::move(t));
    }
    for (uint32_t i = 0; i < std::max<uint32_t>(1, sample.count()); ++i) {
      absl::StatusOr<std::vector<Tensor>> out = instance.Execute(inputs);
      if (!out.ok()) {
        return absl::InvalidArgumentError(StrCat("model_warmup \"", sample.name(),
                                                 "\" failed: ", out.status().message()));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace inferd
