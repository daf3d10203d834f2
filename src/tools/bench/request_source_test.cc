#include "tools/bench/request_source.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace inferd::bench {
namespace {

namespace json = boost::json;

// GET /v2/models/simple and /v2/models/digits as inferd answers them.
constexpr char kSimpleMetadata[] =
    R"({"name":"simple","versions":["1"],"platform":"pytorch_libtorch",)"
    R"("inputs":[{"name":"INPUT0","datatype":"INT32","shape":[-1,16]},)"
    R"({"name":"INPUT1","datatype":"INT32","shape":[-1,16]}],)"
    R"("outputs":[{"name":"OUTPUT0","datatype":"INT32","shape":[-1,16]}]})";
constexpr char kDigitsMetadata[] =
    R"({"name":"digits","inputs":[{"name":"input","datatype":"FP32",)"
    R"("shape":[-1,1,8,8]}]})";

json::object FirstBody(const RequestSource& source) {
  return json::parse(source.bodies().front()).as_object();
}

TEST(RequestSourceTest, GeneratesAV2InferRequestFromMetadata) {
  auto source = RequestSource::FromMetadata(
      kSimpleMetadata, {}, "/v2/models/simple/infer", "application/json");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->target(), "/v2/models/simple/infer");
  ASSERT_EQ(source->bodies().size(), 1u);

  json::array inputs = FirstBody(*source).at("inputs").as_array();
  ASSERT_EQ(inputs.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    const json::object& input = inputs[i].as_object();
    EXPECT_EQ(input.at("name").as_string(), i == 0 ? "INPUT0" : "INPUT1");
    EXPECT_EQ(input.at("datatype").as_string(), "INT32");
    EXPECT_EQ(json::serialize(input.at("shape")), "[1,16]");
    const json::array& data = input.at("data").as_array();
    ASSERT_EQ(data.size(), 16u);
    for (const json::value& v : data) {
      ASSERT_TRUE(v.is_int64());
      EXPECT_GE(v.as_int64(), 0);
      EXPECT_LT(v.as_int64(), 128);
    }
  }
  EXPECT_EQ(source->description(),
            "generated from metadata: INPUT0 INT32 [1,16], INPUT1 INT32 "
            "[1,16]");
}

TEST(RequestSourceTest, FillsBatchAndOtherVariableDimensions) {
  GenerationOptions options;
  options.batch_size = 4;
  options.shape_default = 3;
  auto source = RequestSource::FromMetadata(
      R"({"inputs":[{"name":"ids","datatype":"INT64","shape":[-1,-1]},)"
      R"({"name":"flag","datatype":"BOOL","shape":[1]},)"
      R"({"name":"text","datatype":"BYTES","shape":[-1]}]})",
      options, "/t", "application/json");
  ASSERT_TRUE(source.ok()) << source.status();
  json::array inputs = FirstBody(*source).at("inputs").as_array();
  EXPECT_EQ(json::serialize(inputs[0].at("shape")), "[4,3]");
  EXPECT_EQ(inputs[0].at("data").as_array().size(), 12u);
  EXPECT_EQ(json::serialize(inputs[1].at("shape")), "[1]");
  EXPECT_TRUE(inputs[1].at("data").as_array()[0].is_bool());
  EXPECT_EQ(json::serialize(inputs[2].at("shape")), "[4]");
  EXPECT_TRUE(inputs[2].at("data").as_array()[0].is_string());
}

TEST(RequestSourceTest, FloatInputsGetValuesInUnitRange) {
  auto source = RequestSource::FromMetadata(kDigitsMetadata, {}, "/t",
                                            "application/json");
  ASSERT_TRUE(source.ok()) << source.status();
  const json::object body = FirstBody(*source);
  const json::object& input = body.at("inputs").as_array()[0].as_object();
  EXPECT_EQ(json::serialize(input.at("shape")), "[1,1,8,8]");
  const json::array& data = input.at("data").as_array();
  ASSERT_EQ(data.size(), 64u);
  for (const json::value& v : data) {
    const double d = v.to_number<double>();
    EXPECT_GE(d, 0.0);
    EXPECT_LT(d, 1.0);
  }
}

TEST(RequestSourceTest, ShapeFlagOverridesMetadataShape) {
  GenerationOptions options;
  options.shapes["INPUT1"] = {2, 16};
  options.shapes["INPUT0"] = {2, 16};
  auto source =
      RequestSource::FromMetadata(kSimpleMetadata, options, "/t", "a/b");
  ASSERT_TRUE(source.ok()) << source.status();
  json::array inputs = FirstBody(*source).at("inputs").as_array();
  EXPECT_EQ(json::serialize(inputs[0].at("shape")), "[2,16]");
  EXPECT_EQ(inputs[1].at("data").as_array().size(), 32u);
}

