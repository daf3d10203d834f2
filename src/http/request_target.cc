#include "http/request_target.h"

#include "absl/strings/ascii.h"
#include "boost/url/parse.hpp"
#include "common/strings.h"

namespace inferd {

absl::StatusOr<RequestTarget> ParseRequestTarget(std::string_view target) {
  const boost::urls::string_view text(target.data(), target.size());
  RequestTarget out;
  if (!target.empty() && target.front() == '/') {
    auto origin = boost::urls::parse_origin_form(text);
    if (!origin) return absl::InvalidArgumentError("malformed request target");
    out.path = std::string(origin->encoded_path());
    out.query = std::string(origin->encoded_query());
    return out;
  }
  auto absolute = boost::urls::parse_absolute_uri(text);
  if (!absolute) return absl::InvalidArgumentError("malformed request target");
  const std::string scheme = absl::AsciiStrToLower(std::string(absolute->scheme()));
  if (scheme != "http" && scheme != "https") {
    return absl::InvalidArgumentError(
        StrCat("request target scheme \"", scheme, "\" is not http or https"));
  }
  // An http(s) URI without "//host" has a path that is not rooted
  // ("http:x/y"): no route could match it, and the table expects '/'.
  if (!absolute->has_authority()) {
    return absl::InvalidArgumentError(
        "malformed request target: an absolute URL needs //host after the scheme");
  }
  out.path = std::string(absolute->encoded_path());
  if (out.path.empty()) out.path = "/";
  if (out.path.front() != '/') {  // "http://host:80:x": Boost.URL's reading of it
    return absl::InvalidArgumentError("malformed request target: the path must start with /");
  }
  out.query = std::string(absolute->encoded_query());
  return out;
}

}  // namespace inferd
