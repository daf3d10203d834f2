#pragma once

// What the HTTP server tells whoever counts its traffic (the server wires
// the Prometheus families of metrics/ to it), so that http/ knows no metric
// types. Every label the server passes is bounded: `route` is a registered
// pattern or "unmatched", `method` one of HTTP's methods or "other".
// Implementations must be thread-safe: the I/O threads call them
// concurrently.

#include <string_view>

namespace inferd {

class RequestObserver {
 public:
  virtual ~RequestObserver() = default;
  // A request matched `route` and its handler starts; Ended follows.
  virtual void Started(std::string_view route) = 0;
  // The handler of a request that Started has answered.
  virtual void Ended(std::string_view route) = 0;
  // Any answered request, matched or not, with the status sent.
  virtual void Answered(std::string_view route, std::string_view method, int status) = 0;
};

}  // namespace inferd
