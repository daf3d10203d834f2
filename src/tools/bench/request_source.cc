#include "tools/bench/request_source.h"

#include <fstream>
#include <random>
#include <sstream>
#include <utility>

#include "boost/json.hpp"
#include "common/strings.h"
#include "tensor/data_type.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

// Larger bodies would measure JSON parsing of the generator, not the server.
constexpr int64_t kMaxElementsPerInput = int64_t{1} << 24;

struct InputSpec {
  std::string name;
  DataType type;
  std::vector<int64_t> shape;  // concrete
};

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += StrCat(i == 0 ? "" : ",", shape[i]);
  }
  return text + "]";
}

absl::StatusOr<std::vector<int64_t>> ConcreteShape(
    const std::string& name, const std::vector<int64_t>& declared,
    const GenerationOptions& options) {
  auto override_it = options.shapes.find(name);
  if (override_it != options.shapes.end()) {
    const std::vector<int64_t>& given = override_it->second;
    bool agrees = given.size() == declared.size();
    for (size_t i = 0; agrees && i < given.size(); ++i) {
      agrees = declared[i] < 0 || declared[i] == given[i];
    }
    if (!agrees) {
      return absl::InvalidArgumentError(
          StrCat("--shape for input \"", name, "\": model expects ",
                 ShapeText(declared), ", got ", ShapeText(given)));
    }
    return given;
  }
  std::vector<int64_t> shape = declared;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] < 0) {
      shape[i] = i == 0 ? options.batch_size : options.shape_default;
    }
  }
  return shape;
}

absl::StatusOr<std::vector<InputSpec>> ParseInputs(
    const json::value& metadata, const GenerationOptions& options) {
  const json::object* object = metadata.if_object();
  const json::value* inputs = object ? object->if_contains("inputs") : nullptr;
  if (inputs == nullptr || !inputs->is_array() || inputs->as_array().empty()) {
    return absl::InvalidArgumentError(
        "model metadata has no \"inputs\" array to generate requests from");
  }
  std::vector<InputSpec> specs;
  for (const json::value& item : inputs->as_array()) {
    const json::object* input = item.if_object();
    const json::string* name = input && input->if_contains("name")
                                   ? input->at("name").if_string()
                                   : nullptr;
    const json::string* datatype = input && input->if_contains("datatype")
                                       ? input->at("datatype").if_string()
                                       : nullptr;
    const json::array* shape = input && input->if_contains("shape")
                                   ? input->at("shape").if_array()
                                   : nullptr;
    if (name == nullptr || datatype == nullptr || shape == nullptr) {
      return absl::InvalidArgumentError(
          StrCat("model metadata input ", json::serialize(item),
                 ": expected \"name\", \"datatype\" and \"shape\""));
    }
    InputSpec spec;
    spec.name = std::string(*name);
    std::optional<DataType> type =
        DataTypeFromName(std::string_view(*datatype));
    if (!type) {
      return absl::InvalidArgumentError(
          StrCat("input \"", spec.name, "\": unknown datatype \"",
                 std::string_view(*datatype), "\""));
    }
    spec.type = *type;
    std::vector<int64_t> declared;
    for (const json::value& d : *shape) {
      if (!d.is_int64()) {
        return absl::InvalidArgumentError(
            StrCat("input \"", spec.name, "\": shape ", json::serialize(*shape),
                   " holds a non-integer"));
      }
      declared.push_back(d.as_int64());
    }
    auto concrete = ConcreteShape(spec.name, declared, options);
    if (!concrete.ok()) return concrete.status();
    spec.shape = *std::move(concrete);
    int64_t elements = 1;
    for (int64_t d : spec.shape) {
      elements *= d;
      if (elements > kMaxElementsPerInput) {
        return absl::InvalidArgumentError(
            StrCat("input \"", spec.name, "\": shape ", ShapeText(spec.shape),
                   " is too large to generate (over ", kMaxElementsPerInput,
                   " elements)"));
      }
    }
    specs.push_back(std::move(spec));
  }
  for (const auto& [name, shape] : options.shapes) {
    bool known = false;
    for (const InputSpec& spec : specs) known |= spec.name == name;
    if (!known) {
      std::string names;
      for (const InputSpec& spec : specs) {
        names += StrCat(names.empty() ? "" : ", ", spec.name);
      }
      return absl::InvalidArgumentError(
          StrCat("--shape names input \"", name,
                 "\" that the model does not have (inputs: ", names, ")"));
    }
  }
  return specs;
}

