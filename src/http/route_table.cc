#include "http/route_table.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>

#include "absl/strings/match.h"
#include "common/strings.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "boost/url/encode.hpp"
#include "boost/url/pct_string_view.hpp"
#include "boost/url/rfc/pchars.hpp"

namespace inferd {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> parts;
  for (absl::string_view part : absl::StrSplit(ToAbsl(path), '/', absl::SkipEmpty())) {
    parts.push_back(ToStd(part));
  }
  return parts;
}

// The decoded value of one raw path segment; nullopt for a malformed escape.
std::optional<std::string> DecodeSegment(std::string_view raw) {
  auto valid = boost::urls::make_pct_string_view(boost::core::string_view(raw.data(), raw.size()));
  if (!valid) return std::nullopt;
  return valid->decode();
}

}  // namespace

std::string EncodePathSegment(std::string_view value) {
  return boost::urls::encode(boost::core::string_view(value.data(), value.size()),
                             boost::urls::pchars);
}

std::vector<RouteTable::RouteKey> RouteTable::routes() const {
  std::vector<RouteKey> keys;
  keys.reserve(routes_.size());
  for (const Route& route : routes_) keys.push_back({route.method, route.pattern});
  return keys;
}

void RouteTable::Add(std::string method, std::string_view pattern,
                     Handler handler) {
  Route route;
  route.method = std::move(method);
  route.pattern = std::string(pattern);
  for (std::string_view part : SplitPath(pattern)) {
    Segment segment;
    if (!part.empty() && part.front() == '{') {
      const size_t close = part.find('}');
      if (close == std::string_view::npos || close == 1) {
        std::fprintf(stderr, "route pattern \"%s\": malformed parameter \"%.*s\"\n",
                     route.pattern.c_str(), static_cast<int>(part.size()), part.data());
        std::abort();
      }
      segment.param = std::string(part.substr(1, close - 1));
      segment.suffix = std::string(part.substr(close + 1));
    } else {
      segment.literal = std::string(part);
    }
    route.segments.push_back(std::move(segment));
  }
  for (const Route& other : routes_) {
    if (other.method == route.method && SameShape(other.segments, route.segments)) {
      std::fprintf(stderr, "route %s %s added twice: it is the same route as %s %s\n",
                   route.method.c_str(), route.pattern.c_str(), other.method.c_str(),
                   other.pattern.c_str());
      std::abort();
    }
  }
  route.handler = std::move(handler);
  routes_.push_back(std::move(route));
}

bool RouteTable::MatchPath(
    const Route& route, const std::vector<std::string_view>& parts,
    std::map<std::string, std::string, std::less<>>* params) {
  if (parts.size() != route.segments.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const Segment& segment = route.segments[i];
    std::string_view part = parts[i];
    if (segment.param.empty()) {
      if (part != segment.literal) return false;
      continue;
    }
    if (!segment.suffix.empty()) {
      if (!absl::EndsWith(ToAbsl(part), segment.suffix) ||
          part.size() == segment.suffix.size()) {
        return false;
      }
      part.remove_suffix(segment.suffix.size());
    }
    std::optional<std::string> value = DecodeSegment(part);
    if (!value) return false;
    if (params) (*params)[segment.param] = *std::move(value);
  }
  return true;
}

int RouteTable::Specificity(const Segment& segment) {
  if (segment.param.empty()) return std::numeric_limits<int>::max();
  return static_cast<int>(segment.suffix.size());
}

bool RouteTable::SameShape(const std::vector<Segment>& a, const std::vector<Segment>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].param.empty() != b[i].param.empty()) return false;
    if (a[i].param.empty() ? a[i].literal != b[i].literal : a[i].suffix != b[i].suffix) {
      return false;
    }
  }
  return true;
}

bool RouteTable::MoreSpecific(const Route& a, const Route& b) {
  for (size_t i = 0; i < a.segments.size() && i < b.segments.size(); ++i) {
    const int rank_a = Specificity(a.segments[i]);
    const int rank_b = Specificity(b.segments[i]);
    if (rank_a != rank_b) return rank_a > rank_b;
  }
  return false;
}

RouteTable::Match RouteTable::Find(HttpRequest& request) const {
  const std::vector<std::string_view> parts = SplitPath(request.path);
  const Route* best = nullptr;
  std::vector<std::string> allowed;
  for (const Route& route : routes_) {
    if (!MatchPath(route, parts, nullptr)) continue;
    if (route.method != request.method) {
      allowed.push_back(route.method);
    } else if (best == nullptr || MoreSpecific(route, *best)) {
      best = &route;
    }
  }
  if (best != nullptr) {
    MatchPath(*best, parts, &request.path_params);
    request.route = best->pattern;
    return Match{&best->handler, 200, "", best->pattern};
  }
  if (allowed.empty()) return Match{nullptr, 404, "", ""};
  // Sorted and once each: several patterns may match the path with one method.
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  return Match{nullptr, 405, absl::StrJoin(allowed, ", "), ""};
}

}  // namespace inferd
