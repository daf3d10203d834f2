#include "repository/load_overrides.h"

#include <stdlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "common/strings.h"
#include "config/model_config_loader.h"
#include "google/protobuf/util/json_util.h"

namespace inferd {

namespace fs = std::filesystem;

absl::StatusOr<config::ModelConfig> ConfigFromJson(const std::string& json,
                                                   const std::string& name) {
  config::ModelConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto parsed = google::protobuf::util::JsonStringToMessage(json, &config, options);
  if (!parsed.ok()) {
    return absl::InvalidArgumentError(
        StrCat("load parameters: \"config\" is not a valid model config: ",
               std::string(parsed.message())));
  }
  absl::Status status = CompleteModelConfig(name, config);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        StrCat("load parameters: \"config\": ", status.message()));
  }
  return config;
}

absl::StatusOr<std::unique_ptr<OverrideFolder>> OverrideFolder::Write(
    const std::string& name, const std::map<std::string, std::string>& files) {
  std::string pattern = (fs::temp_directory_path() / ("inferd-load-" + name + "-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return absl::InternalError(StrCat("cannot create a folder for the override files: ",
                                      std::strerror(errno)));
  }
  auto folder = std::unique_ptr<OverrideFolder>(new OverrideFolder(pattern));
  for (const auto& [path, contents] : files) {
    const fs::path relative = fs::path(path).lexically_normal();
    if (path.empty() || relative.is_absolute() || relative.empty() ||
        *relative.begin() == ".." || relative.filename().empty()) {
      return absl::InvalidArgumentError(
          StrCat("load parameters: \"file:", path, "\" must name a file inside the model folder"));
    }
    const fs::path target = fs::path(folder->path()) / relative;
    std::error_code ec;
    fs::create_directories(target.parent_path(), ec);
    std::ofstream out(target, std::ios::binary);
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    if (!out) {
      return absl::InternalError(StrCat("cannot write override file ", path));
    }
  }
  return folder;
}

OverrideFolder::~OverrideFolder() {
  std::error_code ec;
  if (!path_.empty()) fs::remove_all(path_, ec);
}

absl::Status LoadLabels(const config::ModelConfig& config, const std::string& model_dir,
                        ModelVersion& model) {
  for (const auto& output : config.output()) {
    const std::string& file = output.label_filename();
    if (file.empty()) continue;
    const fs::path relative(file);
    if (relative.is_absolute() ||
        std::find(relative.begin(), relative.end(), fs::path("..")) != relative.end()) {
      return absl::InvalidArgumentError(
          StrCat("output \"", output.name(), "\": label_filename \"", file,
                 "\" must be a path inside the model folder"));
    }
    std::ifstream in(StrCat(model_dir, "/", file));
    if (!in) {
      return absl::NotFoundError(StrCat("output \"", output.name(), "\": label_filename \"",
                                        file, "\" is missing from the model folder"));
    }
    std::vector<std::string> labels;
    for (std::string line; std::getline(in, line);) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      labels.push_back(std::move(line));
    }
    model.set_labels(output.name(), std::move(labels));
  }
  return absl::OkStatus();
}

}  // namespace inferd
