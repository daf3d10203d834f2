#include "http/outbound_policy.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "boost/url.hpp"
#include "common/strings.h"
#include "common/url_redaction.h"

namespace inferd {
namespace {

using Bytes = std::array<uint8_t, 16>;

// An address as 16 bytes, IPv4 as v4-mapped IPv6 (::ffff:a.b.c.d).
std::optional<Bytes> ParseAddress(std::string_view text) {
  const std::string s(text);
  Bytes bytes{};
  in_addr v4;
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    bytes[10] = bytes[11] = 0xff;
    std::memcpy(&bytes[12], &v4, 4);
    return bytes;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(bytes.data(), &v6, 16);
    return bytes;
  }
  return std::nullopt;
}

bool InPrefix(const Bytes& address, const uint8_t* network, int prefix) {
  for (int bit = 0; bit < prefix; bit += 8) {
    const int bits = std::min(8, prefix - bit);
    const uint8_t mask = static_cast<uint8_t>(0xff00 >> bits);
    if ((address[bit / 8] & mask) != (network[bit / 8] & mask)) return false;
  }
  return true;
}

struct Range {
  const char* network;  // numeric
  int prefix;           // IPv4 prefixes are given for IPv4 (0..32)
  const char* kind;
};

// Everything that is not the public internet. The most specific first.
constexpr Range kRanges[] = {
    {"0.0.0.0", 8, "unspecified (\"this network\")"},
    {"10.0.0.0", 8, "private"},
    {"100.64.0.0", 10, "shared (carrier-grade NAT)"},
    {"127.0.0.0", 8, "loopback"},
    {"169.254.0.0", 16, "link-local (cloud metadata)"},
    {"172.16.0.0", 12, "private"},
    {"192.0.0.0", 24, "reserved (IETF protocol assignments)"},
    {"192.0.2.0", 24, "documentation"},
    {"192.88.99.0", 24, "reserved (6to4 relay)"},
    {"192.168.0.0", 16, "private"},
    {"198.18.0.0", 15, "benchmarking"},
    {"198.51.100.0", 24, "documentation"},
    {"203.0.113.0", 24, "documentation"},
    {"224.0.0.0", 4, "multicast"},
    {"240.0.0.0", 4, "reserved"},
    {"::", 128, "unspecified"},
    {"::1", 128, "loopback"},
    {"::", 96, "reserved (IPv4-compatible)"},
    {"100::", 64, "reserved (discard)"},
    {"2001:db8::", 32, "documentation"},
    {"2001::", 32, "tunnel (Teredo)"},
    {"fc00::", 7, "private (unique local)"},
    {"fe80::", 10, "link-local"},
    {"fec0::", 10, "private (site-local)"},
    {"ff00::", 8, "multicast"},
};

bool IsV4(const Bytes& b) {
  static constexpr uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  return std::memcmp(b.data(), kMapped, 12) == 0;
}

// The IPv4 address an IPv6 address carries by a translation scheme
// (NAT64 64:ff9b::/96, 6to4 2002::/16), as v4-mapped bytes.
std::optional<Bytes> EmbeddedV4(const Bytes& b) {
  Bytes v4{};
  v4[10] = v4[11] = 0xff;
  static constexpr uint8_t kNat64[12] = {0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0};
  if (std::memcmp(b.data(), kNat64, 12) == 0) {
    std::memcpy(&v4[12], &b[12], 4);
    return v4;
  }
  if (b[0] == 0x20 && b[1] == 0x02) {
    std::memcpy(&v4[12], &b[2], 4);
    return v4;
  }
  return std::nullopt;
}

// The kind of non-public range `address` is in, or "" for a public one.
std::string NonPublicKind(const Bytes& address) {
  for (const Range& range : kRanges) {
    const std::optional<Bytes> network = ParseAddress(range.network);
    const bool v4_range = IsV4(*network);
    if (v4_range != IsV4(address)) continue;
    const int prefix = v4_range ? 96 + range.prefix : range.prefix;
    if (InPrefix(address, network->data(), prefix)) return range.kind;
  }
  if (std::optional<Bytes> v4 = EmbeddedV4(address)) {
    std::string kind = NonPublicKind(*v4);
    if (!kind.empty()) return StrCat(kind, ", inside an IPv6 address");
  }
  return "";
}

}  // namespace

