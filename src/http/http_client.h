#pragma once

// A small blocking HTTP/1.1 client for the server's own outgoing calls
// (job webhooks): one POST, one answer. Plain http:// only; user:password@
// in the URL is sent as HTTP Basic authentication (RFC 7617), as curl and
// browsers do, and never appears in errors (they name the URL with its
// credentials redacted). Every step (resolve, connect, write, read) is
// bounded by what is left of `timeout`. Thread-safe: each call has its own
// I/O context.

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace inferd {

struct HttpPost {
  std::string url;  // absolute http:// URL
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

// OK on a 2xx answer; Unavailable (naming the redacted URL) when the host
// cannot be resolved or reached, the time runs out, or it answers non-2xx;
// InvalidArgument for a URL that is not absolute http://.
absl::Status SendHttpPost(const HttpPost& post, absl::Duration timeout);

}  // namespace inferd