TEST(RequestSourceTest, ShapeFlagMustFitTheModel) {
  GenerationOptions options;
  options.shapes["INPUT0"] = {2, 15};
  auto source =
      RequestSource::FromMetadata(kSimpleMetadata, options, "/t", "a/b");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().message(),
            "--shape for input \"INPUT0\": model expects [-1,16], got [2,15]");

  options.shapes.clear();
  options.shapes["INPUT9"] = {1, 16};
  source = RequestSource::FromMetadata(kSimpleMetadata, options, "/t", "a/b");
  ASSERT_FALSE(source.ok());
  EXPECT_NE(std::string(source.status().message()).find("INPUT0, INPUT1"),
            std::string::npos)
      << source.status();
}

TEST(RequestSourceTest, SameSeedSameBodiesAndDistinctBodiesDiffer) {
  GenerationOptions options;
  options.count = 3;
  options.seed = 7;
  auto a = RequestSource::FromMetadata(kSimpleMetadata, options, "/t", "x");
  auto b = RequestSource::FromMetadata(kSimpleMetadata, options, "/t", "x");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_EQ(a->bodies().size(), 3u);
  EXPECT_EQ(a->bodies(), b->bodies());
  EXPECT_NE(a->bodies()[0], a->bodies()[1]);
  EXPECT_NE(a->bodies()[1], a->bodies()[2]);
}

TEST(RequestSourceTest, BadMetadataIsAClearError) {
  EXPECT_FALSE(RequestSource::FromMetadata("not json", {}, "/t", "x").ok());
  EXPECT_FALSE(RequestSource::FromMetadata("{}", {}, "/t", "x").ok());
  auto source = RequestSource::FromMetadata(
      R"({"inputs":[{"name":"a","datatype":"COMPLEX64","shape":[1]}]})", {},
      "/t", "x");
  ASSERT_FALSE(source.ok());
  EXPECT_EQ(source.status().message(),
            "input \"a\": unknown datatype \"COMPLEX64\"");
}

class RequestFileTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& contents) {
    path_ = ::testing::TempDir() + "/inferd_bench_request.json";
    std::ofstream(path_) << contents;
    return path_;
  }
  void TearDown() override { std::remove(path_.c_str()); }
  std::string path_;
};

TEST_F(RequestFileTest, SendsTheFileAsItIs) {
  const std::string body = R"({"inputs":[{"name":"x","datatype":"FP32",)"
                           R"("shape":[1],"data":[0.5]}]})";
  auto source =
      RequestSource::FromFile(Write(body), true, "/t", "application/json");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->bodies(), std::vector<std::string>{body});
}

TEST_F(RequestFileTest, InputFileMustBeAnInferRequest) {
  auto source = RequestSource::FromFile(Write(R"({"instances":[1]})"), true,
                                        "/t", "application/json");
  ASSERT_FALSE(source.ok());
  EXPECT_NE(std::string(source.status().message()).find("\"inputs\""),
            std::string::npos);
  // As a plain body file the same contents are fine.
  EXPECT_TRUE(
      RequestSource::FromFile(path_, false, "/t", "application/json").ok());
  EXPECT_FALSE(
      RequestSource::FromFile("/nonexistent/req.json", false, "/t", "x").ok());
}

TEST_F(RequestFileTest, BodyLinesAreSentRoundRobin) {
  auto source = RequestSource::FromLines(
      Write("{\"instances\":[\"a\"]}\r\n\n{\"instances\":[\"b c\"]}\n"), "/t",
      "application/json");
  ASSERT_TRUE(source.ok()) << source.status();
  EXPECT_EQ(source->bodies(),
            (std::vector<std::string>{R"({"instances":["a"]})",
                                      R"({"instances":["b c"]})"}));
  EXPECT_FALSE(RequestSource::FromLines(Write("\n\n"), "/t", "x").ok());
  EXPECT_FALSE(RequestSource::FromLines("/nonexistent/b.jsonl", "/t", "x").ok());
}

TEST(ModelPathTest, AddsVersionAndPrefix) {
  EXPECT_EQ(ModelPath("", "simple", ""), "/v2/models/simple");
  EXPECT_EQ(ModelPath("/p", "simple", "2"), "/p/v2/models/simple/versions/2");
}

}  // namespace
}  // namespace inferd::bench
