#pragma once

// Parsing of multipart/form-data bodies (RFC 7578): the parts of an upload,
// each with its form field name, file name, content type and bytes.
// Written here because Beast has no multipart parser and the format is
// small. Pure functions; thread-safe.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace inferd {

struct MultipartPart {
  std::string name;          // form field name (Content-Disposition name=)
  std::string filename;      // empty when not a file
  std::string content_type;  // lower-cased; empty when absent
  std::string body;
};

// The boundary parameter of a multipart/form-data Content-Type; nullopt when
// the type is not multipart/form-data. InvalidArgument when it is but has no
// boundary.
absl::StatusOr<std::optional<std::string>> MultipartBoundary(std::string_view content_type);

// Splits `body` into its parts. InvalidArgument naming what is malformed.
absl::StatusOr<std::vector<MultipartPart>> ParseMultipart(std::string_view body,
                                                          std::string_view boundary);

}  // namespace inferd
