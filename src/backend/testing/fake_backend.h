#pragma once

// A Backend for tests: "loads" a version folder that holds `model.fake` and
// runs a test-supplied function instead of a model.
//
// The file's content steers loading, so a test repository can hold broken
// models without any real model format:
//   missing file           -> NotFound naming the file
//   content starts "corrupt" -> InvalidArgument "model.fake is corrupt"
//   anything else          -> an instance running `execute`
// Records what it loaded. Thread-safe.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "backend/backend.h"
#include "backend/testing/fake_model_instance.h"
#include "common/strings.h"

namespace inferd::testing {

class FakeBackend : public Backend {
 public:
  static constexpr const char* kModelFile = "model.fake";

  explicit FakeBackend(FakeModelInstance::ExecuteFn execute = AddSub)
      : execute_(std::move(execute)) {}

  absl::StatusOr<std::unique_ptr<ModelInstance>> CreateInstance(
      const ModelLoadContext& context) override {
    const std::string path = context.version_dir + "/" + kModelFile;
    std::ifstream file(path);
    if (!file) {
      return absl::NotFoundError(StrCat("model file ", path, " is missing"));
    }
    std::stringstream content;
    content << file.rdbuf();
    if (content.str().rfind("corrupt", 0) == 0) {
      return absl::InvalidArgumentError(StrCat(path, " is corrupt"));
    }
    absl::MutexLock lock(&mu_);
    loads_.push_back(Load{context.version_dir, context.instance_index,
                          context.config != nullptr && context.signature != nullptr});
    return std::make_unique<FakeModelInstance>(execute_, context.instance_index);
  }

  struct Load {
    std::string version_dir;
    int instance_index = 0;
    bool had_config_and_signature = false;
  };
  std::vector<Load> loads() const {
    absl::MutexLock lock(&mu_);
    return loads_;
  }

 private:
  const FakeModelInstance::ExecuteFn execute_;
  mutable absl::Mutex mu_;
  std::vector<Load> loads_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd::testing
