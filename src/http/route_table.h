#pragma once

// The one table of HTTP routes: method + path pattern -> handler.
//
// Patterns are slash-separated segments: a literal ("v2"), a parameter
// ("{model}"), or a parameter with a literal suffix ("{model}:predict", as
// KServe v1 spells its verbs). A path that matches a pattern but not its
// method is a 405 with the allowed methods.
//
// Matching works on the path as sent, percent-encoded: "%2F" never splits a
// segment, and a literal segment matches only its unencoded spelling (so a
// proxy rule on "/v2/repository/" sees what the route table sees). Each
// parameter value is decoded after its route matched; it may then hold any
// byte, "/" and NUL included, for the handler's name validation to refuse.
// Fill before serving; Find() is then read-only and thread-safe.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "http/http_message.h"

namespace inferd {

class RouteTable {
 public:
  using Handler = std::function<void(HttpRequest&&, Responder)>;

  void Add(std::string method, std::string_view pattern, Handler handler);

  struct Match {
    const Handler* handler = nullptr;  // null when status != 200
    int status = 200;                  // 200, 404 or 405
    std::string allow;                 // for 405: "GET, POST"
    std::string pattern;               // the matched route pattern
  };
  // Finds the route for `request` (request.path percent-encoded) and fills
  // request.path_params with decoded values. A segment with a malformed
  // escape ("%zz") matches no parameter.
  Match Find(HttpRequest& request) const;

 private:
  struct Segment {
    std::string literal;  // when not a parameter
    std::string param;    // parameter name; empty for a literal
    std::string suffix;   // literal that must end a parameter segment
  };
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<Segment> segments;
    Handler handler;
  };

  static bool MatchPath(const Route& route,
                        const std::vector<std::string_view>& parts,
                        std::map<std::string, std::string, std::less<>>* params);

  std::vector<Route> routes_;
};

// `value` percent-encoded as one path segment ("a/b%" -> "a%2Fb%25"), for
// code that builds a path for Find() from a decoded parameter value.
std::string EncodePathSegment(std::string_view value);

}  // namespace inferd
