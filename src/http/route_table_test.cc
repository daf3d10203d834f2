#include "http/route_table.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Pair;

HttpRequest Request(std::string method, std::string path) {
  HttpRequest request;
  request.method = std::move(method);
  request.path = std::move(path);
  return request;
}

// Each handler writes its own tag into the response body, so a test can see
// which route a path reached.
RouteTable::Handler Tag(std::string tag) {
  return [tag](HttpRequest&&, Responder respond) {
    HttpResponse response;
    response.body = tag;
    respond(std::move(response));
  };
}

std::string RunHandler(const RouteTable::Match& match, HttpRequest request) {
  if (match.handler == nullptr) return "<none>";
  std::string body;
  (*match.handler)(std::move(request),
                   [&body](HttpResponse response) { body = response.body; });
  return body;
}

class RouteTableTest : public ::testing::Test {
 protected:
  RouteTableTest() {
    routes_.Add("GET", "/v2/health/live", Tag("live"));
    routes_.Add("GET", "/v2", Tag("server"));
    routes_.Add("GET", "/v2/models/{model}", Tag("metadata"));
    routes_.Add("GET", "/v2/models/{model}/versions/{version}", Tag("versioned"));
    routes_.Add("POST", "/v2/models/{model}/infer", Tag("infer"));
    routes_.Add("POST", "/v2/models/{model}/versions/{version}/infer",
                Tag("versioned-infer"));
    routes_.Add("POST", "/v1/models/{model}:predict", Tag("predict"));
    routes_.Add("GET", "/v2/repository/index", Tag("index-get"));
    routes_.Add("POST", "/v2/repository/index", Tag("index-post"));
    routes_.Add("POST", "/v2/repository/models/{model}/load", Tag("load"));
    routes_.Add("GET", "/v2/models/{model}/ready", Tag("ready"));
    routes_.Add("GET", "/v2/models/{model}/versions/{version}/ready", Tag("versioned-ready"));
  }

  // Finds and runs the route; returns the handler's tag.
  std::string Dispatch(std::string method, std::string path,
                       HttpRequest* out = nullptr) {
    HttpRequest request = Request(std::move(method), std::move(path));
    RouteTable::Match match = routes_.Find(request);
    if (match.status != 200) return "status " + std::to_string(match.status);
    EXPECT_NE(match.handler, nullptr);
    if (out) *out = request;
    return RunHandler(match, request);
  }

  RouteTable routes_;
};

TEST_F(RouteTableTest, LiteralRoutesMatchExactly) {
  EXPECT_EQ(Dispatch("GET", "/v2/health/live"), "live");
  EXPECT_EQ(Dispatch("GET", "/v2"), "server");
  EXPECT_EQ(Dispatch("GET", "/v2/health/livex"), "status 404");
  EXPECT_EQ(Dispatch("GET", "/v2/health"), "status 404");
  EXPECT_EQ(Dispatch("GET", "/v2/health/live/more"), "status 404");
  EXPECT_EQ(Dispatch("GET", "/V2/health/live"), "status 404");  // case matters
}

TEST(RouteTableListingTest, ListsEveryRouteInTheOrderAdded) {
  RouteTable routes;
  const RouteTable::Handler none = [](HttpRequest&&, Responder) {};
  routes.Add("POST", "/v2/models/{model}/infer", none);
  routes.Add("GET", "/v2", none);
  routes.Add("GET", "/v1/models/{model}:predict", none);
  const std::vector<RouteTable::RouteKey> listed = routes.routes();
  ASSERT_EQ(listed.size(), 3u);
  EXPECT_EQ(listed[0].method, "POST");
  EXPECT_EQ(listed[0].pattern, "/v2/models/{model}/infer");
  EXPECT_EQ(listed[1].pattern, "/v2");
  EXPECT_EQ(listed[2].pattern, "/v1/models/{model}:predict");
}

