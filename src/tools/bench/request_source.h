#pragma once

// The requests `inferd bench` sends: one POST target and one or more bodies,
// sent round-robin. Bodies come from a file as they are, or are generated as
// KServe v2 infer requests from the model's metadata (GET /v2/models/M):
// random data of each input's datatype and shape, with -1 dimensions filled
// in from the options.
//
// Immutable once built, so any number of threads may read it.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace inferd::bench {

struct GenerationOptions {
  int64_t batch_size = 1;     // a leading -1 dimension
  int64_t shape_default = 1;  // every other -1 dimension
  // Full shapes by input name; they win over the metadata's shape when its
  // rank and fixed dimensions agree.
  std::map<std::string, std::vector<int64_t>> shapes;
  int count = 1;  // distinct bodies
  uint64_t seed = 1;
};

class RequestSource {
 public:
  // Bodies generated from the text of a v2 model metadata response. Errors
  // name the input and the problem (unknown datatype, bad --shape).
  static absl::StatusOr<RequestSource> FromMetadata(
      std::string_view metadata_json, const GenerationOptions& options,
      std::string target, std::string content_type);

  // The contents of `path` as the one body. With `require_v2_infer`, the file
  // must hold a JSON object with an "inputs" array.
  static absl::StatusOr<RequestSource> FromFile(const std::string& path,
                                                bool require_v2_infer,
                                                std::string target,
                                                std::string content_type);

  // Every non-empty line of `path` as one body (JSON Lines), sent
  // round-robin. InvalidArgument when the file cannot be read or holds no
  // body.
  static absl::StatusOr<RequestSource> FromLines(const std::string& path,
                                                 std::string target,
                                                 std::string content_type);

  // The request target (path), e.g. "/v2/models/simple/infer".
  const std::string& target() const { return target_; }
  const std::string& content_type() const { return content_type_; }
  // Never empty.
  const std::vector<std::string>& bodies() const { return bodies_; }
  // One line for humans, e.g. "generated: INPUT0 INT32 [1,16], ...".
  const std::string& description() const { return description_; }

 private:
  RequestSource() = default;

  std::string target_;
  std::string content_type_;
  std::vector<std::string> bodies_;
  std::string description_;
};

// "/v2/models/M[/versions/V]" under `base_path` (a prefix from --url).
std::string ModelPath(std::string_view base_path, std::string_view model,
                      std::string_view version);

}  // namespace inferd::bench
