#pragma once

// Plain HTTP request and response values, free of any HTTP library types, so
// api/ handlers can be called and tested without sockets.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/cancel_signal.h"

namespace inferd {

// A response body produced over time (Server-Sent Events). The server sends
// the status and headers at once, then pulls chunks with Next() and writes
// each as it comes (chunked transfer encoding) until the end.
class ResponseStream {
 public:
  virtual ~ResponseStream() = default;
  // Calls `deliver` exactly once, from any thread, with the next non-empty
  // chunk, or nullopt when the body is complete. The server does not call
  // Next() again before `deliver` has run.
  using Deliver = std::function<void(std::optional<std::string>)>;
  virtual void Next(Deliver deliver) = 0;
  // The stream is over: it ended, the client went away or a write failed.
  // Stop producing and release resources; a pending Next() must still
  // deliver (nullopt). The server always calls it; more calls do nothing.
  virtual void Close() = 0;
};

// Who sent a request, as the server's route guard established it from an
// API key (never from a header a handler would read). Immutable once set.
struct RequestCaller {
  std::string name;                 // the API key's name
  std::vector<std::string> scopes;  // "infer", "jobs:read-all", "admin"

  bool HasScope(std::string_view scope) const;
};

struct HttpRequest {
  std::string method;  // "GET", "POST", ...
  // As sent, still percent-encoded, without the query; the route table
  // decodes each parameter value (path_params) after matching.
  std::string path;
  std::string query;   // raw query string, without '?'
  // Header names lower-cased.
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // Filled by the route table: {model} -> "simple".
  std::map<std::string, std::string, std::less<>> path_params;
  // The route pattern that matched, e.g. "/v2/models/{model}/infer".
  std::string route;
  std::shared_ptr<CancelSignal> cancel = std::make_shared<CancelSignal>();
  // The peer's IP address ("127.0.0.1", "::1"); empty when unknown.
  std::string remote_address;
  // Set by the route guard when API keys are on; null when they are off.
  std::shared_ptr<const RequestCaller> caller;
  // Set by the route guard when the caller has a generated-tokens limit:
  // handlers that generate text call it once with the number of tokens
  // generated. Empty otherwise; may be called from any thread.
  std::function<void(int64_t tokens)> charge_tokens;

  // First value of a header (name in any case); nullopt when absent.
  std::optional<std::string_view> header(std::string_view name) const;
  // A path parameter; empty when absent.
  const std::string& param(std::string_view name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  // When set, the body comes from the stream instead of `body`.
  std::shared_ptr<ResponseStream> stream;
};

// Called exactly once with the response, from any thread.
using Responder = std::function<void(HttpResponse)>;

// `method` as a metric label: one of the methods HTTP defines (GET, HEAD,
// POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH), else "other", so that
// clients cannot grow a label set without bound by inventing methods.
std::string_view MethodLabel(std::string_view method);

// {"error": message} with the given status.
HttpResponse JsonError(int status, std::string_view message);
HttpResponse JsonBody(int status, std::string body);

// Whether a body of `content_type` is JSON text, which must be UTF-8
// (RFC 8259): application/json or any +json type, NDJSON, and Server-Sent
// Events (whose data are JSON on every route).
bool IsJsonText(std::string_view content_type);

// Handlers quote what clients sent into messages and echoed fields (a model
// name, an id), and a client may send bytes that are not UTF-8: every
// invalid sequence of `text` becomes U+FFFD, so JSON text stays valid
// (non-ASCII bytes of valid JSON lie only inside strings). The server calls
// it on every JSON body and stream chunk it writes.
void RepairUtf8(std::string& text);

}  // namespace inferd
