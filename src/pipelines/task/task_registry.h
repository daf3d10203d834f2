#pragma once

// Task name -> factory, and the one entry point the server uses to build a
// model's pipeline at load time from `parameters { key: "task" ... }`.
//
// Filled once at startup (RegisterBuiltinTasks in builtin_tasks.h), then
// read-only: Create() is thread-safe.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd::pipelines {

class TaskRegistry {
 public:
  using Factory =
      std::function<absl::StatusOr<std::unique_ptr<TaskPipeline>>(const TaskContext&)>;

  // Registering a name twice is a bug (aborts).
  void Register(std::string task, Factory factory);

  // The pipeline the model's config asks for; nullptr when the config has no
  // `task` parameter (a tensor-only model). InvalidArgument for an unknown
  // task (listing the known ones) or whatever the task's factory rejects.
  absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(const TaskContext& context) const;

  std::vector<std::string> tasks() const;

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace inferd::pipelines
