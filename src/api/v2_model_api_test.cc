#include "api/v2_model_api.h"

#include <cstring>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "backend/testing/fake_backend.h"
#include "backend/testing/temp_model_repository.h"
#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "api/testing/route_client.h"
#include "server/routes.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::inferd::testing::FakeBackend;
using ::inferd::testing::SimpleModelConfig;
using ::inferd::testing::TempModelRepository;
using ::testing::HasSubstr;

constexpr absl::Duration kHang = absl::Seconds(20);

// INPUT0 = 0..15 and INPUT1 = 1 for the `simple` model, as JSON.
std::string SimpleRequest(std::string_view extra = "") {
  std::string input0 = "[";
  for (int i = 0; i < 16; ++i) input0 += (i ? "," : "") + std::to_string(i);
  input0 += "]";
  std::string input1 = "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]";
  return std::string(R"({)") + std::string(extra) +
         R"("inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"data":)" +
         input0 +
         R"(},{"name":"INPUT1","datatype":"INT32","shape":[1,16],"data":)" + input1 +
         "}]}";
}

std::optional<std::string> Header(const HttpResponse& response, std::string_view name) {
  for (const auto& [key, value] : response.headers) {
    if (key == name) return value;
  }
  return std::nullopt;
}

std::string ErrorText(const HttpResponse& response) {
  json::value body = json::parse(response.body);
  return std::string(body.at("error").as_string());
}

class V2ModelApiTest : public ::testing::Test {
 protected:
  V2ModelApiTest() {
    backends_.Register({"fake"}, fake_);
    backends_.Register(
        {"failing"},
        std::make_shared<FakeBackend>(
            [](const std::vector<Tensor>&) -> absl::StatusOr<std::vector<Tensor>> {
              return absl::InternalError("the model threw: boom");
            }));
    repo_.AddModel("simple", SimpleModelConfig("simple", "version_policy: { all: {} }"),
                   {1, 2});
    repo_.WriteFile("broken/config.pbtxt", SimpleModelConfig("broken"));
    repo_.WriteFile("broken/1/model.fake", "corrupt");
    std::string failing = SimpleModelConfig("failing");
    failing.replace(failing.find("backend: \"fake\""), 15, "backend: \"failing\"");
    repo_.AddModel("failing", failing, {1});
    repo_.AddModel("idle", SimpleModelConfig("idle"), {1});
    repository_ = *ModelRepository::Create({repo_.root(), ModelControlMode::kExplicit,
                                            {"simple", "broken", "failing"}, &backends_});
    repository_->LoadStartupModels();
    context_.repository = repository_.get();
    service_ = std::make_unique<InferenceService>(
        InferenceService::Options{repository_.get(), &pool_});
    context_.service = service_.get();
    context_.codec_pool = &pool_;
    AddServerRoutes(routes_, {.models = &api_});
  }

  // Sends a request through the route table and waits for the one response.
  HttpResponse Send(std::string method, std::string path, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    return inferd::testing::SendThroughRoutes(routes_, std::move(method), std::move(path),
                                              std::move(body), std::move(headers));
  }

  HttpResponse Infer(std::string body, std::string path = "/v2/models/simple/infer",
                     std::vector<std::pair<std::string, std::string>> headers = {}) {
    return Send("POST", std::move(path), std::move(body), std::move(headers));
  }

  TempModelRepository repo_;
  std::shared_ptr<FakeBackend> fake_ = std::make_shared<FakeBackend>();
  BackendRegistry backends_;
  ThreadPool pool_{2};  // outlives the repository, whose drain may post to it
  std::unique_ptr<ModelRepository> repository_;
  std::unique_ptr<InferenceService> service_;
  ApiContext context_;
  V2ModelApi api_{&context_};
  RouteTable routes_;
};

// ----------------------------------------------------------------- metadata

TEST_F(V2ModelApiTest, MetadataDescribesTensorsWithTheBatchDimension) {
  HttpResponse response = Send("GET", "/v2/models/simple");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.content_type, "application/json");
  json::value body = json::parse(response.body);
  EXPECT_EQ(body.at("name"), "simple");
  EXPECT_EQ(body.at("versions"), (json::array{"1", "2"}));
  const json::array& inputs = body.at("inputs").as_array();
  ASSERT_EQ(inputs.size(), 2u);
  EXPECT_EQ(inputs[0], json::parse(R"({"name":"INPUT0","datatype":"INT32","shape":[-1,16]})"));
  EXPECT_EQ(inputs[1].at("name"), "INPUT1");
  const json::array& outputs = body.at("outputs").as_array();
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[1], json::parse(R"({"name":"OUTPUT1","datatype":"INT32","shape":[-1,16]})"));
}