// Random values that any model of the datatype accepts: small non-negative
// integers (valid for INT8 and as ids or indices), floats in [0, 1), short
// lowercase strings.
json::value RandomValue(DataType type, std::mt19937_64& rng) {
  switch (type) {
    case DataType::kBool:
      return json::value(static_cast<bool>(rng() & 1));
    case DataType::kBytes: {
      std::string text(8, 'a');
      for (char& c : text) c = static_cast<char>('a' + rng() % 26);
      return json::value(text);
    }
    case DataType::kFp16:
    case DataType::kBf16:
    case DataType::kFp32: {
      // Rounded to 1/1024 so the JSON stays short and every value is exact
      // in FP16.
      const double v = static_cast<double>(rng() % 1024) / 1024.0;
      return json::value(v);
    }
    case DataType::kFp64:
      return json::value(std::uniform_real_distribution<double>(0, 1)(rng));
    default:
      return json::value(static_cast<int64_t>(rng() % 128));
  }
}

std::string GenerateBody(const std::vector<InputSpec>& specs, uint64_t seed) {
  std::mt19937_64 rng(seed);
  json::array inputs;
  for (const InputSpec& spec : specs) {
    int64_t elements = 1;
    json::array shape;
    for (int64_t d : spec.shape) {
      elements *= d;
      shape.emplace_back(d);
    }
    json::array data;
    data.reserve(static_cast<size_t>(elements));
    for (int64_t i = 0; i < elements; ++i) {
      data.push_back(RandomValue(spec.type, rng));
    }
    inputs.push_back(json::object{{"name", spec.name},
                                  {"datatype", DataTypeName(spec.type)},
                                  {"shape", std::move(shape)},
                                  {"data", std::move(data)}});
  }
  return json::serialize(json::object{{"inputs", std::move(inputs)}});
}

}  // namespace

std::string ModelPath(std::string_view base_path, std::string_view model,
                      std::string_view version) {
  std::string path = StrCat(base_path, "/v2/models/", model);
  if (!version.empty()) path += StrCat("/versions/", version);
  return path;
}

absl::StatusOr<RequestSource> RequestSource::FromMetadata(
    std::string_view metadata_json, const GenerationOptions& options,
    std::string target, std::string content_type) {
  boost::system::error_code ec;
  json::value metadata = json::parse(
      json::string_view(metadata_json.data(), metadata_json.size()), ec);
  if (ec) {
    return absl::InvalidArgumentError(
        StrCat("model metadata is not JSON: ", ec.message()));
  }
  auto specs = ParseInputs(metadata, options);
  if (!specs.ok()) return specs.status();

  RequestSource source;
  source.target_ = std::move(target);
  source.content_type_ = std::move(content_type);
  for (int i = 0; i < options.count; ++i) {
    source.bodies_.push_back(
        GenerateBody(*specs, options.seed + static_cast<uint64_t>(i)));
  }
  source.description_ = "generated from metadata:";
  for (size_t i = 0; i < specs->size(); ++i) {
    const InputSpec& spec = (*specs)[i];
    source.description_ +=
        StrCat(i == 0 ? " " : ", ", spec.name, " ", DataTypeName(spec.type),
               " ", ShapeText(spec.shape));
  }
  if (options.count > 1) {
    source.description_ += StrCat(" (", options.count, " distinct bodies)");
  }
  return source;
}

absl::StatusOr<RequestSource> RequestSource::FromFile(
    const std::string& path, bool require_v2_infer, std::string target,
    std::string content_type) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        StrCat("cannot read request body file \"", path, "\""));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  std::string body = std::move(contents).str();
  if (require_v2_infer) {
    boost::system::error_code ec;
    json::value request = json::parse(body, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          StrCat("--input-file \"", path, "\" is not JSON: ", ec.message()));
    }
    const json::object* object = request.if_object();
    if (object == nullptr || !object->contains("inputs") ||
        !object->at("inputs").is_array()) {
      return absl::InvalidArgumentError(
          StrCat("--input-file \"", path,
                 "\" is not a v2 infer request: it needs an \"inputs\" "
                 "array (use --body-file to send any body)"));
    }
  }
  RequestSource source;
  source.target_ = std::move(target);
  source.content_type_ = std::move(content_type);
  source.description_ = StrCat("file ", path, " (", body.size(), " bytes)");
  source.bodies_.push_back(std::move(body));
  return source;
}

absl::StatusOr<RequestSource> RequestSource::FromLines(
    const std::string& path, std::string target, std::string content_type) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(
        StrCat("cannot read --body-lines file \"", path, "\""));
  }
  RequestSource source;
  size_t bytes = 0;
  for (std::string line; std::getline(file, line);) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    bytes += line.size();
    source.bodies_.push_back(std::move(line));
  }
  if (source.bodies_.empty()) {
    return absl::InvalidArgumentError(
        StrCat("--body-lines \"", path, "\" holds no body (one per line)"));
  }
  source.target_ = std::move(target);
  source.content_type_ = std::move(content_type);
  source.description_ = StrCat("file ", path, " (", source.bodies_.size(),
                               " bodies, ", bytes, " bytes)");
  return source;
}

}  // namespace inferd::bench
