#pragma once

// A Backend for tests: "loads" a version folder that holds `model.fake` and
// runs a test-supplied function instead of a model.
//
// The file's content steers loading, so a test repository can hold broken
// models without any real model format:
//   missing file           -> NotFound naming the file
//   content starts "corrupt" -> InvalidArgument "model.fake is corrupt"
//   anything else          -> an instance running `execute`
// Records what it loaded. A test can hold loads of one version folder at a
// gate (HoldLoadsOf) to look at a model while it is LOADING. Thread-safe.

#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "backend/backend.h"
#include "backend/testing/fake_model_instance.h"
#include "common/strings.h"

namespace inferd::testing {

class FakeBackend : public Backend {
 public:
  static constexpr const char* kModelFile = "model.fake";

  explicit FakeBackend(FakeModelInstance::ExecuteFn execute = AddSub)
      : execute_(std::move(execute)) {}

  // Makes CreateInstance for version folders whose path ends in
  // `version_dir_suffix` (e.g. "/m/1") notify `started` and then wait for
  // `release`. Both are not owned and must outlive the loads.
  void HoldLoadsOf(std::string version_dir_suffix, absl::Notification* started,
                   absl::Notification* release) {
    absl::MutexLock lock(&mu_);
    hold_suffix_ = std::move(version_dir_suffix);
    hold_started_ = started;
    hold_release_ = release;
  }

  absl::StatusOr<std::unique_ptr<ModelInstance>> CreateInstance(
      const ModelLoadContext& context) override {
    absl::Notification* release = nullptr;
    {
      absl::MutexLock lock(&mu_);
      const std::string& dir = context.version_dir;
      if (hold_release_ != nullptr && dir.size() >= hold_suffix_.size() &&
          dir.compare(dir.size() - hold_suffix_.size(), hold_suffix_.size(), hold_suffix_) == 0) {
        if (!hold_started_->HasBeenNotified()) hold_started_->Notify();
        release = hold_release_;
      }
    }
    if (release != nullptr) release->WaitForNotification();
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
  std::string hold_suffix_ ABSL_GUARDED_BY(mu_);
  absl::Notification* hold_started_ ABSL_GUARDED_BY(mu_) = nullptr;
  absl::Notification* hold_release_ ABSL_GUARDED_BY(mu_) = nullptr;
};

}  // namespace inferd::testing