TEST_F(V2ModelApiTest, MetadataOfAVersion) {
  HttpResponse response = Send("GET", "/v2/models/simple/versions/1");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(json::parse(response.body).at("name"), "simple");
}

TEST_F(V2ModelApiTest, UnknownModelOrVersionIs404) {
  HttpResponse model = Send("GET", "/v2/models/nope");
  EXPECT_EQ(model.status, 404);
  EXPECT_EQ(ErrorText(model), "Request for unknown model: 'nope' is not found");
  HttpResponse version = Send("GET", "/v2/models/simple/versions/9/ready");
  EXPECT_EQ(version.status, 404);
  EXPECT_EQ(ErrorText(version), "Request for unknown model: 'simple' version 9 is not found");
  EXPECT_EQ(Send("GET", "/v2/models/simple/versions/x/config").status, 404);
}

TEST_F(V2ModelApiTest, ReadyReportsTheServedVersion) {
  HttpResponse latest = Send("GET", "/v2/models/simple/ready");
  EXPECT_EQ(latest.status, 200);
  EXPECT_EQ(json::parse(latest.body),
            json::parse(R"({"name":"simple","version":"2","ready":true})"));
  HttpResponse v1 = Send("GET", "/v2/models/simple/versions/1/ready");
  EXPECT_EQ(json::parse(v1.body).at("version"), "1");
}

TEST_F(V2ModelApiTest, ModelsThatAreNotReadyAre503WithRetryAfter) {
  HttpResponse broken = Send("GET", "/v2/models/broken/ready");
  EXPECT_EQ(broken.status, 503);
  EXPECT_EQ(Header(broken, "Retry-After"), "1");
  EXPECT_THAT(ErrorText(broken), HasSubstr("corrupt"));
  HttpResponse idle = Send("GET", "/v2/models/idle");
  EXPECT_EQ(idle.status, 503);
  EXPECT_EQ(ErrorText(idle), "Request for unknown model: 'idle' has no available versions (the model is not loaded)");
  HttpResponse infer = Infer(SimpleRequest(), "/v2/models/broken/infer");
  EXPECT_EQ(infer.status, 503);
}

TEST_F(V2ModelApiTest, ModelStillLoadingIs503WithRetryAfterNot404) {
  absl::Notification started, release;
  fake_->HoldLoadsOf("/idle/1", &started, &release);
  std::thread loader([&] { EXPECT_TRUE(repository_->Load("idle").ok()); });
  ASSERT_TRUE(started.WaitForNotificationWithTimeout(kHang));
  for (const HttpResponse& response :
       {Infer(SimpleRequest(), "/v2/models/idle/infer"), Send("GET", "/v2/models/idle"),
        Send("GET", "/v2/models/idle/ready")}) {
    EXPECT_EQ(response.status, 503);
    EXPECT_EQ(Header(response, "Retry-After"), "1");
    EXPECT_EQ(ErrorText(response), "model \"idle\" is still loading");
  }
  HttpResponse version = Infer(SimpleRequest(), "/v2/models/idle/versions/1/infer");
  EXPECT_EQ(version.status, 503);
  EXPECT_EQ(ErrorText(version), "model \"idle\" version 1 is still loading");
  release.Notify();
  loader.join();
  EXPECT_EQ(Infer(SimpleRequest(), "/v2/models/idle/infer").status, 200);
}

TEST_F(V2ModelApiTest, InvalidModelNameIs400NamingIt) {
  HttpResponse response = Infer(SimpleRequest(), "/v2/models/" + std::string("simple\0x1", 9) +
                                                     "/infer");
  EXPECT_EQ(response.status, 400);
  EXPECT_THAT(ErrorText(response), HasSubstr("model name \"simple\\000x1\""));
}

TEST_F(V2ModelApiTest, ConfigIsTheEffectiveConfigAsJson) {
  HttpResponse response = Send("GET", "/v2/models/simple/config");
  EXPECT_EQ(response.status, 200);
  json::value config = json::parse(response.body);
  EXPECT_EQ(config.at("name"), "simple");
  EXPECT_EQ(config.at("backend"), "fake");
  EXPECT_EQ(config.at("max_batch_size").to_number<int64_t>(), 8);
  EXPECT_EQ(config.at("input").as_array()[0].at("data_type"), "TYPE_INT32");
  EXPECT_EQ(config.at("instance_group").as_array()[0].at("kind"), "KIND_CPU");
  EXPECT_TRUE(config.at("version_policy").as_object().contains("all"));
}

