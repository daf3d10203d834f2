#include "api/embeddings_api.h"

#include <cstring>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {
namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::FloatEq;
using ::testing::HasSubstr;

TEST(EmbeddingsRequestTest, AcceptsTheFourInputShapes) {
  OpenAiError error;
  auto one = ParseEmbeddingsRequest(R"({"model": "m", "input": "hello"})", 2048, &error);
  ASSERT_TRUE(one.ok()) << error.message;
  EXPECT_EQ(one->model, "m");
  ASSERT_EQ(one->inputs.size(), 1u);
  EXPECT_EQ(one->inputs[0]->as_string(), "hello");
  EXPECT_FALSE(one->base64);

  auto strings = ParseEmbeddingsRequest(
      R"({"model": "m", "input": ["a", "b"], "encoding_format": "base64", "user": "u1"})", 2048,
      &error);
  ASSERT_TRUE(strings.ok()) << error.message;
  EXPECT_EQ(strings->inputs.size(), 2u);
  EXPECT_TRUE(strings->base64);

  auto ids = ParseEmbeddingsRequest(R"({"model": "m", "input": [5, 6, 7], "dimensions": 8})",
                                    2048, &error);
  ASSERT_TRUE(ids.ok()) << error.message;
  ASSERT_EQ(ids->inputs.size(), 1u);  // one token list is one input
  EXPECT_EQ(ids->inputs[0]->as_array().size(), 3u);
  EXPECT_EQ(ids->dimensions, 8);

  auto lists = ParseEmbeddingsRequest(R"({"model": "m", "input": [[5], [6, 7]]})", 2048, &error);
  ASSERT_TRUE(lists.ok()) << error.message;
  EXPECT_EQ(lists->inputs.size(), 2u);
}

TEST(EmbeddingsRequestTest, ErrorsNameTheParameter) {
  struct Case {
    const char* body;
    const char* param;  // nullptr: no param
    const char* message;
  };
  for (const Case& c : std::vector<Case>{
           {"{", nullptr, "not valid JSON"},
           {"[]", nullptr, "JSON object"},
           {R"({"input": "a"})", "model", "model"},
           {R"({"model": 3, "input": "a"})", "model", "'model'"},
           {R"({"model": "m"})", "input", "'input' is a required"},
           {R"({"model": "m", "input": ""})", "input", "empty string"},
           {R"({"model": "m", "input": []})", "input", "empty array"},
           {R"({"model": "m", "input": ["a", ""]})", "input", "'input'[1]"},
           {R"({"model": "m", "input": ["a", 1]})", "input", "'input'[1]"},
           {R"({"model": "m", "input": [1, "a"]})", "input", "'input'[1]"},
           {R"({"model": "m", "input": [[1], []]})", "input", "'input'[1]"},
           {R"({"model": "m", "input": [[1], [2.5]]})", "input", "'input'[1]"},
           {R"({"model": "m", "input": [18446744073709551615]})", "input", "'input'[0] must be a token id"},
           {R"({"model": "m", "input": [[1], [18446744073709551615]]})", "input", "'input'[1]"},
           {R"({"model": "m", "input": {"text": "a"}})", "input", "'input' must be"},
           {R"({"model": "m", "input": "a", "encoding_format": "hex"})", "encoding_format",
            "encoding_format"},
           {R"({"model": "m", "input": "a", "dimensions": 0})", "dimensions", "dimensions"},
           {R"({"model": "m", "input": "a", "dimensions": "8"})", "dimensions", "dimensions"},
           {R"({"model": "m", "input": "a", "user": 7})", "user", "user"},
           {R"({"model": "m", "input": "a", "temperature": 1})", "temperature", "temperature"},
       }) {
    OpenAiError error;
    auto request = ParseEmbeddingsRequest(c.body, 2048, &error);
    ASSERT_FALSE(request.ok()) << c.body;
    EXPECT_EQ(error.status, 400) << c.body;
    EXPECT_THAT(error.message, HasSubstr(c.message)) << c.body;
    if (c.param == nullptr) {
      EXPECT_FALSE(error.param.has_value()) << c.body;
    } else {
      EXPECT_EQ(error.param, c.param) << c.body;
    }
  }
}

TEST(EmbeddingsRequestTest, TooManyInputs) {
  OpenAiError error;
  auto request = ParseEmbeddingsRequest(R"({"model": "m", "input": ["a", "b", "c"]})", 2, &error);
  ASSERT_FALSE(request.ok());
  EXPECT_THAT(error.message, HasSubstr("at most 2"));
}

TEST(EmbeddingsResponseTest, FloatAndBase64) {
  const std::vector<std::vector<float>> embeddings = {{0.5f, -1.25f}, {3.0f, 0.0f}};
  json::value body = json::parse(EncodeEmbeddingsResponse("m", embeddings, false, 9));
  EXPECT_EQ(body.at("object").as_string(), "list");
  EXPECT_EQ(body.at("model").as_string(), "m");
  EXPECT_EQ(body.at("usage").at("prompt_tokens").as_int64(), 9);
  EXPECT_EQ(body.at("usage").at("total_tokens").as_int64(), 9);
  const json::array& data = body.at("data").as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1].at("object").as_string(), "embedding");
  EXPECT_EQ(data[1].at("index").as_int64(), 1);
  EXPECT_DOUBLE_EQ(data[0].at("embedding").as_array()[1].as_double(), -1.25);

  json::value encoded = json::parse(EncodeEmbeddingsResponse("m", embeddings, true, 9));
  std::string bytes;
  ASSERT_TRUE(absl::Base64Unescape(
      std::string(encoded.at("data").as_array()[0].at("embedding").as_string()), &bytes));
  ASSERT_EQ(bytes.size(), 8u);
  float values[2];
  std::memcpy(values, bytes.data(), 8);
  EXPECT_THAT(values, ElementsAre(FloatEq(0.5f), FloatEq(-1.25f)));
}

TEST(EmbeddingsResponseTest, ShortenKeepsTheFirstValuesAndRenormalises) {
  std::vector<float> v = {3, 4, 12};
  ShortenEmbedding(v, 2, /*normalize=*/true);
  EXPECT_THAT(v, ElementsAre(FloatEq(0.6f), FloatEq(0.8f)));
  std::vector<float> raw = {3, 4, 12};
  ShortenEmbedding(raw, 2, /*normalize=*/false);
  EXPECT_THAT(raw, ElementsAre(FloatEq(3), FloatEq(4)));
  ShortenEmbedding(raw, 5, true);
  EXPECT_EQ(raw.size(), 2u);
}

TEST(EmbeddingsResponseTest, ErrorBodyHasOpenAiShape) {
  OpenAiError error;
  error.status = 404;
  error.message = "no model";
  error.param = "model";
  error.code = "model_not_found";
  HttpResponse response = OpenAiErrorResponse(error);
  EXPECT_EQ(response.status, 404);
  json::value body = json::parse(response.body);
  EXPECT_EQ(body.at("error").at("message").as_string(), "no model");
  EXPECT_EQ(body.at("error").at("type").as_string(), "invalid_request_error");
  EXPECT_EQ(body.at("error").at("param").as_string(), "model");
  EXPECT_EQ(body.at("error").at("code").as_string(), "model_not_found");
  EXPECT_TRUE(OpenAiErrorResponse(OpenAiError{}).body.find("\"param\":null") != std::string::npos);
}

}  // namespace
}  // namespace inferd