TEST_F(RouteTableTest, ParametersAreCaptured) {
  HttpRequest request;
  EXPECT_EQ(Dispatch("GET", "/v2/models/simple/versions/3", &request), "versioned");
  EXPECT_THAT(request.path_params,
              ElementsAre(Pair("model", "simple"), Pair("version", "3")));
  EXPECT_EQ(request.param("model"), "simple");
  EXPECT_EQ(request.param("version"), "3");
  EXPECT_EQ(request.param("absent"), "");
}

TEST_F(RouteTableTest, SameMethodDifferentDepthPicksTheRightRoute) {
  HttpRequest request;
  EXPECT_EQ(Dispatch("GET", "/v2/models/simple", &request), "metadata");
  EXPECT_THAT(request.path_params, ElementsAre(Pair("model", "simple")));
  EXPECT_EQ(Dispatch("POST", "/v2/models/simple/infer"), "infer");
  EXPECT_EQ(Dispatch("POST", "/v2/models/simple/versions/2/infer", &request),
            "versioned-infer");
  EXPECT_EQ(request.param("version"), "2");
}

TEST_F(RouteTableTest, SuffixSegmentsSplitTheParameterFromTheVerb) {
  HttpRequest request;
  EXPECT_EQ(Dispatch("POST", "/v1/models/digits:predict", &request), "predict");
  EXPECT_THAT(request.path_params, ElementsAre(Pair("model", "digits")));
  // The suffix alone is no model name, and other verbs do not match.
  EXPECT_EQ(Dispatch("POST", "/v1/models/:predict"), "status 404");
  EXPECT_EQ(Dispatch("POST", "/v1/models/digits:explain"), "status 404");
  EXPECT_EQ(Dispatch("POST", "/v1/models/digits"), "status 404");
}

TEST_F(RouteTableTest, ParameterValueMayContainTheSuffixText) {
  HttpRequest request;
  EXPECT_EQ(Dispatch("POST", "/v1/models/a:predict:predict", &request), "predict");
  EXPECT_EQ(request.param("model"), "a:predict");
}

TEST_F(RouteTableTest, KnownPathWithWrongMethodIs405WithAllowList) {
  HttpRequest request = Request("DELETE", "/v2/repository/index");
  RouteTable::Match match = routes_.Find(request);
  EXPECT_EQ(match.status, 405);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "GET, POST");

  request = Request("GET", "/v2/models/simple/infer");
  match = routes_.Find(request);
  EXPECT_EQ(match.status, 405);
  EXPECT_EQ(match.allow, "POST");
  EXPECT_THAT(request.path_params, IsEmpty());  // not filled on a miss

  request = Request("POST", "/v2/health/live");
  match = routes_.Find(request);
  EXPECT_EQ(match.status, 405);
  EXPECT_EQ(match.allow, "GET");
}

TEST_F(RouteTableTest, UnknownPathIs404WithNoAllowList) {
  HttpRequest request = Request("GET", "/v3/anything");
  RouteTable::Match match = routes_.Find(request);
  EXPECT_EQ(match.status, 404);
  EXPECT_EQ(match.handler, nullptr);
  EXPECT_EQ(match.allow, "");
  request = Request("GET", "/");
  EXPECT_EQ(routes_.Find(request).status, 404);
}

TEST_F(RouteTableTest, MatchNamesThePatternThatMatched) {
  HttpRequest request = Request("POST", "/v2/models/simple/versions/2/infer");
  RouteTable::Match match = routes_.Find(request);
  EXPECT_EQ(match.pattern, "/v2/models/{model}/versions/{version}/infer");
  EXPECT_EQ(request.route, "/v2/models/{model}/versions/{version}/infer");
  HttpRequest missing = Request("GET", "/nowhere");
  EXPECT_EQ(routes_.Find(missing).pattern, "");
  EXPECT_EQ(missing.route, "");
}

TEST_F(RouteTableTest, EmptySegmentsAndTrailingSlashesAreIgnored) {
  EXPECT_EQ(Dispatch("GET", "/v2/health/live/"), "live");
  EXPECT_EQ(Dispatch("GET", "//v2//health/live"), "live");
}

struct RouteSpec {
  std::string method;
  std::string pattern;
};

