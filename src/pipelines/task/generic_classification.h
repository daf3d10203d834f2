#pragma once

// The generic `classification` task: numeric or id features in, the top-k
// labels of a catalog with their metadata out. The seed's movie recommender
// has this shape: a user id in, the k best movies with title, genres and
// score out; a tabular classifier (features in, classes out) is the same
// with a labels.txt.
//
// config.pbtxt parameters (strings):
//   task               "classification"
//   labels             the catalog (item_catalog.h: .json items, .csv rows,
//                      or one label per line), in output order; default
//                      LABEL_0, LABEL_1, ...
//   top_k              default number of results (default 5)
//   function_to_apply  none (default) | softmax | sigmoid
//   output             the scores output (default: the model's first)
//   input_min, input_max  the values the input takes (e.g. user ids
//                      0..499): an instance outside is answered in place
//                      with an error instead of reaching the model, where
//                      it would fail the whole batch (default: unbounded)
// Model: one input, INT32/INT64/FP32/FP64, dims [ n ] (n fixed); one output
// of scores, dims [ num_labels ], FP32.
//
// Instances: a number (when n is 1), a list of n numbers, or an object
// {"<input name>": number or list}. Request parameters: top_k (1..labels),
// exclude (a list of item ids, e.g. movies the user has seen: never
// returned; an id not in the catalog is an error). The prediction is a list,
// best first, of each item's catalog object plus "score".
// Thread-safe (immutable).

#include <string>
#include <memory>
#include <vector>

#include "pipelines/task/item_catalog.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd::pipelines {

class GenericClassification : public TaskPipeline {
 public:
  enum class Function { kNone, kSoftmax, kSigmoid };

  static absl::StatusOr<std::unique_ptr<TaskPipeline>> Create(const TaskContext& context);

  std::string_view task() const override { return "classification"; }
  absl::StatusOr<std::unique_ptr<TaskParameters>> ParseParameters(
      const boost::json::object* parameters) const override;
  absl::StatusOr<Features> Preprocess(const TaskInstance& instance,
                                      const TaskParameters& parameters) const override;
  absl::StatusOr<boost::json::value> Postprocess(
      const Features& features, const std::vector<Tensor>& outputs,
      const TaskParameters& parameters) const override;

  const ItemCatalog& catalog() const { return catalog_; }

 private:
  GenericClassification() = default;

  // InvalidArgument naming `where` when `value` is outside the input range.
  absl::Status CheckRange(const boost::json::value& value, const std::string& where) const;

  ItemCatalog catalog_;
  std::string input_name_;
  double input_min_ = 0;
  double input_max_ = 0;
  DataType input_dtype_ = DataType::kInt64;
  int64_t input_width_ = 1;
  size_t output_index_ = 0;
  int64_t top_k_ = 5;
  Function function_ = Function::kNone;
};

}  // namespace inferd::pipelines
