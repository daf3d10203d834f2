#pragma once

// Reads a task's settings from config.pbtxt `parameters` (Triton's
// map<string, {string_value}>), with errors that name the parameter:
//   parameters["max_length"]: expected an integer in 1..8192, got "abc"
// Paths are relative to the model folder and must name a readable file.
// A value type over the config; thread-compatible.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "pipelines/task/task_pipeline.h"

namespace inferd::pipelines {

class TaskSettings {
 public:
  explicit TaskSettings(const TaskContext& context);

  bool has(const std::string& key) const;

  // InvalidArgument when missing.
  absl::StatusOr<std::string> String(const std::string& key) const;
  std::string String(const std::string& key, const std::string& fallback) const;
  // One of `choices`; `fallback` when absent.
  absl::StatusOr<std::string> Choice(const std::string& key,
                                     const std::vector<std::string>& choices,
                                     const std::string& fallback) const;
  absl::StatusOr<int64_t> Int(const std::string& key, int64_t fallback, int64_t min,
                              int64_t max) const;
  absl::StatusOr<double> Double(const std::string& key, double fallback) const;
  absl::StatusOr<bool> Bool(const std::string& key, bool fallback) const;

  // model_dir/value, checked to be a regular file inside the model folder.
  // File() requires the parameter; OptionalFile() gives nullopt when absent.
  absl::StatusOr<std::string> File(const std::string& key) const;
  absl::StatusOr<std::optional<std::string>> OptionalFile(const std::string& key) const;

  // The model output the task reads: the one the "output" parameter names,
  // or the first. InvalidArgument naming the parameter when the model has
  // no such output.
  absl::StatusOr<size_t> OutputIndex(const ModelSignature& signature) const;

 private:
  const std::string* Find(const std::string& key) const;

  const TaskContext& context_;
};

// Reads a labels file: one label per line, empty lines and trailing spaces
// ignored. InvalidArgument naming `key` when unreadable or empty.
absl::StatusOr<std::vector<std::string>> ReadLabelsFile(const std::string& path,
                                                        const std::string& key);

// The index of the input (or output) named `name` in `specs`; -1 if none.
int FindTensor(const std::vector<TensorSpec>& specs, const std::string& name);

}  // namespace inferd::pipelines
