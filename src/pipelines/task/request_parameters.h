#pragma once

// Reads a request's "parameters" object for a task, with errors that name
// the field (`parameters.top_k must be a positive integer or null`), and
// rejects names the task does not know, so a typo is a 400, not a silently
// ignored setting.
//
//   RequestParameters p(parameters);   // null: no parameters
//   INFERD_ASSIGN_OR_RETURN(auto top_k, p.OptionalInt("top_k", 1, 1000));
//   INFERD_RETURN_IF_ERROR(p.CheckNoOthers());
//
// Scheduler parameters shared by every route ("priority", "timeout") are
// always accepted here; api/ reads them itself.

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json.hpp"

namespace inferd::pipelines {

class RequestParameters {
 public:
  explicit RequestParameters(const boost::json::object* parameters);

  bool has(const std::string& name);  // also marks it known

  // Absent -> `fallback`. With `null_allowed`, JSON null -> nullopt.
  absl::StatusOr<std::optional<int64_t>> Int(const std::string& name,
                                             std::optional<int64_t> fallback,
                                             int64_t min, int64_t max,
                                             bool null_allowed = false);
  absl::StatusOr<double> Double(const std::string& name, double fallback, double min,
                                double max);
  absl::StatusOr<bool> Bool(const std::string& name, bool fallback);
  absl::StatusOr<std::string> Choice(const std::string& name,
                                     const std::vector<std::string>& choices,
                                     const std::string& fallback);

  // InvalidArgument naming the first parameter nobody asked for.
  absl::Status CheckNoOthers() const;

 private:
  const boost::json::value* Find(const std::string& name);

  const boost::json::object* parameters_;
  std::set<std::string> known_ = {"priority", "timeout"};
};

}  // namespace inferd::pipelines