// -------------------------------------------------------------------- infer

TEST_F(V2ModelApiTest, InferComputesEveryOutputAsJson) {
  HttpResponse response = Infer(SimpleRequest(R"("id":"req-1",)"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_FALSE(Header(response, "Inference-Header-Content-Length").has_value());
  json::value body = json::parse(response.body);
  EXPECT_EQ(body.at("model_name"), "simple");
  EXPECT_EQ(body.at("model_version"), "2");
  EXPECT_EQ(body.at("id"), "req-1");
  const json::array& outputs = body.at("outputs").as_array();
  ASSERT_EQ(outputs.size(), 2u);
  EXPECT_EQ(outputs[0].at("name"), "OUTPUT0");
  EXPECT_EQ(outputs[0].at("datatype"), "INT32");
  EXPECT_EQ(outputs[0].at("shape"), (json::array{1, 16}));
  const json::array& sum = outputs[0].at("data").as_array();
  const json::array& difference = outputs[1].at("data").as_array();
  ASSERT_EQ(sum.size(), 16u);
  for (int i = 0; i < 16; ++i) {
    EXPECT_EQ(sum[i].to_number<int>(), i + 1);
    EXPECT_EQ(difference[i].to_number<int>(), i - 1);
  }
}

TEST_F(V2ModelApiTest, InferOnAChosenVersionReportsIt) {
  HttpResponse response = Infer(SimpleRequest(), "/v2/models/simple/versions/1/infer");
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(json::parse(response.body).at("model_version"), "1");
  EXPECT_FALSE(json::parse(response.body).as_object().contains("id"));
}

TEST_F(V2ModelApiTest, InputsMayComeInAnyOrder) {
  const std::string body =
      R"({"inputs":[{"name":"INPUT1","datatype":"INT32","shape":[1,16],"data":[[5,5,5,5,5,5,5,5,5,5,5,5,5,5,5,5]]},
                    {"name":"INPUT0","datatype":"INT32","shape":[1,16],"data":[[9,9,9,9,9,9,9,9,9,9,9,9,9,9,9,9]]}]})";
  HttpResponse response = Infer(body);
  ASSERT_EQ(response.status, 200) << response.body;
  json::value out = json::parse(response.body);
  EXPECT_EQ(out.at("outputs").as_array()[0].at("data").as_array()[0].to_number<int>(), 14);
  EXPECT_EQ(out.at("outputs").as_array()[1].at("data").as_array()[0].to_number<int>(), 4);
}

TEST_F(V2ModelApiTest, OutputsSelectionIsHonouredInRequestOrder) {
  HttpResponse only = Infer(SimpleRequest(R"("outputs":[{"name":"OUTPUT1"}],)"));
  ASSERT_EQ(only.status, 200) << only.body;
  const json::array one = json::parse(only.body).at("outputs").as_array();
  ASSERT_EQ(one.size(), 1u);
  EXPECT_EQ(one[0].at("name"), "OUTPUT1");
  EXPECT_EQ(one[0].at("data").as_array()[3].to_number<int>(), 2);

  HttpResponse swapped =
      Infer(SimpleRequest(R"("outputs":[{"name":"OUTPUT1"},{"name":"OUTPUT0"}],)"));
  const json::array two = json::parse(swapped.body).at("outputs").as_array();
  ASSERT_EQ(two.size(), 2u);
  EXPECT_EQ(two[0].at("name"), "OUTPUT1");
  EXPECT_EQ(two[1].at("name"), "OUTPUT0");
  EXPECT_EQ(two[1].at("data").as_array()[3].to_number<int>(), 4);
}

std::vector<int32_t> Int32sFrom(std::string_view bytes) {
  std::vector<int32_t> out(bytes.size() / 4);
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
  return out;
}

TEST_F(V2ModelApiTest, BinaryOutputsUseTheHeaderLength) {
  HttpResponse response = Infer(SimpleRequest(
      R"("parameters":{"binary_data_output":true},)"
      R"("outputs":[{"name":"OUTPUT0"},{"name":"OUTPUT1","parameters":{"binary_data":false}}],)"));
  ASSERT_EQ(response.status, 200) << response.body;
  EXPECT_EQ(response.content_type, "application/octet-stream");
  std::optional<std::string> length = Header(response, "Inference-Header-Content-Length");
  ASSERT_TRUE(length.has_value());
  const size_t n = std::stoul(*length);
  ASSERT_EQ(response.body.size(), n + 64);  // 16 INT32 after the JSON
  json::value header = json::parse(response.body.substr(0, n));
  const json::array& outputs = header.at("outputs").as_array();
  EXPECT_EQ(outputs[0].at("parameters").at("binary_data_size"), 64);
  EXPECT_FALSE(outputs[0].as_object().contains("data"));
  EXPECT_EQ(outputs[1].at("data").as_array()[0].to_number<int>(), -1);
  std::vector<int32_t> sum = Int32sFrom(std::string_view(response.body).substr(n));
  ASSERT_EQ(sum.size(), 16u);
  for (int i = 0; i < 16; ++i) EXPECT_EQ(sum[i], i + 1);
}

