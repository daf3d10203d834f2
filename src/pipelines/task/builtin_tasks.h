#pragma once

// Registers every task inferd ships. The one place a new task is added.

#include "pipelines/task/task_registry.h"

namespace inferd::pipelines {

void RegisterBuiltinTasks(TaskRegistry& registry);

}  // namespace inferd::pipelines
