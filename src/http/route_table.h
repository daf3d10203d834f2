#pragma once

// The one table of HTTP routes: method + path pattern -> handler.
//
// Patterns are slash-separated segments: a literal ("v2"), a parameter
// ("{model}"), or a parameter with a literal suffix ("{model}:predict", as
// KServe v1 spells its verbs). A path that matches a pattern but not its
// method is a 405 with the allowed methods.
//
// When several patterns match a path, the most specific one wins, whatever
// the order they were added in: patterns are compared segment by segment
// from the left, and at the first segment where they differ a literal beats
// a parameter with a literal suffix, which beats a plain parameter (between
// two suffixes, the longer one wins). So "/v2/models/stats" beats
// "/v2/models/{model}", and "{model}:predict" beats "{model}". Two routes
// with the same method and the same pattern (parameter names aside) are a
// bug in the caller: Add() aborts, naming both.
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

  // Adds a route. Aborts on a malformed pattern ("{model" with no "}") and
  // on a route whose method and pattern another route already has.
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

  // Every route's method and pattern as added, in the order added; for the
  // code that documents the routes (and the test that none is left out).
  struct RouteKey {
    std::string method;
    std::string pattern;
  };
  std::vector<RouteKey> routes() const;

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
  // How specific one segment is, higher first: a literal, then a parameter
  // with a literal suffix (the longer the suffix, the higher), then a plain
  // parameter (0).
  static int Specificity(const Segment& segment);
  // Whether two patterns match the same paths (parameter names aside).
  static bool SameShape(const std::vector<Segment>& a, const std::vector<Segment>& b);
  // Whether `a` is more specific than `b`; both match the same path, so
  // they have as many segments.
  static bool MoreSpecific(const Route& a, const Route& b);

  std::vector<Route> routes_;
};

// `value` percent-encoded as one path segment ("a/b%" -> "a%2Fb%25"), for
// code that builds a path for Find() from a decoded parameter value.
std::string EncodePathSegment(std::string_view value);

}  // namespace inferd