// `specs` added in the order given, then in the reverse order: the route a
// request reaches must not depend on it. Each handler's tag is its pattern.
std::vector<RouteTable> BothOrders(const std::vector<RouteSpec>& specs) {
  std::vector<RouteTable> tables(2);
  for (const RouteSpec& spec : specs) tables[0].Add(spec.method, spec.pattern, Tag(spec.pattern));
  for (auto it = specs.rbegin(); it != specs.rend(); ++it) {
    tables[1].Add(it->method, it->pattern, Tag(it->pattern));
  }
  return tables;
}

// The pattern whose handler answered, or "status N" on a miss.
std::string Reach(const RouteTable& routes, std::string method, std::string path) {
  HttpRequest request = Request(std::move(method), std::move(path));
  RouteTable::Match match = routes.Find(request);
  if (match.status != 200) return "status " + std::to_string(match.status);
  EXPECT_EQ(match.pattern, request.route);
  return RunHandler(match, request);
}

TEST(RouteSpecificityTest, LiteralSegmentBeatsParameterInEitherOrder) {
  for (const RouteTable& routes : BothOrders({{"GET", "/a/{x}"}, {"GET", "/a/b"}})) {
    EXPECT_EQ(Reach(routes, "GET", "/a/b"), "/a/b");
    EXPECT_EQ(Reach(routes, "GET", "/a/c"), "/a/{x}");
  }
}

TEST(RouteSpecificityTest, MetricsStatsBeatModelMetadataInEitherOrder) {
  // The server's own overlap: "/v2/models/stats" is no model called "stats".
  const std::vector<RouteSpec> specs = {
      {"GET", "/v2/models/stats"},
      {"GET", "/v2/models/{model}/stats"},
      {"GET", "/v2/models/{model}/versions/{version}/stats"},
      {"GET", "/v2/models/{model}"},
      {"GET", "/v2/models/{model}/ready"},
      {"GET", "/v2/models/{model}/versions/{version}"},
      {"POST", "/v2/models/{model}/infer"},
  };
  for (const RouteTable& routes : BothOrders(specs)) {
    EXPECT_EQ(Reach(routes, "GET", "/v2/models/stats"), "/v2/models/stats");
    EXPECT_EQ(Reach(routes, "GET", "/v2/models/simple"), "/v2/models/{model}");
    EXPECT_EQ(Reach(routes, "GET", "/v2/models/simple/stats"), "/v2/models/{model}/stats");
    // "stats" as a model name still reaches the model routes below it.
    EXPECT_EQ(Reach(routes, "GET", "/v2/models/stats/ready"), "/v2/models/{model}/ready");
    EXPECT_EQ(Reach(routes, "GET", "/v2/models/stats/stats"), "/v2/models/{model}/stats");
    EXPECT_EQ(Reach(routes, "GET", "/v2/models/simple/versions/stats"),
              "/v2/models/{model}/versions/{version}");
    EXPECT_EQ(Reach(routes, "GET", "/v2/models/simple/versions/2/stats"),
              "/v2/models/{model}/versions/{version}/stats");
    // The wrong method on an overlapping path names each method once.
    HttpRequest request = Request("POST", "/v2/models/stats");
    RouteTable::Match match = routes.Find(request);
    EXPECT_EQ(match.status, 405);
    EXPECT_EQ(match.allow, "GET");
  }
}

TEST(RouteSpecificityTest, SuffixParameterSitsBetweenLiteralAndPlainParameter) {
  const std::vector<RouteSpec> specs = {
      {"POST", "/v1/models/{model}"},
      {"POST", "/v1/models/{model}:predict"},
      {"POST", "/v1/models/{model}:explain"},
      {"POST", "/v1/models/special:predict"},
  };
  for (const RouteTable& routes : BothOrders(specs)) {
    EXPECT_EQ(Reach(routes, "POST", "/v1/models/special:predict"), "/v1/models/special:predict");
    EXPECT_EQ(Reach(routes, "POST", "/v1/models/digits:predict"), "/v1/models/{model}:predict");
    EXPECT_EQ(Reach(routes, "POST", "/v1/models/digits:explain"), "/v1/models/{model}:explain");
    EXPECT_EQ(Reach(routes, "POST", "/v1/models/digits"), "/v1/models/{model}");
  }
}

