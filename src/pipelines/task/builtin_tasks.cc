#include "pipelines/task/builtin_tasks.h"

#include "pipelines/task/text_classification.h"

namespace inferd::pipelines {

// One line per task (see task_pipeline.h, "Adding a task").
void RegisterBuiltinTasks(TaskRegistry& registry) {
  registry.Register("text-classification", &TextClassification::Create);
}

}  // namespace inferd::pipelines
