#include "common/url_redaction.h"

#include <array>
#include <cctype>

namespace inferd {
namespace {

constexpr std::string_view kHidden = "***";

// Parameter names (lower-cased, '-' read as '_') whose values are secrets:
// exact names, then substrings.
constexpr std::array<std::string_view, 5> kSecretNames = {"key", "sig", "code", "pass", "pwd"};
constexpr std::array<std::string_view, 9> kSecretParts = {
    "token", "secret", "password", "passwd", "api_key", "apikey", "signature", "credential",
    "auth"};

bool IsSecretParameter(std::string_view name) {
  std::string lower;
  lower.reserve(name.size());
  for (char c : name) {
    lower.push_back(c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  for (std::string_view exact : kSecretNames) {
    if (lower == exact) return true;
  }
  for (std::string_view part : kSecretParts) {
    if (lower.find(part) != std::string::npos) return true;
  }
  return false;
}

// The query (without '?'), each secret parameter's value hidden.
std::string RedactQuery(std::string_view query) {
  std::string out;
  while (true) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && eq + 1 < param.size() &&
        IsSecretParameter(param.substr(0, eq))) {
      out.append(param.substr(0, eq + 1));
      out.append(kHidden);
    } else {
      out.append(param);
    }
    if (amp == std::string_view::npos) return out;
    out.push_back('&');
    query.remove_prefix(amp + 1);
  }
}

}  // namespace

std::string RedactUrl(std::string_view url) {
  std::string out;
  out.reserve(url.size());
  // The authority starts after "scheme://", or at the start of a string
  // without a scheme.
  size_t authority = url.find("://");
  authority = authority == std::string_view::npos ? 0 : authority + 3;
  size_t authority_end = url.find_first_of("/?#", authority);
  if (authority_end == std::string_view::npos) authority_end = url.size();
  std::string_view host_part = url.substr(authority, authority_end - authority);
  out.append(url.substr(0, authority));
  size_t at = host_part.rfind('@');
  if (at != std::string_view::npos) {
    std::string_view userinfo = host_part.substr(0, at);
    size_t colon = userinfo.find(':');
    if (colon != std::string_view::npos) out.append(userinfo.substr(0, colon + 1));
    out.append(kHidden);
    out.append(host_part.substr(at));
  } else {
    out.append(host_part);
  }
  std::string_view rest = url.substr(authority_end);
  size_t question = rest.find('?');
  if (question == std::string_view::npos) {
    out.append(rest);
    return out;
  }
  out.append(rest.substr(0, question + 1));
  rest.remove_prefix(question + 1);
  size_t hash = rest.find('#');
  out.append(RedactQuery(rest.substr(0, hash)));
  if (hash != std::string_view::npos) out.append(rest.substr(hash));
  return out;
}

std::string RedactUrlIn(std::string_view text, std::string_view url) {
  if (url.empty()) return std::string(text);
  const std::string redacted = RedactUrl(url);
  std::string out;
  while (true) {
    size_t pos = text.find(url);
    out.append(text.substr(0, pos));
    if (pos == std::string_view::npos) return out;
    out.append(redacted);
    text.remove_prefix(pos + url.size());
  }
}

}  // namespace inferd
