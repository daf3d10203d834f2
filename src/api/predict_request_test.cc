#include "api/predict_request.h"

#include "http/http_message.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::HasSubstr;

HttpRequest Post(std::string body, std::string content_type = "application/json") {
  HttpRequest http;
  http.method = "POST";
  http.path = "/v1/models/m:predict";
  if (!content_type.empty()) http.headers.emplace_back("content-type", content_type);
  http.body = std::move(body);
  return http;
}

// The route passes the Content-Type header and the body.
absl::StatusOr<PredictRequest> Parse(const HttpRequest& http) {
  return ParsePredictRequest(http.header("content-type").value_or(""), http.body);
}

std::string Multipart(const std::string& boundary,
                      const std::vector<std::vector<std::string>>& parts) {
  // Each part: {name, filename ("" for none), content type ("" for none), body}.
  std::string out;
  for (const auto& part : parts) {
    out += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + part[0] + "\"";
    if (!part[1].empty()) out += "; filename=\"" + part[1] + "\"";
    out += "\r\n";
    if (!part[2].empty()) out += "Content-Type: " + part[2] + "\r\n";
    out += "\r\n" + part[3] + "\r\n";
  }
  return out + "--" + boundary + "--\r\n";
}

TEST(PredictRequestTest, JsonInstancesPointIntoTheBody) {
  auto request = Parse(Post(
      R"({"instances": ["a good book", {"text": "q", "text_pair": "p"}, {"b64": "AAAA"}, [1, 2]],
          "parameters": {"top_k": 2, "priority": 1, "timeout": 5000},
          "signature_name": "serving_default"})"));
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->instances.size(), 4u);
  EXPECT_EQ(request->instances[0].json->as_string(), "a good book");
  EXPECT_EQ(request->instances[1].json->as_object().at("text_pair").as_string(), "p");
  EXPECT_TRUE(request->instances[2].json->as_object().contains("b64"));
  EXPECT_EQ(request->instances[3].json->as_array().size(), 2u);
  ASSERT_NE(request->parameters, nullptr);
  EXPECT_EQ(request->parameters->at("top_k").as_int64(), 2);
  EXPECT_EQ(request->priority, 1u);
  EXPECT_EQ(request->timeout, absl::Microseconds(5000));
}

TEST(PredictRequestTest, JsonWithoutContentTypeAndTextPlainAreJson) {
  for (const char* type : {"", "text/plain", "application/json; charset=utf-8"}) {
    auto request = Parse(Post(R"({"instances": ["x"]})", type));
    ASSERT_TRUE(request.ok()) << type << ": " << request.status();
    EXPECT_EQ(request->instances.size(), 1u);
    EXPECT_EQ(request->parameters, nullptr);
    EXPECT_EQ(request->priority, 0u);
    EXPECT_FALSE(request->timeout.has_value());
  }
}

TEST(PredictRequestTest, MalformedJsonNamesTheField) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"{", "not valid JSON"},
           {"[1]", "must be a JSON object"},
           {"{}", "\"instances\" is required"},
           {R"({"instances": "a"})", "\"instances\" must be an array"},
           {R"({"instances": []})", "\"instances\" must not be empty"},
           {R"({"inputs": ["a"]})", "unknown field \"inputs\""},
           {R"({"instances": ["a"], "parameters": [1]})", "\"parameters\" must be an object"},
           {R"({"instances": ["a"], "parameters": {"priority": -1}})",
            "parameters.priority: must be a non-negative integer"},
           {R"({"instances": ["a"], "parameters": {"timeout": "1s"}})",
            "parameters.timeout: must be a non-negative integer"},
           {R"({"instances": ["a"], "parameters": {"priority": 1.5}})",
            "parameters.priority"},
       }) {
    auto request = Parse(Post(c.body));
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_TRUE(absl::IsInvalidArgument(request.status())) << c.body;
    EXPECT_THAT(request.status().message(), HasSubstr(c.message)) << c.body;
  }
}

TEST(PredictRequestTest, RawImageBodyIsOneInstance) {
  auto request = Parse(Post("\x89PNG\r\n\x1a\nrest", "image/png; q=1"));
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->instances.size(), 1u);
  EXPECT_EQ(request->instances[0].json, nullptr);
  EXPECT_EQ(request->instances[0].bytes, "\x89PNG\r\n\x1a\nrest");
  EXPECT_EQ(request->instances[0].content_type, "image/png");
  EXPECT_EQ(request->body, nullptr);
}

TEST(PredictRequestTest, EmptyRawImageBodyStillReachesTheTask) {
  // The task answers the empty image in place; the request itself is fine.
  auto request = Parse(Post("", "image/jpeg"));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->instances.size(), 1u);
}

TEST(PredictRequestTest, MultipartFilesAreInstancesAndParametersAPart) {
  const std::string boundary = "XyZ-boundary";
  auto request = Parse(Post(
      Multipart(boundary, {{"file", "a.png", "image/png", "AAA"},
                           {"parameters", "", "application/json", R"({"top_k": 3, "timeout": 7})"},
                           {"file", "b.jpg", "image/jpeg", "BBBB"}}),
      "multipart/form-data; boundary=" + boundary));
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->instances.size(), 2u);
  EXPECT_EQ(request->instances[0].bytes, "AAA");
  EXPECT_EQ(request->instances[0].filename, "a.png");
  EXPECT_EQ(request->instances[0].content_type, "image/png");
  EXPECT_EQ(request->instances[1].bytes, "BBBB");
  ASSERT_NE(request->parameters, nullptr);
  EXPECT_EQ(request->parameters->at("top_k").as_int64(), 3);
  EXPECT_EQ(request->timeout, absl::Microseconds(7));
}

TEST(PredictRequestTest, MultipartBoundaryKeepsItsCase) {
  auto request = Parse(
      Post(Multipart("AbC", {{"f", "x.png", "", "1"}}), "Multipart/Form-Data; boundary=AbC"));
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->instances.size(), 1u);
}

TEST(PredictRequestTest, BadMultipartBodiesAreRefused) {
  const std::string type = "multipart/form-data; boundary=b";
  for (const auto& [body, message] : std::vector<std::pair<std::string, std::string>>{
           {Multipart("b", {{"parameters", "", "", "{"}}), "\"parameters\" part is not valid"},
           {Multipart("b", {{"parameters", "", "", "[1]"}}), "must be a JSON object"},
           {Multipart("b", {{"parameters", "", "", "{}"}}), "\"instances\" must not be empty"},
       }) {
    auto request = Parse(Post(body, type));
    ASSERT_FALSE(request.ok()) << body;
    EXPECT_THAT(request.status().message(), HasSubstr(message)) << body;
  }
  auto unterminated = Parse(Post("--b\r\nContent-Disposition: form", type));
  EXPECT_FALSE(unterminated.ok());
  auto no_boundary = Parse(Post("x", "multipart/form-data"));
  EXPECT_FALSE(no_boundary.ok());
}

TEST(PredictRequestTest, OtherContentTypesAreNamed) {
  auto request = Parse(Post("a,b", "text/csv"));
  ASSERT_FALSE(request.ok());
  EXPECT_TRUE(absl::IsInvalidArgument(request.status()));
  EXPECT_THAT(request.status().message(), HasSubstr("\"text/csv\""));
}

}  // namespace
}  // namespace inferd
