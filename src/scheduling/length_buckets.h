#pragma once

// Dynamic padding's other half: a batch of requests padded to its longest
// member wastes the padding's compute, and a transformer's cost grows faster
// than linearly with length. When the scheduler joins padded requests of
// very different lengths (say eight 6-token sentences and eight 60-token
// ones), running them as two batches, the short ones padded to 6 and the
// long ones to 60, is cheaper than one batch padded to 60 everywhere.
//
// SplitByLength decides that split on the padded work alone (rows x the
// longest length in the group): members sorted by length are cut where the
// padded work is least; a cut is made only if it saves at least
// `min_saving` of its group's work and leaves `min_rows` rows on each side
// (a split costs one more model execution, so small batches stay whole).
// Greedily, the group whose cut saves the most goes first, up to
// `max_groups` groups. Pure function; no threads.

#include <cstddef>
#include <cstdint>
#include <vector>

namespace inferd {

struct LengthItem {
  int64_t rows = 1;    // rows the request adds to the batch
  int64_t length = 0;  // its padded size: elements per row past dim 0
};

struct LengthSplitOptions {
  double min_saving = 0.3;  // share of the padded work a cut must save
  int64_t min_rows = 4;     // rows each side of a cut keeps at least
  size_t max_groups = 4;
};

// Groups of indices into `items`, shortest group first; within a group,
// indices by increasing length (ties in input order). One group when no cut
// pays.
std::vector<std::vector<size_t>> SplitByLength(const std::vector<LengthItem>& items,
                                               const LengthSplitOptions& options = {});

}  // namespace inferd
