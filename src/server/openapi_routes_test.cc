// The OpenAPI document against the routes the server really registers:
// every route of the table is documented, and nothing else is.

#include <cctype>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"
#include "server/routes.h"
#include "server/testing/every_api.h"

namespace inferd {
namespace {

namespace json = boost::json;

// Every API the server wires (server.cc), so every route is registered.
class OpenApiRoutesTest : public ::testing::Test {
 protected:
  void Build(const RouteGuard* guard, bool api_keys) {
    document_ = std::make_unique<OpenApiDocument>(
        OpenApiDocument::Options{.version = "9.9.9", .api_keys = api_keys});
    docs_ = std::make_unique<DocsApi>(DocsApi::Options{.document = document_.get()});
    AddServerRoutes(routes_, apis_.Pointers(docs_.get()), guard, document_.get());
    document_->Finish();
    parsed_ = json::parse(document_->json()).as_object();
  }

  const json::object& Operation(const std::string& method, const std::string& pattern) {
    return parsed_.at("paths").at(pattern).at(method).as_object();
  }

  testing::EveryApi apis_;
  std::unique_ptr<OpenApiDocument> document_;
  std::unique_ptr<DocsApi> docs_;
  RouteTable routes_;
  json::object parsed_;
};

std::string Lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

TEST_F(OpenApiRoutesTest, EveryRegisteredRouteIsInTheDocument) {
  Build(nullptr, false);
  const std::vector<RouteTable::RouteKey> registered = routes_.routes();
  ASSERT_GT(registered.size(), 60u);  // the whole API, not an empty table
  std::set<std::pair<std::string, std::string>> from_table;
  for (const RouteTable::RouteKey& route : registered) {
    from_table.emplace(Lower(route.method), route.pattern);
    const json::value* item = parsed_.at("paths").as_object().if_contains(route.pattern);
    ASSERT_NE(item, nullptr) << route.method << " " << route.pattern << " is not documented";
    EXPECT_TRUE(item->as_object().contains(Lower(route.method)))
        << route.method << " " << route.pattern << " is not documented";
  }
  // And the document has nothing the server does not serve.
  for (const auto& [pattern, item] : parsed_.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      EXPECT_TRUE(from_table.count({std::string(method), std::string(pattern)}))
          << method << " " << std::string(pattern) << " is documented but not served";
    }
  }
}

TEST_F(OpenApiRoutesTest, PathParametersComeFromThePattern) {
  Build(nullptr, false);
  const json::array& parameters =
      Operation("post", "/v1/models/{model}/versions/{version}:predict").at("parameters").as_array();
  // model, version, then the headers of an async request.
  ASSERT_EQ(parameters.size(), 6u);
  EXPECT_EQ(parameters[0].at("name"), "model");
  EXPECT_EQ(parameters[0].at("in"), "path");
  EXPECT_EQ(parameters[1].at("name"), "version");
  EXPECT_EQ(parameters[2].at("name"), "Prefer");
  EXPECT_EQ(parameters[2].at("in"), "header");
  EXPECT_EQ(parameters[3].at("name"), "Idempotency-Key");
}

TEST_F(OpenApiRoutesTest, OpenAiRoutesDocumentOpenAisErrorObject) {
  Build(nullptr, false);
  EXPECT_EQ(Operation("post", "/v1/chat/completions")
                .at("responses").at("default").at("content").at("application/json")
                .at("schema").at("$ref"),
            "#/components/schemas/OpenAiError");
  EXPECT_EQ(Operation("post", "/v2/models/{model}/infer")
                .at("responses").at("default").at("content").at("application/json")
                .at("schema").at("$ref"),
            "#/components/schemas/Error");
}

TEST_F(OpenApiRoutesTest, WithoutKeysNoRouteAsksForOne) {
  Build(nullptr, false);
  EXPECT_FALSE(parsed_.at("components").as_object().contains("securitySchemes"));
  EXPECT_FALSE(Operation("post", "/v2/models/{model}/infer").contains("security"));
}

TEST_F(OpenApiRoutesTest, WithKeysTheGuardsPolicyDecidesWhoNeedsOne) {
  auth::RateLimiter limiter({});
  RouteGuard guard({.limiter = &limiter, .metrics_open = true});
  Build(&guard, true);
  EXPECT_TRUE(parsed_.at("components").at("securitySchemes").as_object().contains("bearer"));
  EXPECT_TRUE(parsed_.at("components").at("securitySchemes").as_object().contains("apiKey"));
  // Health probes, /metrics with --metrics-open, and the document and its
  // page are open; inference and admin routes need a key.
  for (const char* open : {"/v2/health/live", "/health", "/metrics", "/openapi.json", "/docs"}) {
    EXPECT_TRUE(Operation("get", open).at("security").as_array().empty()) << open;
  }
  const json::object& infer = Operation("post", "/v2/models/{model}/infer");
  EXPECT_EQ(infer.at("security").as_array().size(), 2u);
  EXPECT_NE(infer.at("description").as_string().find("`infer` scope"), json::string::npos);
  const json::object& load = Operation("post", "/v2/repository/models/{model}/load");
  EXPECT_NE(load.at("description").as_string().find("`admin` scope"), json::string::npos);
}

TEST_F(OpenApiRoutesTest, EverySchemaReferenceResolves) {
  Build(nullptr, true);
  const json::object& schemas = parsed_.at("components").at("schemas").as_object();
  std::vector<const json::value*> todo = {&parsed_.at("paths"), &parsed_.at("components")};
  int references = 0;
  while (!todo.empty()) {
    const json::value* value = todo.back();
    todo.pop_back();
    if (value->is_array()) {
      for (const json::value& item : value->as_array()) todo.push_back(&item);
    } else if (value->is_object()) {
      for (const auto& [key, item] : value->as_object()) {
        if (key == "$ref") {
          ++references;
          const std::string ref(item.as_string());
          const std::string prefix = "#/components/schemas/";
          ASSERT_EQ(ref.rfind(prefix, 0), 0u) << ref;
          EXPECT_TRUE(schemas.contains(ref.substr(prefix.size()))) << ref << " does not resolve";
        }
        todo.push_back(&item);
      }
    }
  }
  EXPECT_GT(references, 100);
}

TEST_F(OpenApiRoutesTest, OperationIdsAreUnique) {
  Build(nullptr, false);
  std::set<std::string> ids;
  for (const auto& [pattern, item] : parsed_.at("paths").as_object()) {
    for (const auto& [method, operation] : item.as_object()) {
      const std::string id(operation.at("operationId").as_string());
      EXPECT_TRUE(ids.insert(id).second) << id << " twice";
    }
  }
}

}  // namespace
}  // namespace inferd
