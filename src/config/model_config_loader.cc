#include "config/model_config_loader.h"

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "common/strings.h"
#include "boost/json.hpp"
#include "common/status_macros.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace inferd {
namespace {

namespace json = boost::json;
namespace pb = google::protobuf;

// Far above any real config (Triton's largest examples are a few KiB).
constexpr uintmax_t kMaxConfigBytes = 4u << 20;

class CollectingErrors : public pb::io::ErrorCollector {
 public:
  void AddError(int line, pb::io::ColumnNumber column,
                const std::string& message) override {
    if (!first_.empty()) return;
    // The parser counts from zero; people count from one. Its message may
    // quote a token of the file: a bounded one, so a file that is no config
    // is not echoed at length.
    constexpr size_t kMaxMessage = 200;
    first_ = StrCat("line ", line + 1, ", column ", column + 1, ": ",
                    message.size() > kMaxMessage ? message.substr(0, kMaxMessage) + "..."
                                                 : message);
  }
  const std::string& first() const { return first_; }

 private:
  std::string first_;
};

absl::Status ValidateDims(std::string_view what, std::string_view name,
                          const pb::RepeatedField<int64_t>& dims) {
  for (int64_t d : dims) {
    if (d == 0 || d < -1) {
      return absl::InvalidArgumentError(
          StrCat(what, " \"", name, "\": dims must be positive or -1"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateReshape(std::string_view what, std::string_view name,
                             const pb::RepeatedField<int64_t>& dims,
                             const config::ModelTensorReshape& reshape) {
  int64_t wild_dims = 0, wild_reshape = 0, n_dims = 1, n_reshape = 1;
  for (int64_t d : dims) d == -1 ? ++wild_dims : n_dims *= d;
  for (int64_t d : reshape.shape()) {
    if (d == 0 || d < -1) {
      return absl::InvalidArgumentError(StrCat(
          what, " \"", name, "\": reshape dims must be positive or -1"));
    }
    d == -1 ? ++wild_reshape : n_reshape *= d;
  }
  if (wild_dims != wild_reshape || (wild_dims == 0 && n_dims != n_reshape)) {
    return absl::InvalidArgumentError(StrCat(
        what, " \"", name, "\": reshape has a different element count than dims"));
  }
  return absl::OkStatus();
}

json::value ToJson(const pb::Message& message);

json::value FieldValue(const pb::Message& message,
                       const pb::FieldDescriptor* field, int index) {
  const pb::Reflection* r = message.GetReflection();
  const bool rep = field->is_repeated();
  using FD = pb::FieldDescriptor;
  switch (field->cpp_type()) {
    case FD::CPPTYPE_INT32:
      return rep ? r->GetRepeatedInt32(message, field, index)
                 : r->GetInt32(message, field);
    case FD::CPPTYPE_INT64:
      return rep ? r->GetRepeatedInt64(message, field, index)
                 : r->GetInt64(message, field);
    case FD::CPPTYPE_UINT32:
      return rep ? r->GetRepeatedUInt32(message, field, index)
                 : r->GetUInt32(message, field);
    case FD::CPPTYPE_UINT64:
      return rep ? r->GetRepeatedUInt64(message, field, index)
                 : r->GetUInt64(message, field);
    case FD::CPPTYPE_DOUBLE:
      return rep ? r->GetRepeatedDouble(message, field, index)
                 : r->GetDouble(message, field);
    case FD::CPPTYPE_FLOAT:
      return rep ? r->GetRepeatedFloat(message, field, index)
                 : r->GetFloat(message, field);
    case FD::CPPTYPE_BOOL:
      return rep ? r->GetRepeatedBool(message, field, index)
                 : r->GetBool(message, field);
    case FD::CPPTYPE_ENUM:
      return json::string(rep ? r->GetRepeatedEnum(message, field, index)->name()
                              : r->GetEnum(message, field)->name());
    case FD::CPPTYPE_STRING:
      return json::string(rep ? r->GetRepeatedString(message, field, index)
                              : r->GetString(message, field));
    case FD::CPPTYPE_MESSAGE:
      return ToJson(rep ? r->GetRepeatedMessage(message, field, index)
                        : r->GetMessage(message, field));
  }
  return nullptr;
}

// Like Triton's config output: scalar fields always appear (a client reads
// config["max_batch_size"] even when it is 0); unset messages and oneof
// members do not.
json::value ToJson(const pb::Message& message) {
  json::object out;
  const pb::Reflection* r = message.GetReflection();
  const pb::Descriptor* descriptor = message.GetDescriptor();
  std::vector<const pb::FieldDescriptor*> fields;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const pb::FieldDescriptor* field = descriptor->field(i);
    if (!field->is_repeated() &&
        (field->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE ||
         field->containing_oneof() != nullptr) &&
        !r->HasField(message, field)) {
      continue;
    }
    fields.push_back(field);
  }
  for (const pb::FieldDescriptor* field : fields) {
    if (field->is_map()) {
      json::object map;
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        const pb::Message& entry = r->GetRepeatedMessage(message, field, i);
        const pb::Descriptor* d = entry.GetDescriptor();
        json::value key = FieldValue(entry, d->FindFieldByName("key"), 0);
        std::string key_text = key.is_string() ? std::string(key.get_string())
                                               : json::serialize(key);
        map[key_text] = FieldValue(entry, d->FindFieldByName("value"), 0);
      }
      out[field->name()] = std::move(map);
    } else if (field->is_repeated()) {
      json::array values;
      for (int i = 0; i < r->FieldSize(message, field); ++i) {
        values.push_back(FieldValue(message, field, i));
      }
      out[field->name()] = std::move(values);
    } else {
      out[field->name()] = FieldValue(message, field, 0);
    }
  }
  return out;
}

}  // namespace

std::optional<DataType> FromConfigDataType(config::DataType type) {
  switch (type) {
    case config::TYPE_BOOL: return DataType::kBool;
    case config::TYPE_UINT8: return DataType::kUint8;
    case config::TYPE_UINT16: return DataType::kUint16;
    case config::TYPE_UINT32: return DataType::kUint32;
    case config::TYPE_UINT64: return DataType::kUint64;
    case config::TYPE_INT8: return DataType::kInt8;
    case config::TYPE_INT16: return DataType::kInt16;
    case config::TYPE_INT32: return DataType::kInt32;
    case config::TYPE_INT64: return DataType::kInt64;
    case config::TYPE_FP16: return DataType::kFp16;
    case config::TYPE_FP32: return DataType::kFp32;
    case config::TYPE_FP64: return DataType::kFp64;
    case config::TYPE_STRING: return DataType::kBytes;
    case config::TYPE_BF16: return DataType::kBf16;
    default: return std::nullopt;
  }
}

absl::StatusOr<config::ModelConfig> ParseModelConfig(std::string_view text,
                                                     std::string_view source) {
  config::ModelConfig config;
  pb::TextFormat::Parser parser;
  CollectingErrors errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(
        StrCat(source, ": ", errors.first().empty() ? "parse error"
                                                          : errors.first()));
  }
  return config;
}

absl::Status CompleteModelConfig(std::string_view model_name,
                                 config::ModelConfig& config) {
  if (config.name().empty()) {
    config.set_name(std::string(model_name));
  } else if (config.name() != model_name) {
    return absl::InvalidArgumentError(
        StrCat("config name \"", config.name(),
                     "\" does not match the model folder \"", model_name, "\""));
  }
  // Triton spells the TorchScript backend two ways; accept both and fill in
  // the other so clients see the usual pair.
  if (config.platform().empty() && config.backend().empty()) {
    return absl::InvalidArgumentError(
        "config sets neither \"platform\" nor \"backend\" (use platform: "
        "\"pytorch_libtorch\" or backend: \"pytorch\")");
  }
  if (config.platform() == "pytorch_libtorch" && config.backend().empty()) {
    config.set_backend("pytorch");
  } else if (config.backend() == "pytorch" && config.platform().empty()) {
    config.set_platform("pytorch_libtorch");
  }
  // A GGUF language model: Triton's generate extension names its tensors
  // text_input and text_output; a config that declares none gets them.
  if (config.platform() == "gguf" || config.backend() == "gguf") {
    config.set_platform("gguf");
    config.set_backend("gguf");
    if (config.input_size() == 0 && config.output_size() == 0) {
      auto* input = config.add_input();
      input->set_name("text_input");
      input->set_data_type(config::TYPE_STRING);
      input->add_dims(1);
      auto* output = config.add_output();
      output->set_name("text_output");
      output->set_data_type(config::TYPE_STRING);
      output->add_dims(1);
    }
    if (config.default_model_filename().empty()) {
      config.set_default_model_filename("model.gguf");
    }
  }
  if (config.max_batch_size() < 0) {
    return absl::InvalidArgumentError("max_batch_size must not be negative");
  }
  if (config.input_size() == 0) {
    return absl::InvalidArgumentError("config declares no input");
  }
  if (config.output_size() == 0) {
    return absl::InvalidArgumentError("config declares no output");
  }
  std::set<std::string> names;
  for (const auto& input : config.input()) {
    if (input.name().empty()) {
      return absl::InvalidArgumentError("an input has no name");
    }
    if (!names.insert("in:" + input.name()).second) {
      return absl::InvalidArgumentError(
          StrCat("input \"", input.name(), "\" is declared twice"));
    }
    if (!FromConfigDataType(input.data_type())) {
      return absl::InvalidArgumentError(
          StrCat("input \"", input.name(), "\": data_type is not set"));
    }
    INFERD_RETURN_IF_ERROR(ValidateDims("input", input.name(), input.dims()));
    if (input.has_reshape()) {
      INFERD_RETURN_IF_ERROR(
          ValidateReshape("input", input.name(), input.dims(), input.reshape()));
    }
  }
  for (const auto& output : config.output()) {
    if (output.name().empty()) {
      return absl::InvalidArgumentError("an output has no name");
    }
    if (!names.insert("out:" + output.name()).second) {
      return absl::InvalidArgumentError(
          StrCat("output \"", output.name(), "\" is declared twice"));
    }
    if (!FromConfigDataType(output.data_type())) {
      return absl::InvalidArgumentError(
          StrCat("output \"", output.name(), "\": data_type is not set"));
    }
    INFERD_RETURN_IF_ERROR(ValidateDims("output", output.name(), output.dims()));
    if (output.has_reshape()) {
      INFERD_RETURN_IF_ERROR(ValidateReshape("output", output.name(),
                                             output.dims(), output.reshape()));
    }
  }
  if (!config.has_version_policy()) {
    config.mutable_version_policy()->mutable_latest()->set_num_versions(1);
  } else if (config.version_policy().has_latest() &&
             config.version_policy().latest().num_versions() == 0) {
    return absl::InvalidArgumentError(
        "version_policy latest num_versions must be at least 1");
  }
  if (config.instance_group_size() == 0) {
    auto* group = config.add_instance_group();
    group->set_count(1);
    group->set_kind(config::ModelInstanceGroup::KIND_CPU);
  }
  for (int i = 0; i < config.instance_group_size(); ++i) {
    auto* group = config.mutable_instance_group(i);
    if (group->name().empty()) {
      group->set_name(StrCat(config.name(), "_", i));
    }
    if (group->kind() == config::ModelInstanceGroup::KIND_GPU ||
        group->gpus_size() > 0) {
      return absl::InvalidArgumentError(StrCat(
          "instance_group \"", group->name(),
          "\": KIND_GPU is not supported, this server runs models on the CPU"));
    }
    // AUTO resolves to CPU; MODEL leaves placement to the model, also CPU.
    if (group->kind() == config::ModelInstanceGroup::KIND_AUTO) {
      group->set_kind(config::ModelInstanceGroup::KIND_CPU);
    }
    if (group->count() == 0) group->set_count(1);
    if (group->count() < 0 || group->count() > 64) {
      return absl::InvalidArgumentError(StrCat(
          "instance_group \"", group->name(), "\": count must be 1..64"));
    }
  }
  if (config.default_model_filename().empty() &&
      config.platform() == "pytorch_libtorch") {
    config.set_default_model_filename("model.pt");
  }
  return absl::OkStatus();
}

absl::StatusOr<config::ModelConfig> LoadModelConfig(const std::string& model_dir,
                                                    std::string_view model_name) {
  const std::string path = model_dir + "/config.pbtxt";
  // Only a regular file of config size is read: a device, FIFO or folder
  // could block, never end or say nothing, and is no config.
  std::error_code ec;
  const std::filesystem::file_status file = std::filesystem::status(path, ec);
  if (!std::filesystem::exists(file)) {
    return absl::NotFoundError(StrCat(path, " not found"));
  }
  if (!std::filesystem::is_regular_file(file)) {
    return absl::InvalidArgumentError("config.pbtxt is not a regular file");
  }
  const uintmax_t size = std::filesystem::file_size(path, ec);
  if (ec || size > kMaxConfigBytes) {
    return absl::InvalidArgumentError(StrCat("config.pbtxt is larger than ",
                                             kMaxConfigBytes >> 20, " MiB"));
  }
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(StrCat(path, " cannot be read"));
  }
  std::stringstream text;
  text << in.rdbuf();
  INFERD_ASSIGN_OR_RETURN(config::ModelConfig config,
                          ParseModelConfig(text.str(), "config.pbtxt"));
  absl::Status status = CompleteModelConfig(model_name, config);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        StrCat("config.pbtxt: ", status.message()));
  }
  return config;
}

std::string ModelConfigToJson(const config::ModelConfig& config) {
  return json::serialize(ToJson(config));
}

}  // namespace inferd
