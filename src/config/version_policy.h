#pragma once

// Picks which version folders of a model to serve, as Triton's
// version_policy does: the latest N, all, or a specific list.

#include <cstdint>
#include <vector>

#include "config/model_config.pb.h"

namespace inferd {

// `available` are the numeric version folders found on disk (any order).
// Returns the versions to load, ascending. Specific versions that are not on
// disk are skipped (the caller reports them).
std::vector<int64_t> SelectVersions(const config::ModelVersionPolicy& policy,
                                    std::vector<int64_t> available);

}  // namespace inferd
