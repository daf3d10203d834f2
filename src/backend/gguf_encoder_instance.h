#pragma once

// A ModelInstance that runs a GGUF encoder (llm::EncoderModel: bert,
// nomic-bert) for the feature-extraction task, so embedding GGUFs are
// batched, cached and served like the TorchScript embedders.
//
// Inputs, config order: input_ids [B, S] and attention_mask [B, S] (INT64
// or INT32; the mask may be absent: every token counts). Output: the token
// states [B, S, D] FP32, zero at masked positions; the pipeline pools them.
// A row's tokens are those whose mask is non-zero, positions counted from
// 0 among them, so right padding never changes a text's states.
//
// Thread-compatible (one executor thread drives an instance); it owns the
// thread pool its forward passes split over.

#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "backend/backend.h"
#include "backend/llm/encoder.h"
#include "backend/llm/encoder_model.h"
#include "common/thread_pool.h"

namespace inferd {

class GgufEncoderInstance : public ModelInstance {
 public:
  // `threads`: compute threads of this instance (the executor thread among
  // them); 0: every hardware thread.
  GgufEncoderInstance(std::shared_ptr<const llm::EncoderModel> model, int threads);

  absl::StatusOr<std::vector<Tensor>> Execute(const std::vector<Tensor>& inputs) override;

 private:
  std::shared_ptr<const llm::EncoderModel> model_;
  ThreadPool pool_;
  llm::Encoder encoder_;
  std::vector<float> states_;
};

}  // namespace inferd
