#pragma once

// Typed reads of JSON request fields for the API decoders, each failing with
// InvalidArgument "<field>: <rule>" so that the error names the field.
//
// Stateless; thread-safe.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace inferd::json_fields {

// "<field>: <rule>".
absl::Status Bad(std::string_view field, std::string_view rule);

// The body as a JSON object. Invalid UTF-8 inside strings is let through so
// that the decoder can name the field that holds it.
absl::StatusOr<boost::json::value> ParseObject(std::string_view body);

absl::StatusOr<double> Number(const boost::json::value& v, std::string_view field);
absl::StatusOr<int64_t> Integer(const boost::json::value& v, std::string_view field);
absl::StatusOr<bool> Bool(const boost::json::value& v, std::string_view field);
absl::StatusOr<std::string> String(const boost::json::value& v, std::string_view field);
// A string or an array of strings.
absl::StatusOr<std::vector<std::string>> StringOrList(const boost::json::value& v,
                                                      std::string_view field);

// OK when every string and object key in `v` is valid UTF-8 (what reaches
// a chat template must be text); otherwise "<innermost field>: not valid
// UTF-8".
absl::Status Utf8Strings(const boost::json::value& v, const std::string& field);

}  // namespace inferd::json_fields
