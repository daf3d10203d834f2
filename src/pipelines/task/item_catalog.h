#pragma once

// The labels of a generic classification model, with their metadata: output
// column i is item i of the catalog. A recommender's catalog is its movies
// ({"id": 42, "title": "...", "genres": [...]}); a plain classifier's is its
// label names.
//
// Files, by extension:
//   .json  an array; objects are items as they are (an "id" field, if any,
//          is what requests name to exclude items), strings become
//          {"label": s};
//   .csv   a header row and one row per item (RFC 4180 quoting); each item
//          is an object of strings keyed by the header, MovieLens-style
//          ("movieId,title,genres"); a column named "id" or ending in "Id"
//          is the id;
//   else   one label per line (labels.txt), {"label": line}.
//
// Immutable after Load; thread-safe.

#include <cstddef>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "boost/json.hpp"

namespace inferd::pipelines {

class ItemCatalog {
 public:
  // InvalidArgument naming the file and what is wrong (line or index).
  static absl::StatusOr<ItemCatalog> Load(const std::string& path);
  static absl::StatusOr<ItemCatalog> FromJson(std::string_view text,
                                              const std::string& name);
  static absl::StatusOr<ItemCatalog> FromCsv(std::string_view text, const std::string& name);
  static ItemCatalog FromLabels(const std::vector<std::string>& labels);

  size_t size() const { return items_.size(); }
  const boost::json::object& item(size_t index) const { return items_[index]; }

  // The index of the item whose id is `id` (a JSON integer or string; 42
  // and "42" are the same id); nullopt when no item has it.
  std::optional<size_t> Find(const boost::json::value& id) const;
  bool has_ids() const { return !by_id_.empty(); }

 private:
  void IndexIds(const std::string& field);

  std::vector<boost::json::object> items_;
  absl::flat_hash_map<std::string, size_t> by_id_;
};

// The `k` best of `scores` (highest first; ties keep the lower index),
// leaving out the indices in `excluded`.
std::vector<std::pair<size_t, float>> TopK(absl::Span<const float> scores, size_t k,
                                           const std::vector<bool>& excluded);

}  // namespace inferd::pipelines