TEST(RouteSpecificityTest, LongerSuffixWinsWhenBothMatch) {
  for (const RouteTable& routes :
       BothOrders({{"POST", "/m/{x}:predict"}, {"POST", "/m/{x}:batch:predict"}})) {
    EXPECT_EQ(Reach(routes, "POST", "/m/a:batch:predict"), "/m/{x}:batch:predict");
    EXPECT_EQ(Reach(routes, "POST", "/m/a:predict"), "/m/{x}:predict");
  }
}

TEST(RouteSpecificityTest, EarlierSegmentDecidesFirst) {
  for (const RouteTable& routes : BothOrders({{"GET", "/a/{x}/c"}, {"GET", "/{y}/b/c"}})) {
    EXPECT_EQ(Reach(routes, "GET", "/a/b/c"), "/a/{x}/c");
    EXPECT_EQ(Reach(routes, "GET", "/z/b/c"), "/{y}/b/c");
  }
}

TEST(RouteSpecificityTest, MethodMatchBeatsAMoreSpecificPathOfAnotherMethod) {
  // A literal GET route does not hide the parameter POST route under it.
  for (const RouteTable& routes :
       BothOrders({{"GET", "/v2/repository/index"}, {"POST", "/v2/repository/{what}"}})) {
    EXPECT_EQ(Reach(routes, "POST", "/v2/repository/index"), "/v2/repository/{what}");
    EXPECT_EQ(Reach(routes, "GET", "/v2/repository/index"), "/v2/repository/index");
    HttpRequest request = Request("DELETE", "/v2/repository/index");
    RouteTable::Match match = routes.Find(request);
    EXPECT_EQ(match.status, 405);
    EXPECT_EQ(match.allow, "GET, POST");
  }
}

TEST(RouteSpecificityTest, ParametersComeFromTheChosenRoute) {
  for (const RouteTable& routes :
       BothOrders({{"GET", "/v2/models/{model}/versions/{version}"},
                   {"GET", "/v2/models/{model}/versions/latest"}})) {
    HttpRequest request = Request("GET", "/v2/models/simple/versions/latest");
    RouteTable::Match match = routes.Find(request);
    ASSERT_EQ(match.status, 200);
    EXPECT_EQ(match.pattern, "/v2/models/{model}/versions/latest");
    EXPECT_THAT(request.path_params, ElementsAre(Pair("model", "simple")));
  }
}

TEST(RouteTableDeathTest, SameMethodAndPatternTwiceAbortsNamingBoth) {
  EXPECT_DEATH(
      {
        RouteTable routes;
        routes.Add("GET", "/v1/jobs/{id}", Tag("a"));
        routes.Add("GET", "/v1/jobs/{job}", Tag("b"));
      },
      "GET /v1/jobs/\\{job\\} added twice.*GET /v1/jobs/\\{id\\}");
  EXPECT_DEATH(
      {
        RouteTable routes;
        routes.Add("POST", "/v1/models/{m}:predict", Tag("a"));
        routes.Add("POST", "/v1/models/{model}:predict", Tag("b"));
      },
      "added twice");
}

TEST(RouteTableDeathTest, MalformedParameterAborts) {
  EXPECT_DEATH(RouteTable().Add("GET", "/v2/models/{model", Tag("a")), "malformed parameter");
  EXPECT_DEATH(RouteTable().Add("GET", "/v2/models/{}", Tag("a")), "malformed parameter");
}

TEST(RouteSpecificityTest, SamePatternWithAnotherMethodOrSuffixIsAnotherRoute) {
  RouteTable routes;
  routes.Add("GET", "/v1/jobs/{id}", Tag("get"));
  routes.Add("DELETE", "/v1/jobs/{id}", Tag("delete"));
  routes.Add("POST", "/v1/models/{model}:predict", Tag("predict"));
  routes.Add("POST", "/v1/models/{model}:explain", Tag("explain"));
  EXPECT_EQ(Reach(routes, "DELETE", "/v1/jobs/x"), "delete");
  EXPECT_EQ(Reach(routes, "GET", "/v1/jobs/x"), "get");
  EXPECT_EQ(Reach(routes, "POST", "/v1/models/m:explain"), "explain");
}

