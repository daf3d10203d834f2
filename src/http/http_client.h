#pragma once

// A small blocking HTTP/1.1 client for the server's own outgoing calls
// (job webhooks): one POST, one answer. http:// and https:// (OpenSSL; the
// peer's certificate is verified against the system's CAs and any extra
// ones, and must name the URL's host). user:password@ in the URL is sent as
// HTTP Basic authentication (RFC 7617), as curl and browsers do, and never
// appears in errors (they name the URL with its credentials redacted).
// Redirects are not followed: a 3xx is an answer that is not 2xx.
//
// With an OutboundPolicy (http/outbound_policy.h), the host is resolved
// once, every address checked, and the connection made to those checked
// addresses only. Every step (resolve, connect, handshake, write, read) is
// bounded by what is left of `timeout`.
//
// Thread-safe: Post() may be called from any thread; each call has its own
// I/O context (the TLS context is shared, which OpenSSL allows).

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "http/outbound_policy.h"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace inferd {

struct HttpPost {
  std::string url;  // absolute http:// or https:// URL
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
  std::string body;
};

class HttpClient {
 public:
  struct Options {
    absl::Duration timeout = absl::Seconds(10);  // the whole call
    // Not owned; null: any address (for tools and tests, never for URLs a
    // client of the server chose).
    const OutboundPolicy* policy = nullptr;
    std::string ca_file;  // PEM CAs trusted for https:// besides the system's
  };
  // InvalidArgument when `ca_file` cannot be used.
  static absl::StatusOr<std::unique_ptr<HttpClient>> Create(Options options);
  ~HttpClient();

  // OK on a 2xx answer; Unavailable (naming the redacted URL) when the host
  // cannot be reached, the TLS handshake or the certificate check fails,
  // the time runs out, or it answers non-2xx; InvalidArgument for a URL
  // that is not absolute http(s):// or that the policy refuses.
  absl::Status Post(const HttpPost& post) const;

 private:
  HttpClient(Options options, std::unique_ptr<boost::asio::ssl::context> tls);
  const Options options_;
  std::unique_ptr<boost::asio::ssl::context> tls_;
};

// One POST with a default client (no policy, the system's CAs).
absl::Status SendHttpPost(const HttpPost& post, absl::Duration timeout);

}  // namespace inferd
