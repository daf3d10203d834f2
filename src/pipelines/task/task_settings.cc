#include "pipelines/task/task_settings.h"

#include <filesystem>
#include <fstream>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "common/strings.h"

namespace inferd::pipelines {
namespace {

std::string Name(const std::string& key) { return StrCat("parameters[\"", key, "\"]"); }

}  // namespace

TaskSettings::TaskSettings(const TaskContext& context) : context_(context) {}

const std::string* TaskSettings::Find(const std::string& key) const {
  const auto& parameters = context_.config->parameters();
  auto it = parameters.find(key);
  return it == parameters.end() ? nullptr : &it->second.string_value();
}

bool TaskSettings::has(const std::string& key) const { return Find(key) != nullptr; }

absl::StatusOr<std::string> TaskSettings::String(const std::string& key) const {
  const std::string* value = Find(key);
  if (value == nullptr || value->empty()) {
    return absl::InvalidArgumentError(StrCat(Name(key), " is required"));
  }
  return *value;
}

std::string TaskSettings::String(const std::string& key,
                                 const std::string& fallback) const {
  const std::string* value = Find(key);
  return value ? *value : fallback;
}

absl::StatusOr<std::string> TaskSettings::Choice(const std::string& key,
                                                 const std::vector<std::string>& choices,
                                                 const std::string& fallback) const {
  const std::string* value = Find(key);
  if (value == nullptr) return fallback;
  for (const std::string& choice : choices) {
    if (*value == choice) return *value;
  }
  return absl::InvalidArgumentError(StrCat(Name(key), ": \"", *value,
                                           "\" is not one of ",
                                           absl::StrJoin(choices, ", ")));
}

absl::StatusOr<int64_t> TaskSettings::Int(const std::string& key, int64_t fallback,
                                          int64_t min, int64_t max) const {
  const std::string* value = Find(key);
  if (value == nullptr) return fallback;
  int64_t parsed;
  if (!absl::SimpleAtoi(ToAbsl(*value), &parsed) || parsed < min || parsed > max) {
    return absl::InvalidArgumentError(StrCat(Name(key), ": expected an integer in ", min,
                                             "..", max, ", got \"", *value, "\""));
  }
  return parsed;
}

absl::StatusOr<double> TaskSettings::Double(const std::string& key,
                                            double fallback) const {
  const std::string* value = Find(key);
  if (value == nullptr) return fallback;
  double parsed;
  if (!absl::SimpleAtod(ToAbsl(*value), &parsed) || !std::isfinite(parsed)) {
    return absl::InvalidArgumentError(
        StrCat(Name(key), ": expected a number, got \"", *value, "\""));
  }
  return parsed;
}

absl::StatusOr<bool> TaskSettings::Bool(const std::string& key, bool fallback) const {
  const std::string* value = Find(key);
  if (value == nullptr) return fallback;
  if (*value == "true") return true;
  if (*value == "false") return false;
  return absl::InvalidArgumentError(
      StrCat(Name(key), ": expected true or false, got \"", *value, "\""));
}

absl::StatusOr<std::optional<std::string>> TaskSettings::OptionalFile(
    const std::string& key) const {
  const std::string* value = Find(key);
  if (value == nullptr) return std::optional<std::string>();
  if (value->empty() || value->front() == '/' || value->find("..") != std::string::npos) {
    return absl::InvalidArgumentError(StrCat(
        Name(key), ": \"", *value, "\" must be a file name inside the model folder"));
  }
  std::string path = StrCat(context_.model_dir, "/", *value);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return absl::InvalidArgumentError(
        StrCat(Name(key), ": file \"", *value, "\" is not in the model folder"));
  }
  return std::optional<std::string>(std::move(path));
}

absl::StatusOr<std::string> TaskSettings::File(const std::string& key) const {
  absl::StatusOr<std::optional<std::string>> path = OptionalFile(key);
  if (!path.ok()) return path.status();
  if (!path->has_value()) {
    return absl::InvalidArgumentError(StrCat(Name(key), " is required"));
  }
  return **path;
}

absl::StatusOr<std::vector<std::string>> ReadLabelsFile(const std::string& path,
                                                        const std::string& key) {
  std::ifstream in(path);
  if (!in) {
    return absl::InvalidArgumentError(StrCat(Name(key), ": cannot read ", path));
  }
  std::vector<std::string> labels;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view stripped = absl::StripAsciiWhitespace(line);
    if (!stripped.empty()) labels.emplace_back(stripped);
  }
  if (labels.empty()) {
    return absl::InvalidArgumentError(StrCat(Name(key), ": ", path, " has no labels"));
  }
  return labels;
}

absl::StatusOr<size_t> TaskSettings::OutputIndex(const ModelSignature& signature) const {
  if (!has("output")) return 0;
  absl::StatusOr<std::string> name = String("output");
  if (!name.ok()) return name.status();
  const int index = FindTensor(signature.outputs(), *name);
  if (index < 0) {
    return absl::InvalidArgumentError(
        StrCat("parameters[\"output\"]: the model has no output \"", *name, "\""));
  }
  return static_cast<size_t>(index);
}

int FindTensor(const std::vector<TensorSpec>& specs, const std::string& name) {
  for (size_t i = 0; i < specs.size(); ++i) {
    if (specs[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

}  // namespace inferd::pipelines