TEST_F(RouteTableTest, EncodedSlashesDoNotSplitSegments) {
  // A proxy that guards "/v2/repository/" must not be walked around.
  EXPECT_EQ(Dispatch("POST", "/v2%2frepository%2fmodels%2fsimple%2fload"), "status 404");
  EXPECT_EQ(Dispatch("POST", "/v2%2Frepository/models/simple/load"), "status 404");
  // The encoded slash stays inside the one parameter it was sent in.
  HttpRequest request;
  EXPECT_EQ(Dispatch("GET", "/v2/models/simple%2fversions%2f1/ready", &request), "ready");
  EXPECT_THAT(request.path_params, ElementsAre(Pair("model", "simple/versions/1")));
}

TEST_F(RouteTableTest, ParameterValuesAreDecodedAfterMatching) {
  HttpRequest request;
  EXPECT_EQ(Dispatch("GET", "/v2/models/%73imple/versions/%31/ready", &request),
            "versioned-ready");
  EXPECT_THAT(request.path_params, ElementsAre(Pair("model", "simple"), Pair("version", "1")));
  EXPECT_EQ(Dispatch("POST", "/v2/repository/models/a%00b/load", &request), "load");
  EXPECT_EQ(request.param("model"), std::string("a\0b", 3));
  EXPECT_EQ(Dispatch("POST", "/v1/models/a%3Apredict:predict", &request), "predict");
  EXPECT_EQ(request.param("model"), "a:predict");
  EXPECT_EQ(Dispatch("GET", "/v2/models/a+b%20c", &request), "metadata");
  EXPECT_EQ(request.param("model"), "a+b c");  // '+' is no space in a path
}

TEST_F(RouteTableTest, LiteralSegmentsMatchOnlyUnencoded) {
  EXPECT_EQ(Dispatch("GET", "/v2/%6dodels/simple"), "status 404");
  EXPECT_EQ(Dispatch("GET", "/v2/health/%6cive"), "status 404");
  EXPECT_EQ(Dispatch("POST", "/v1/models/digits%3apredict"), "status 404");
}

TEST_F(RouteTableTest, MalformedEscapeMatchesNoParameter) {
  EXPECT_EQ(Dispatch("GET", "/v2/models/a%zz"), "status 404");
  EXPECT_EQ(Dispatch("GET", "/v2/models/a%2"), "status 404");
}

TEST(EncodePathSegmentTest, EncodesWhatWouldSplitOrDecodeDifferently) {
  EXPECT_EQ(EncodePathSegment("simple"), "simple");
  EXPECT_EQ(EncodePathSegment("a/b%41 c"), "a%2Fb%2541%20c");
  RouteTable routes;
  routes.Add("POST", "/v2/models/{model}/infer", Tag("infer"));
  HttpRequest request =
      Request("POST", "/v2/models/" + EncodePathSegment("x%41/y") + "/infer");
  ASSERT_EQ(routes.Find(request).status, 200);
  EXPECT_EQ(request.param("model"), "x%41/y");
}

TEST(HttpRequestTest, HeaderLookupIgnoresCaseAndReturnsTheFirst) {
  HttpRequest request;
  request.headers = {{"content-type", "application/json"},
                     {"inference-header-content-length", "12"},
                     {"inference-header-content-length", "99"}};
  EXPECT_EQ(request.header("Content-Type"), "application/json");
  EXPECT_EQ(request.header("Inference-Header-Content-Length"), "12");
  EXPECT_FALSE(request.header("accept").has_value());
}

TEST(HttpMessageTest, JsonErrorEscapesTheMessage) {
  HttpResponse response = JsonError(400, "input \"x\": bad\nvalue");
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_EQ(response.body, R"({"error":"input \"x\": bad\nvalue"})");
  HttpResponse ok = JsonBody(201, "{}");
  EXPECT_EQ(ok.status, 201);
  EXPECT_EQ(ok.body, "{}");
}

}  // namespace
}  // namespace inferd
