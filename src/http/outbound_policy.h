#pragma once

// Where the server's own outgoing requests (job webhooks) may go: a guard
// against server-side request forgery, where a client makes the server call
// an address only the server can reach (a cloud metadata service at
// 169.254.169.254, an admin port on loopback, a database on the private
// network).
//
// By default a URL must be http:// or https:// and every address its host
// resolves to must be public: loopback, link-local, private (RFC 1918,
// fc00::/7), carrier-grade NAT, multicast, documentation, benchmarking and
// reserved ranges are refused, and so are their IPv6 equivalents: ::1,
// fe80::/10, and IPv4 addresses inside IPv6 (v4-mapped ::ffff:a.b.c.d,
// NAT64 64:ff9b::/96, 6to4 2002::/16), which are judged by the IPv4 address
// they carry. The allow list opens exceptions: CIDRs ("10.1.0.0/16",
// "::1/128"), single addresses ("127.0.0.1") and host names ("hooks.local",
// matched against the URL's host, case-insensitively). Other schemes are
// refused whatever the list says.
//
// Resolve() resolves the host once and returns the checked addresses; the
// HTTP client connects to exactly those (no second lookup that a DNS server
// could answer differently), so the check and the connection cannot
// disagree.
//
// Thread-safe: immutable after Create().

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace inferd {

// A URL whose host has been resolved and checked.
struct OutboundTarget {
  std::string scheme;                  // "http" or "https"
  std::string host;                    // as in the URL, without brackets
  uint16_t port = 0;
  std::vector<std::string> addresses;  // numeric, each allowed; connect to these
};

class OutboundPolicy {
 public:
  // One CIDR, address or host name per entry. InvalidArgument naming the
  // entry when one is none of these.
  static absl::StatusOr<OutboundPolicy> Create(const std::vector<std::string>& allow);
  OutboundPolicy() = default;  // public addresses only

  // Parses `url`, resolves its host and checks every address. InvalidArgument
  // naming the URL (credentials redacted) when the scheme is not http/https
  // or an address the host resolves to is not allowed (which one, and why:
  // "loopback", "private", ...); Unavailable when the host does not resolve.
  absl::StatusOr<OutboundTarget> Resolve(std::string_view url) const;

  // Why `address` (numeric) may not be reached from `host`: "" when it may,
  // else the kind of range it is in ("loopback", "link-local", ...). An
  // address that does not parse is "not an IP address".
  std::string Refusal(std::string_view address, std::string_view host = "") const;

 private:
  struct Network {
    uint8_t bytes[16];  // IPv4 as v4-mapped IPv6
    int prefix = 128;   // bits of `bytes` that must match
  };
  std::vector<Network> allowed_networks_;
  std::vector<std::string> allowed_hosts_;  // lower case
};

}  // namespace inferd
