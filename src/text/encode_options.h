#pragma once

// Truncation and padding of encodings, with the Rust `tokenizers` crate's
// semantics (the JavaScript reference does neither):
//  - truncation happens before special tokens are added, leaving room for
//    them; LongestFirst shares the cut between a pair, OnlyFirst/OnlySecond
//    cut one side; with a stride, the cut-off tokens come back as
//    overflowing windows that overlap by `stride` tokens;
//  - padding extends to the longest encoding of the batch (dynamic padding)
//    or to a fixed length, optionally up to a multiple, on either side.
//
// Value types and free functions; thread-compatible.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "text/encoding.h"

namespace inferd::text {

enum class Side { kRight, kLeft };

struct TruncationOptions {
  enum class Strategy { kLongestFirst, kOnlyFirst, kOnlySecond };
  size_t max_length = 0;  // 0 disables truncation; counts special tokens
  size_t stride = 0;      // overlap of overflowing windows; < max_length
  Strategy strategy = Strategy::kLongestFirst;
  Side direction = Side::kRight;  // which end is cut
};

struct PaddingOptions {
  enum class Strategy { kNone, kBatchLongest, kFixed };
  Strategy strategy = Strategy::kNone;
  size_t length = 0;              // kFixed only
  size_t pad_to_multiple_of = 0;  // 0: no rounding
  Side direction = Side::kRight;
  int32_t pad_id = 0;
  int32_t pad_type_id = 0;
  std::string pad_token = "[PAD]";
};

struct EncodeOptions {
  bool add_special_tokens = true;
  TruncationOptions truncation;
  PaddingOptions padding;
};

// Cuts `a` and (when non-null) `b` so that, with `added_tokens` special
// tokens, they fit `options.max_length`. Cut-off windows of a single
// sequence go to `overflowing` (pairs report none). InvalidArgument when the
// strategy cannot fit (e.g. OnlySecond without a pair, or the side to cut is
// too short).
absl::Status Truncate(const TruncationOptions& options, size_t added_tokens,
                      Encoding* a, Encoding* b,
                      std::vector<Encoding>* overflowing);

// Pads every encoding (and its overflowing windows) of a batch.
void Pad(const PaddingOptions& options, std::vector<Encoding>* batch);

}  // namespace inferd::text
