#include "pipelines/task/task_registry.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_join.h"
#include "common/strings.h"

namespace inferd::pipelines {

void TaskRegistry::Register(std::string task, Factory factory) {
  if (!factories_.emplace(task, std::move(factory)).second) {
    std::fprintf(stderr, "task \"%s\" registered twice\n", task.c_str());
    std::abort();
  }
}

std::vector<std::string> TaskRegistry::tasks() const {
  std::vector<std::string> names;
  for (const auto& [name, factory] : factories_) names.push_back(name);
  return names;
}

absl::StatusOr<std::unique_ptr<TaskPipeline>> TaskRegistry::Create(
    const TaskContext& context) const {
  const auto& parameters = context.config->parameters();
  auto it = parameters.find("task");
  if (it == parameters.end()) return std::unique_ptr<TaskPipeline>();
  const std::string& task = it->second.string_value();
  auto factory = factories_.find(task);
  if (factory == factories_.end()) {
    return absl::InvalidArgumentError(
        StrCat("parameters[\"task\"]: unknown task \"", task,
               "\"; known tasks: ", absl::StrJoin(tasks(), ", ")));
  }
  absl::StatusOr<std::unique_ptr<TaskPipeline>> pipeline = factory->second(context);
  if (!pipeline.ok()) {
    return absl::Status(pipeline.status().code(),
                        StrCat("task \"", task, "\": ", pipeline.status().message()));
  }
  return pipeline;
}

}  // namespace inferd::pipelines
