#include "pipelines/image/base64.h"

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "common/strings.h"

namespace inferd::pipelines {

absl::StatusOr<std::string> DecodeBase64(std::string_view text) {
  if (text.starts_with("data:")) {
    const size_t comma = text.find(',');
    if (comma == std::string_view::npos ||
        !text.substr(0, comma).ends_with(";base64")) {
      return absl::InvalidArgumentError(
          "data URL must have the form data:<type>;base64,<data>");
    }
    text.remove_prefix(comma + 1);
  }
  std::string out;
  if (absl::Base64Unescape(ToAbsl(text), &out)) return out;
  if (absl::WebSafeBase64Unescape(ToAbsl(text), &out)) return out;
  return absl::InvalidArgumentError("is not valid base64");
}

}  // namespace inferd::pipelines
