#include "pipelines/task/builtin_tasks.h"

#include "pipelines/task/feature_extraction.h"
#include "pipelines/task/generic_classification.h"
#include "pipelines/image/image_classification.h"
#include "pipelines/image/object_detection.h"
#include "pipelines/task/text_classification.h"
#include "pipelines/task/token_classification.h"

namespace inferd::pipelines {

// One line per task (see task_pipeline.h, "Adding a task").
void RegisterBuiltinTasks(TaskRegistry& registry) {
  registry.Register("text-classification", &TextClassification::Create);
  registry.Register("image-classification", &ImageClassification::Create);
  registry.Register("object-detection", &ObjectDetection::Create);
  registry.Register("feature-extraction", &FeatureExtraction::Create);
  registry.Register("token-classification", &TokenClassification::Create);
  registry.Register("classification", &GenericClassification::Create);
}

}  // namespace inferd::pipelines