TEST_F(V2ModelApiTest, BinaryInputsAreRead) {
  std::string binary(128, '\0');
  for (int i = 0; i < 16; ++i) {
    const int32_t a = 100 + i, b = i;
    std::memcpy(binary.data() + 4 * i, &a, 4);
    std::memcpy(binary.data() + 64 + 4 * i, &b, 4);
  }
  const std::string header =
      R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}},
                    {"name":"INPUT1","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}}],
          "outputs":[{"name":"OUTPUT1"}]})";
  HttpResponse response =
      Infer(header + binary, "/v2/models/simple/infer",
            {{"inference-header-content-length", std::to_string(header.size())}});
  ASSERT_EQ(response.status, 200) << response.body;
  const json::value doc = json::parse(response.body);
  const json::array& diff = doc.at("outputs").as_array()[0].at("data").as_array();
  for (int i = 0; i < 16; ++i) EXPECT_EQ(diff[i].to_number<int>(), 100);
}

TEST_F(V2ModelApiTest, BatchedRequestsKeepTheirRows) {
  std::string row0 = "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]";
  std::string row1 = "[2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2]";
  const std::string body =
      R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[2,16],"data":[)" + row0 +
      "," + row1 +
      R"(]},{"name":"INPUT1","datatype":"INT32","shape":[2,16],"data":[)" + row1 + "," +
      row1 + "]}]}";
  HttpResponse response = Infer(body);
  ASSERT_EQ(response.status, 200) << response.body;
  const json::value out = json::parse(response.body).at("outputs").as_array()[0];
  EXPECT_EQ(out.at("shape"), (json::array{2, 16}));
  EXPECT_EQ(out.at("data").as_array()[0].to_number<int>(), 3);
  EXPECT_EQ(out.at("data").as_array()[16].to_number<int>(), 4);
}

// ---------------------------------------------------------------- bad input

struct BadCase {
  const char* what;
  std::string body;
  int status;
  const char* error;
};

TEST_F(V2ModelApiTest, BadRequestsGetAStatusAndANamedError) {
  const std::string row = "[1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1]";
  auto input = [&](std::string name, std::string datatype, std::string shape,
                   std::string data) {
    return R"({"name":")" + name + R"(","datatype":")" + datatype +
           R"(","shape":)" + shape + R"(,"data":)" + data + "}";
  };
  const std::string in0 = input("INPUT0", "INT32", "[1,16]", row);
  const std::string in1 = input("INPUT1", "INT32", "[1,16]", row);
  const std::vector<BadCase> cases = {
      {"malformed JSON", "{\"inputs\": [", 400, "request body is not valid JSON"},
      {"missing inputs", "{}", 400, "request is missing \"inputs\""},
      {"unknown input", "{\"inputs\":[" + in0 + "," + in1 + "," +
                            input("INPUT9", "INT32", "[1]", "[1]") + "]}",
       400, "unknown input \"INPUT9\"; the model expects INPUT0, INPUT1"},
      {"missing input", "{\"inputs\":[" + in0 + "]}", 400,
       "missing required input \"INPUT1\""},
      {"wrong datatype", "{\"inputs\":[" + in0 + "," +
                             input("INPUT1", "FP32", "[1,16]", row) + "]}",
       400, "input \"INPUT1\": datatype FP32 does not match the model's INT32"},
      {"shape/data mismatch", "{\"inputs\":[" + in0 + "," +
                                  input("INPUT1", "INT32", "[1,16]", "[1,2]") + "]}",
       400, "input \"INPUT1\": shape [1,16] has 16 elements but data has 2"},
      {"wrong dims", "{\"inputs\":[" + in0 + "," +
                         input("INPUT1", "INT32", "[2,8]", row) + "]}",
       400, "input \"INPUT1\": expected shape [-1,16], got [2,8]"},
      {"wrong rank", "{\"inputs\":[" + in0 + "," +
                         input("INPUT1", "INT32", "[16]", row) + "]}",
       400, "input \"INPUT1\": expected shape [-1,16], got [16]"},
      {"BYTES for numbers", "{\"inputs\":[" + in0 + "," +
                                input("INPUT1", "BYTES", "[1,1]", "[\"a\"]") + "]}",
       400, "datatype BYTES does not match the model's INT32"},
      {"strings as INT32", "{\"inputs\":[" + in0 + "," +
                               input("INPUT1", "INT32", "[1,1]", "[\"a\"]") + "]}",
       400, "element 0 is a string, expected a number"},
      {"data missing for shape", "{\"inputs\":[" + input("INPUT0", "INT32", "[9,16]", "[]") +
                              "]}",
       400, "has 144 elements but data has 0"},
      {"unknown output", "{\"outputs\":[{\"name\":\"OUTPUT7\"}],\"inputs\":[" + in0 +
                             "," + in1 + "]}",
       400, "unknown output \"OUTPUT7\""},
  };
  for (const BadCase& c : cases) {
    HttpResponse response = Infer(c.body);
    EXPECT_EQ(response.status, c.status) << c.what << ": " << response.body;
    EXPECT_EQ(response.content_type, "application/json") << c.what;
    EXPECT_THAT(ErrorText(response), HasSubstr(c.error)) << c.what;
  }
}

