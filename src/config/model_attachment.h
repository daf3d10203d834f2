#pragma once

// What a server component builds for each loaded model version from its
// config and keeps beside the version for its lifetime: today the task
// pipeline (tokenizer, labels, task settings) that `:predict` uses. The
// repository builds it through ModelRepository::Options::attach at load
// time, so a bad task setting fails the load; core code never looks inside.
// It lives in config/ so that pipelines/ can implement it without depending
// on repository/. Must be thread-safe for const use.

namespace inferd {

class ModelAttachment {
 public:
  virtual ~ModelAttachment() = default;
};

}  // namespace inferd
