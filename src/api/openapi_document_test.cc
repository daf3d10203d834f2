#include "api/openapi_document.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace inferd {
namespace {

namespace json = boost::json;

json::object Parse(const OpenApiDocument& document) {
  return json::parse(document.json()).as_object();
}

TEST(OpenApiDocumentTest, APathKeepsEveryMethodAddedToIt) {
  OpenApiDocument document({.version = "1.2.3"});
  document.Add("GET", "/v2/logging", {.tag = "T", .summary = "read",
                                      .response = {.schema = "LogSettings"}});
  document.Add("POST", "/v2/logging", {.tag = "T", .summary = "write",
                                       .request = {.schema = "LogSettings"},
                                       .response = {.schema = "LogSettings"}});
  document.Finish();
  const json::object doc = Parse(document);
  EXPECT_EQ(doc.at("openapi"), "3.1.0");
  EXPECT_EQ(doc.at("info").at("version"), "1.2.3");
  const json::object& item = doc.at("paths").at("/v2/logging").as_object();
  EXPECT_EQ(item.at("get").at("summary"), "read");
  EXPECT_EQ(item.at("post").at("summary"), "write");
  EXPECT_EQ(item.at("post").at("requestBody").at("content").at("application/json")
                .at("schema").at("$ref"),
            "#/components/schemas/LogSettings");
  EXPECT_TRUE(document.Has("POST", "/v2/logging"));
  EXPECT_FALSE(document.Has("DELETE", "/v2/logging"));
}

TEST(OpenApiDocumentTest, StreamsNameTheSchemaOfEachItem) {
  OpenApiDocument document({});
  document.Add("POST", "/v1/completions",
               {.tag = "OpenAI", .summary = "complete",
                .request = {.schema = "CompletionRequest"},
                .response = {.schema = "Completion",
                             .alternative_type = "text/event-stream",
                             .alternative_item = "Completion"}});
  document.Finish();
  const json::object doc = Parse(document);
  const json::object& content = doc.at("paths").at("/v1/completions").at("post")
                                    .at("responses").at("200").at("content").as_object();
  EXPECT_EQ(content.at("application/json").at("schema").at("$ref"),
            "#/components/schemas/Completion");
  EXPECT_EQ(content.at("text/event-stream").at("schema").at("type"), "string");
  EXPECT_EQ(content.at("text/event-stream").at("x-inferd-item-schema").at("$ref"),
            "#/components/schemas/Completion");
}

TEST(OpenApiDocumentTest, QueryParametersAreListed) {
  OpenApiDocument document({});
  document.Add("GET", "/v1/jobs", {.tag = "Jobs", .summary = "list",
                                   .response = {.schema = "JobList"},
                                   .query = {{"limit", "1..1000", "integer"}}});
  document.Finish();
  const json::object doc = Parse(document);
  const json::array& parameters =
      doc.at("paths").at("/v1/jobs").at("get").at("parameters").as_array();
  ASSERT_EQ(parameters.size(), 1u);
  EXPECT_EQ(parameters[0].at("in"), "query");
  EXPECT_EQ(parameters[0].at("schema").at("type"), "integer");
}

TEST(OpenApiDocumentDeathTest, AnUnknownSchemaNameAbortsNamingIt) {
  OpenApiDocument document({});
  EXPECT_DEATH(document.Add("GET", "/x", {.tag = "T", .summary = "s",
                                          .response = {.schema = "NoSuchSchema"}}),
               "NoSuchSchema");
}

TEST(OpenApiDocumentDeathTest, ARouteDocumentedTwiceAborts) {
  OpenApiDocument document({});
  const OpenApiOperation live = {.tag = "T", .summary = "s", .response = {.schema = "Live"}};
  document.Add("GET", "/v2/health/live", live);
  EXPECT_DEATH(document.Add("GET", "/v2/health/live", live), "documented twice");
}

}  // namespace
}  // namespace inferd
