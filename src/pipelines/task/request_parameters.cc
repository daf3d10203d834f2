#include "pipelines/task/request_parameters.h"

#include <cmath>

#include "absl/strings/str_join.h"
#include "common/strings.h"

namespace inferd::pipelines {
namespace json = boost::json;

RequestParameters::RequestParameters(const json::object* parameters)
    : parameters_(parameters) {}

const json::value* RequestParameters::Find(const std::string& name) {
  known_.insert(name);
  if (parameters_ == nullptr) return nullptr;
  return parameters_->if_contains(name);
}

bool RequestParameters::has(const std::string& name) { return Find(name) != nullptr; }

absl::StatusOr<std::optional<int64_t>> RequestParameters::Int(
    const std::string& name, std::optional<int64_t> fallback, int64_t min, int64_t max,
    bool null_allowed) {
  const json::value* value = Find(name);
  if (value == nullptr) return fallback;
  if (value->is_null() && null_allowed) return std::optional<int64_t>();
  std::optional<int64_t> parsed;
  if (value->is_int64()) parsed = value->get_int64();
  if (value->is_uint64() && value->get_uint64() <= uint64_t{INT64_MAX}) {
    parsed = static_cast<int64_t>(value->get_uint64());
  }
  if (!parsed || *parsed < min || *parsed > max) {
    return absl::InvalidArgumentError(
        StrCat("parameters.", name, " must be an integer in ", min, "..", max,
               null_allowed ? " or null" : "", ", got ", json::serialize(*value)));
  }
  return parsed;
}

absl::StatusOr<double> RequestParameters::Double(const std::string& name,
                                                 double fallback, double min,
                                                 double max) {
  const json::value* value = Find(name);
  if (value == nullptr) return fallback;
  std::optional<double> parsed;
  if (value->is_number()) parsed = value->to_number<double>();
  if (!parsed || !std::isfinite(*parsed) || *parsed < min || *parsed > max) {
    return absl::InvalidArgumentError(StrCat("parameters.", name, " must be a number in ",
                                             min, "..", max, ", got ",
                                             json::serialize(*value)));
  }
  return *parsed;
}

absl::StatusOr<bool> RequestParameters::Bool(const std::string& name, bool fallback) {
  const json::value* value = Find(name);
  if (value == nullptr) return fallback;
  if (!value->is_bool()) {
    return absl::InvalidArgumentError(StrCat("parameters.", name,
                                             " must be true or false, got ",
                                             json::serialize(*value)));
  }
  return value->get_bool();
}

absl::StatusOr<std::string> RequestParameters::Choice(
    const std::string& name, const std::vector<std::string>& choices,
    const std::string& fallback) {
  const json::value* value = Find(name);
  if (value == nullptr) return fallback;
  if (value->is_string()) {
    for (const std::string& choice : choices) {
      if (value->get_string() == choice) return choice;
    }
  }
  return absl::InvalidArgumentError(StrCat("parameters.", name, " must be one of \"",
                                           absl::StrJoin(choices, "\", \""), "\", got ",
                                           json::serialize(*value)));
}

absl::Status RequestParameters::CheckNoOthers() const {
  if (parameters_ == nullptr) return absl::OkStatus();
  for (const auto& item : *parameters_) {
    const std::string key(item.key());
    if (!known_.contains(key)) {
      return absl::InvalidArgumentError(
          StrCat("parameters.", key, " is not a parameter of this model's task; known: ",
                 absl::StrJoin(known_, ", ")));
    }
  }
  return absl::OkStatus();
}

}  // namespace inferd::pipelines
