#pragma once

// Runs TorchScript (`model.pt`) models through libtorch, the way Triton's
// PyTorch backend does: platform "pytorch_libtorch" / backend "pytorch".
//
// Inputs map to forward() arguments by name, or by index when the config
// names them NAME__<index>. Outputs map from a single tensor, a tuple or list
// (by position, or by NAME__<index>), or a Dict[str, Tensor] (by name).
// BYTES inputs become List[str]; a List[str] output becomes BYTES.
// libtorch headers stay inside this folder (they cost ~40 s per translation
// unit to compile).

#include <memory>

#include "backend/backend.h"

namespace inferd {

class TorchScriptBackend : public Backend {
 public:
  absl::StatusOr<std::unique_ptr<ModelInstance>> CreateInstance(
      const ModelLoadContext& context) override;
};

// Sets libtorch's intra-op thread count once for the process (0 leaves
// libtorch's default, the hardware thread count) and inter-op threads to 1:
// parallelism across requests comes from model instances. When the BLAS
// libtorch calls is OpenBLAS, its own thread pool gets the same count:
// OpenBLAS otherwise starts one worker per core whose threads busy-wait
// (sched_yield) for a while after every matrix product, which burned most of
// a core while idle between requests at --intra-op-threads 1.
void ConfigureTorchThreads(int intra_op_threads);

}  // namespace inferd
