#pragma once

// What a model load may bring besides the repository folder (Triton's model
// repository extension: a JSON config, files), and the files a config
// points to (output labels). Used by ModelRepository while it loads;
// stateless functions, safe from any thread.

#include <map>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "config/model_config.pb.h"
#include "repository/model_version.h"

namespace inferd {

// A model config sent as JSON with a load request, parsed (Triton's
// snake_case field names, enum names as strings) and completed like a
// config.pbtxt. InvalidArgument naming what is wrong.
absl::StatusOr<config::ModelConfig> ConfigFromJson(const std::string& json,
                                                   const std::string& name);

// A temporary model folder holding the files of a load request; removed
// when destroyed (the model has read what it needs by then).
class OverrideFolder {
 public:
  // Writes `files` (path inside the folder -> contents). InvalidArgument
  // for a path outside the folder ("..", absolute, empty).
  static absl::StatusOr<std::unique_ptr<OverrideFolder>> Write(
      const std::string& name, const std::map<std::string, std::string>& files);
  OverrideFolder(const OverrideFolder&) = delete;
  OverrideFolder& operator=(const OverrideFolder&) = delete;
  ~OverrideFolder();
  const std::string& path() const { return path_; }

 private:
  explicit OverrideFolder(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Reads the label_filename of each output (a path inside the model folder,
// one label a line) into `model`, for the classification extension.
// InvalidArgument for a path outside the folder, NotFound for a missing file.
absl::Status LoadLabels(const config::ModelConfig& config, const std::string& model_dir,
                        ModelVersion& model);

}  // namespace inferd