TEST_F(V2ModelApiTest, BatchLargerThanMaxBatchSizeIs400) {
  std::string data = "[";
  for (int i = 0; i < 9 * 16; ++i) data += (i ? ",1" : "1");
  data += "]";
  const std::string body =
      R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[9,16],"data":)" + data +
      R"(},{"name":"INPUT1","datatype":"INT32","shape":[9,16],"data":)" + data + "}]}";
  HttpResponse response = Infer(body);
  EXPECT_EQ(response.status, 400);
  EXPECT_EQ(ErrorText(response),
            "input \"INPUT0\": batch size 9 is outside 1..8 (max_batch_size)");
}

TEST_F(V2ModelApiTest, BadBinaryFramingIs400) {
  const std::string header =
      R"({"inputs":[{"name":"INPUT0","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}}]})";
  HttpResponse beyond = Infer(header, "/v2/models/simple/infer",
                              {{"inference-header-content-length", "100000"}});
  EXPECT_EQ(beyond.status, 400);
  EXPECT_THAT(ErrorText(beyond), HasSubstr("Inference-Header-Content-Length is 100000"));
  HttpResponse not_a_number = Infer(header, "/v2/models/simple/infer",
                                    {{"inference-header-content-length", "12abc"}});
  EXPECT_EQ(not_a_number.status, 400);
  EXPECT_THAT(ErrorText(not_a_number), HasSubstr("must be a non-negative integer"));
  HttpResponse negative = Infer(header, "/v2/models/simple/infer",
                                {{"inference-header-content-length", "-5"}});
  EXPECT_EQ(negative.status, 400);
  HttpResponse short_binary =
      Infer(header + std::string(10, '\0'), "/v2/models/simple/infer",
            {{"inference-header-content-length", std::to_string(header.size())}});
  EXPECT_EQ(short_binary.status, 400);
  EXPECT_THAT(ErrorText(short_binary), HasSubstr("runs past the end of the body"));
}

TEST_F(V2ModelApiTest, UnknownModelInferIs404) {
  HttpResponse response = Infer(SimpleRequest(), "/v2/models/nope/infer");
  EXPECT_EQ(response.status, 404);
  EXPECT_EQ(ErrorText(response), "Request for unknown model: 'nope' is not found");
}

TEST_F(V2ModelApiTest, ModelErrorsAre500WithTheMessage) {
  HttpResponse response = Infer(SimpleRequest(), "/v2/models/failing/infer");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(ErrorText(response), "the model threw: boom");
}

TEST_F(V2ModelApiTest, UnloadedModelInferIs503) {
  ASSERT_TRUE(repository_->Unload("simple").ok());
  HttpResponse response = Infer(SimpleRequest());
  EXPECT_EQ(response.status, 503);
  EXPECT_EQ(Header(response, "Retry-After"), "1");
  EXPECT_THAT(ErrorText(response), HasSubstr("unloaded"));
}

TEST_F(V2ModelApiTest, WrongMethodIs405WithAllow) {
  HttpResponse response = Send("GET", "/v2/models/simple/infer");
  EXPECT_EQ(response.status, 405);
  EXPECT_EQ(response.body, "POST");  // Send() puts the Allow list there
  EXPECT_EQ(Send("POST", "/v2/models/simple/ready").status, 405);
  EXPECT_EQ(Send("GET", "/v2/models/simple/versions/1/infer/more").status, 404);
}

}  // namespace
}  // namespace inferd