absl::StatusOr<OutboundPolicy> OutboundPolicy::Create(const std::vector<std::string>& allow) {
  OutboundPolicy policy;
  for (const std::string& raw : allow) {
    const std::string entry(absl::StripAsciiWhitespace(raw));
    if (entry.empty()) continue;
    const size_t slash = entry.find('/');
    std::string address = entry.substr(0, slash);
    if (address.size() > 2 && address.front() == '[' && address.back() == ']') {
      address = address.substr(1, address.size() - 2);
    }
    if (std::optional<Bytes> bytes = ParseAddress(address)) {
      Network network;
      std::memcpy(network.bytes, bytes->data(), 16);
      const int width = IsV4(*bytes) ? 32 : 128;
      int prefix = width;
      if (slash != std::string::npos &&
          (!absl::SimpleAtoi(entry.substr(slash + 1), &prefix) || prefix < 0 ||
           prefix > width)) {
        return absl::InvalidArgumentError(
            StrCat("--webhook-allow \"", entry, "\": the prefix length must be 0..", width));
      }
      network.prefix = width == 32 ? 96 + prefix : prefix;
      policy.allowed_networks_.push_back(network);
      continue;
    }
    // A host name: letters, digits, '-', '.', '_' (no slash, no port).
    const bool name = slash == std::string::npos &&
                      std::all_of(entry.begin(), entry.end(), [](char c) {
                        return absl::ascii_isalnum(static_cast<unsigned char>(c)) ||
                               c == '-' || c == '.' || c == '_';
                      });
    if (!name) {
      return absl::InvalidArgumentError(StrCat(
          "--webhook-allow \"", entry, "\" is not a CIDR, an IP address or a host name"));
    }
    policy.allowed_hosts_.push_back(absl::AsciiStrToLower(entry));
  }
  return policy;
}

std::string OutboundPolicy::Refusal(std::string_view address, std::string_view host) const {
  const std::optional<Bytes> bytes = ParseAddress(address);
  if (!bytes) return "not an IP address";
  const std::string lower_host = absl::AsciiStrToLower(std::string(host));
  if (!lower_host.empty() &&
      std::find(allowed_hosts_.begin(), allowed_hosts_.end(), lower_host) !=
          allowed_hosts_.end()) {
    return "";
  }
  for (const Network& network : allowed_networks_) {
    if (InPrefix(*bytes, network.bytes, network.prefix)) return "";
  }
  return NonPublicKind(*bytes);
}

absl::StatusOr<OutboundTarget> OutboundPolicy::Resolve(std::string_view url) const {
  const std::string shown = RedactUrl(url);
  auto parsed = boost::urls::parse_absolute_uri(url);
  if (!parsed || !parsed->has_authority() || parsed->host().empty()) {
    return absl::InvalidArgumentError(
        StrCat("\"", shown, "\" is not an absolute http:// or https:// URL"));
  }
  const boost::urls::url_view& u = *parsed;
  OutboundTarget target;
  if (u.scheme_id() == boost::urls::scheme::http) {
    target.scheme = "http";
    target.port = 80;
  } else if (u.scheme_id() == boost::urls::scheme::https) {
    target.scheme = "https";
    target.port = 443;
  } else {
    return absl::InvalidArgumentError(StrCat(
        "\"", shown, "\": the scheme must be http or https, not \"", u.scheme(), "\""));
  }
  if (u.has_port()) {
    if (u.port().empty() || u.port_number() == 0) {
      return absl::InvalidArgumentError(StrCat("\"", shown, "\": the port must be 1..65535"));
    }
    target.port = u.port_number();
  }
  switch (u.host_type()) {
    case boost::urls::host_type::ipv4:
      target.host = u.host_ipv4_address().to_string();
      break;
    case boost::urls::host_type::ipv6:
      target.host = u.host_ipv6_address().to_string();
      break;
    case boost::urls::host_type::name:
      target.host = u.host_name();
      break;
    default:
      return absl::InvalidArgumentError(
          StrCat("\"", shown, "\": the host must be a name or an IP address"));
  }

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(target.host.c_str(), nullptr, &hints, &found);
  if (rc != 0) {
    return absl::UnavailableError(
        StrCat("\"", shown, "\": cannot resolve ", target.host, ": ", gai_strerror(rc)));
  }
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    char text[INET6_ADDRSTRLEN] = {};
    if (ai->ai_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(ai->ai_addr)->sin_addr, text,
                sizeof(text));
    } else if (ai->ai_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(ai->ai_addr)->sin6_addr, text,
                sizeof(text));
    } else {
      continue;
    }
    std::string address(text);
    if (std::find(target.addresses.begin(), target.addresses.end(), address) !=
        target.addresses.end()) {
      continue;
    }
    const std::string refusal = Refusal(address, target.host);
    if (!refusal.empty()) {
      freeaddrinfo(found);
      const bool literal = address == target.host;
      return absl::InvalidArgumentError(
          StrCat("\"", shown, "\": ",
                 literal ? address : StrCat(target.host, " resolves to ", address, ", which"),
                 " is not a public address (", refusal, ")"));
    }
    target.addresses.push_back(std::move(address));
  }
  freeaddrinfo(found);
  if (target.addresses.empty()) {
    return absl::InvalidArgumentError(
        StrCat("\"", shown, "\": ", target.host, " has no IPv4 or IPv6 address"));
  }
  return target;
}

}  // namespace inferd
