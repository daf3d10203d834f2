#include "config/model_config_loader.h"

#include <filesystem>
#include <fstream>

#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// A complete, valid config for the TorchScript backend.
constexpr char kSimpleConfig[] = R"pb(
name: "simple"
platform: "pytorch_libtorch"
max_batch_size: 8
input [
  {
    name: "INPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "INPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
output [
  {
    name: "OUTPUT0"
    data_type: TYPE_INT32
    dims: [ 16 ]
  },
  {
    name: "OUTPUT1"
    data_type: TYPE_INT32
    dims: [ 16 ]
  }
]
)pb";

config::ModelConfig Parse(std::string_view text) {
  absl::StatusOr<config::ModelConfig> parsed = ParseModelConfig(text, "test.pbtxt");
  EXPECT_TRUE(parsed.ok()) << parsed.status();
  return parsed.ok() ? *parsed : config::ModelConfig();
}

// Parses and completes `text` for model "simple"; returns the error text or
// "" when it is accepted.
std::string CompleteError(std::string_view text, std::string_view name = "simple") {
  config::ModelConfig config = Parse(text);
  absl::Status status = CompleteModelConfig(name, config);
  if (!status.ok()) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  }
  return std::string(status.message());
}

config::ModelConfig Completed(std::string_view text,
                              std::string_view name = "simple") {
  config::ModelConfig config = Parse(text);
  absl::Status status = CompleteModelConfig(name, config);
  EXPECT_TRUE(status.ok()) << status;
  return config;
}

std::string WithExtra(std::string_view extra) {
  return std::string(kSimpleConfig) + std::string(extra);
}

// ------------------------------------------------------------------ parsing

TEST(ParseModelConfigTest, ReadsTritonStyleConfig) {
  config::ModelConfig config = Parse(R"pb(
    name: "digits"
    backend: "pytorch"
    max_batch_size: 32
    version_policy: { specific: { versions: [ 1, 3 ] } }
    input [
      {
        name: "INPUT__0"
        data_type: TYPE_FP32
        format: FORMAT_NCHW
        dims: [ 1, 8, 8 ]
        reshape: { shape: [ 64 ] }
      }
    ]
    output [ { name: "OUTPUT__0" data_type: TYPE_FP32 dims: [ 10 ] } ]
    instance_group [ { count: 2 kind: KIND_CPU } ]
    dynamic_batching { max_queue_delay_microseconds: 100 }
    parameters: { key: "INFERENCE_MODE" value: { string_value: "true" } }
  )pb");
  EXPECT_EQ(config.name(), "digits");
  EXPECT_EQ(config.backend(), "pytorch");
  EXPECT_EQ(config.max_batch_size(), 32);
  EXPECT_THAT(config.version_policy().specific().versions(), ElementsAre(1, 3));
  ASSERT_EQ(config.input_size(), 1);
  EXPECT_EQ(config.input(0).data_type(), config::TYPE_FP32);
  EXPECT_EQ(config.input(0).format(), config::ModelInput::FORMAT_NCHW);
  EXPECT_THAT(config.input(0).dims(), ElementsAre(1, 8, 8));
  EXPECT_THAT(config.input(0).reshape().shape(), ElementsAre(64));
  EXPECT_EQ(config.instance_group(0).count(), 2);
  EXPECT_EQ(config.dynamic_batching().max_queue_delay_microseconds(), 100u);
  EXPECT_EQ(config.parameters().at("INFERENCE_MODE").string_value(), "true");
}

TEST(ParseModelConfigTest, SyntaxErrorNamesSourceLineAndColumn) {
  absl::StatusOr<config::ModelConfig> parsed =
      ParseModelConfig("name: \"a\"\nmax_batch_size: abc\n", "config.pbtxt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(parsed.status().message()),
              StartsWith("config.pbtxt: line 2, column 17: "));
}

TEST(ParseModelConfigTest, UnclosedBracketIsAnError) {
  absl::StatusOr<config::ModelConfig> parsed =
      ParseModelConfig("name: \"a\"\ninput [ { name: \"x\" }\n", "config.pbtxt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()),
              HasSubstr("config.pbtxt: line 3"));
}

TEST(ParseModelConfigTest, UnknownFieldIsNamed) {
  absl::StatusOr<config::ModelConfig> parsed = ParseModelConfig(
      "name: \"a\"\nsequence_batching { }\n", "config.pbtxt");
  ASSERT_FALSE(parsed.ok());
  const std::string message(parsed.status().message());
  EXPECT_THAT(message, HasSubstr("sequence_batching"));
  EXPECT_THAT(message, HasSubstr("line 2"));
}

TEST(ParseModelConfigTest, UnknownEnumValueIsNamed) {
  absl::StatusOr<config::ModelConfig> parsed = ParseModelConfig(
      "input [ { name: \"x\" data_type: TYPE_FLOAT32 } ]", "config.pbtxt");
  ASSERT_FALSE(parsed.ok());
  EXPECT_THAT(std::string(parsed.status().message()), HasSubstr("TYPE_FLOAT32"));
}

TEST(ParseModelConfigTest, EmptyTextParsesToAnEmptyConfig) {
  config::ModelConfig config = Parse("");
  EXPECT_EQ(config.input_size(), 0);
  EXPECT_TRUE(config.name().empty());
}

// ---------------------------------------------------------------- defaults

TEST(CompleteModelConfigTest, FillsTritonDefaults) {
  config::ModelConfig config = Completed(kSimpleConfig);
  EXPECT_EQ(config.backend(), "pytorch");
  EXPECT_EQ(config.platform(), "pytorch_libtorch");
  EXPECT_EQ(config.default_model_filename(), "model.pt");
  ASSERT_TRUE(config.version_policy().has_latest());
  EXPECT_EQ(config.version_policy().latest().num_versions(), 1u);
  ASSERT_EQ(config.instance_group_size(), 1);
  EXPECT_EQ(config.instance_group(0).count(), 1);
  EXPECT_EQ(config.instance_group(0).kind(), config::ModelInstanceGroup::KIND_CPU);
  EXPECT_EQ(config.instance_group(0).name(), "simple_0");
}

TEST(CompleteModelConfigTest, EmptyNameTakesTheFolderName) {
  std::string text = kSimpleConfig;
  text.replace(text.find("name: \"simple\""), 14, "");
  config::ModelConfig config = Completed(text, "from_folder");
  EXPECT_EQ(config.name(), "from_folder");
}

TEST(CompleteModelConfigTest, NameMustMatchTheFolder) {
  EXPECT_EQ(CompleteError(kSimpleConfig, "other"),
            "config name \"simple\" does not match the model folder \"other\"");
}

TEST(CompleteModelConfigTest, BackendAloneImpliesThePlatform) {
  std::string text = kSimpleConfig;
  text.replace(text.find("platform: \"pytorch_libtorch\""), 28, "backend: \"pytorch\"");
  config::ModelConfig config = Completed(text);
  EXPECT_EQ(config.platform(), "pytorch_libtorch");
  EXPECT_EQ(config.backend(), "pytorch");
  EXPECT_EQ(config.default_model_filename(), "model.pt");
}

TEST(CompleteModelConfigTest, OtherBackendsGetNoTorchDefaults) {
  std::string text = kSimpleConfig;
  text.replace(text.find("platform: \"pytorch_libtorch\""), 28, "backend: \"fake\"");
  config::ModelConfig config = Completed(text);
  EXPECT_EQ(config.backend(), "fake");
  EXPECT_TRUE(config.platform().empty());
  EXPECT_TRUE(config.default_model_filename().empty());
}

TEST(CompleteModelConfigTest, ExplicitValuesAreKept) {
  config::ModelConfig config = Completed(WithExtra(R"pb(
    default_model_filename: "traced.pt"
    version_policy: { all: {} }
    instance_group [ { name: "pool" count: 3 kind: KIND_AUTO } ]
  )pb"));
  EXPECT_EQ(config.default_model_filename(), "traced.pt");
  EXPECT_TRUE(config.version_policy().has_all());
  ASSERT_EQ(config.instance_group_size(), 1);
  EXPECT_EQ(config.instance_group(0).name(), "pool");
  EXPECT_EQ(config.instance_group(0).count(), 3);
  EXPECT_EQ(config.instance_group(0).kind(), config::ModelInstanceGroup::KIND_CPU);
}

TEST(CompleteModelConfigTest, InstanceGroupCountZeroMeansOne) {
  config::ModelConfig config = Completed(
      WithExtra("instance_group [ { kind: KIND_CPU }, { count: 2 } ]"));
  ASSERT_EQ(config.instance_group_size(), 2);
  EXPECT_EQ(config.instance_group(0).count(), 1);
  EXPECT_EQ(config.instance_group(0).name(), "simple_0");
  EXPECT_EQ(config.instance_group(1).name(), "simple_1");
  EXPECT_EQ(config.instance_group(1).count(), 2);
}

TEST(CompleteModelConfigTest, GpuInstancesAreRejected) {
  EXPECT_THAT(CompleteError(WithExtra("instance_group [ { kind: KIND_GPU } ]")),
              HasSubstr("KIND_GPU is not supported"));
  EXPECT_THAT(CompleteError(WithExtra("instance_group [ { gpus: [ 0 ] } ]")),
              HasSubstr("KIND_GPU is not supported"));
}

TEST(CompleteModelConfigTest, InstanceCountOutOfRangeIsRejected) {
  EXPECT_THAT(CompleteError(WithExtra("instance_group [ { count: 65 } ]")),
              HasSubstr("count must be 1..64"));
  EXPECT_THAT(CompleteError(WithExtra("instance_group [ { count: -1 } ]")),
              HasSubstr("count must be 1..64"));
}

TEST(CompleteModelConfigTest, LatestZeroVersionsIsRejected) {
  EXPECT_THAT(
      CompleteError(WithExtra("version_policy: { latest: { num_versions: 0 } }")),
      HasSubstr("num_versions must be at least 1"));
}

TEST(CompleteModelConfigTest, MissingPlatformAndBackendIsRejected) {
  std::string text = kSimpleConfig;
  text.replace(text.find("platform: \"pytorch_libtorch\""), 28, "");
  EXPECT_THAT(CompleteError(text), HasSubstr("neither \"platform\" nor \"backend\""));
}

TEST(CompleteModelConfigTest, NegativeMaxBatchSizeIsRejected) {
  std::string text = kSimpleConfig;
  text.replace(text.find("max_batch_size: 8"), 17, "max_batch_size: -1");
  EXPECT_EQ(CompleteError(text), "max_batch_size must not be negative");
}

TEST(CompleteModelConfigTest, InputsAndOutputsAreRequired) {
  EXPECT_EQ(CompleteError(R"pb(platform: "pytorch_libtorch"
                               output [ { name: "o" data_type: TYPE_FP32 dims: 1 } ])pb"),
            "config declares no input");
  EXPECT_EQ(CompleteError(R"pb(platform: "pytorch_libtorch"
                               input [ { name: "i" data_type: TYPE_FP32 dims: 1 } ])pb"),
            "config declares no output");
}

TEST(CompleteModelConfigTest, DuplicateNamesAreRejected) {
  EXPECT_EQ(CompleteError(WithExtra(
                "input [ { name: \"INPUT0\" data_type: TYPE_FP32 dims: 1 } ]")),
            "input \"INPUT0\" is declared twice");
  EXPECT_EQ(CompleteError(WithExtra(
                "output [ { name: \"OUTPUT1\" data_type: TYPE_FP32 dims: 1 } ]")),
            "output \"OUTPUT1\" is declared twice");
}

TEST(CompleteModelConfigTest, AnInputAndAnOutputMayShareAName) {
  Completed(WithExtra("output [ { name: \"INPUT0\" data_type: TYPE_INT32 dims: 16 } ]"));
}

TEST(CompleteModelConfigTest, UnnamedOrUntypedTensorsAreRejected) {
  EXPECT_EQ(CompleteError(WithExtra("input [ { data_type: TYPE_FP32 dims: 1 } ]")),
            "an input has no name");
  EXPECT_EQ(CompleteError(WithExtra("output [ { data_type: TYPE_FP32 dims: 1 } ]")),
            "an output has no name");
  EXPECT_EQ(CompleteError(WithExtra("input [ { name: \"x\" dims: 1 } ]")),
            "input \"x\": data_type is not set");
  EXPECT_EQ(CompleteError(WithExtra("output [ { name: \"y\" dims: 1 } ]")),
            "output \"y\": data_type is not set");
}

TEST(CompleteModelConfigTest, BadDimsAreRejected) {
  EXPECT_EQ(CompleteError(WithExtra(
                "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 2, 0 ] } ]")),
            "input \"x\": dims must be positive or -1");
  EXPECT_EQ(CompleteError(WithExtra(
                "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ -2 ] } ]")),
            "input \"x\": dims must be positive or -1");
  EXPECT_EQ(CompleteError(WithExtra(
                "output [ { name: \"y\" data_type: TYPE_FP32 dims: [ 0 ] } ]")),
            "output \"y\": dims must be positive or -1");
}

TEST(CompleteModelConfigTest, ReshapeMustKeepTheElementCount) {
  Completed(WithExtra(
      "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 2, 3 ] "
      "reshape: { shape: [ 6 ] } } ]"));
  Completed(WithExtra(
      "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ -1, 4 ] "
      "reshape: { shape: [ -1, 2, 2 ] } } ]"));
  Completed(WithExtra(
      "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 1 ] "
      "reshape: { shape: [ ] } } ]"));
  EXPECT_EQ(CompleteError(WithExtra(
                "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ 2, 3 ] "
                "reshape: { shape: [ 5 ] } } ]")),
            "input \"x\": reshape has a different element count than dims");
  EXPECT_EQ(CompleteError(WithExtra(
                "output [ { name: \"y\" data_type: TYPE_FP32 dims: [ 4 ] "
                "reshape: { shape: [ 2, 0 ] } } ]")),
            "output \"y\": reshape dims must be positive or -1");
}

// ------------------------------------------------------------------ loading

class LoadModelConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("inferd_config_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void Write(std::string_view text) {
    std::ofstream(dir_ / "config.pbtxt") << text;
  }
  std::filesystem::path dir_;
};

TEST_F(LoadModelConfigTest, LoadsAndCompletesTheFile) {
  Write(kSimpleConfig);
  absl::StatusOr<config::ModelConfig> config = LoadModelConfig(dir_.string(), "simple");
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(config->backend(), "pytorch");
  EXPECT_EQ(config->instance_group_size(), 1);
}

TEST_F(LoadModelConfigTest, MissingFileIsNotFound) {
  absl::StatusOr<config::ModelConfig> config = LoadModelConfig(dir_.string(), "simple");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("config.pbtxt not found"));
}

TEST_F(LoadModelConfigTest, ErrorsNameTheFile) {
  Write("name: \"simple\"\nbogus_field: 1\n");
  absl::StatusOr<config::ModelConfig> config = LoadModelConfig(dir_.string(), "simple");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(config.status().message()),
              StartsWith("config.pbtxt: line 2, column"));
  EXPECT_THAT(std::string(config.status().message()), HasSubstr("bogus_field"));

  Write(kSimpleConfig);
  config = LoadModelConfig(dir_.string(), "renamed");
  ASSERT_FALSE(config.ok());
  EXPECT_THAT(std::string(config.status().message()),
              StartsWith("config.pbtxt: config name \"simple\" does not match"));
}

// --------------------------------------------------------------------- JSON

TEST(ModelConfigToJsonTest, UsesSnakeCaseNamesAndKeepsNumbersNumbers) {
  config::ModelConfig config = Completed(WithExtra(R"pb(
    dynamic_batching {
      max_queue_delay_microseconds: 18446744073709551615
      priority_queue_policy { key: 2 value: { max_queue_size: 4 } }
    }
    parameters: { key: "mode" value: { string_value: "fast" } }
  )pb"));
  const std::string text = ModelConfigToJson(config);
  json::value root = json::parse(text);
  const json::object& o = root.as_object();
  EXPECT_EQ(o.at("name"), "simple");
  EXPECT_EQ(o.at("platform"), "pytorch_libtorch");
  EXPECT_EQ(o.at("backend"), "pytorch");
  EXPECT_TRUE(o.at("max_batch_size").is_number());
  EXPECT_EQ(o.at("max_batch_size").to_number<int64_t>(), 8);
  EXPECT_EQ(o.at("default_model_filename"), "model.pt");
  const json::object& input = o.at("input").as_array().at(0).as_object();
  EXPECT_EQ(input.at("name"), "INPUT0");
  EXPECT_EQ(input.at("data_type"), "TYPE_INT32");
  ASSERT_TRUE(input.at("dims").as_array().at(0).is_number());
  EXPECT_EQ(input.at("dims").as_array().at(0).to_number<int64_t>(), 16);
  EXPECT_EQ(o.at("version_policy").at("latest").at("num_versions").to_number<int64_t>(), 1);
  const json::object& group = o.at("instance_group").as_array().at(0).as_object();
  EXPECT_EQ(group.at("kind"), "KIND_CPU");
  EXPECT_EQ(group.at("count").to_number<int64_t>(), 1);
  // 64-bit integers stay exact numbers (protobuf's JSON would quote them).
  const json::value& delay = o.at("dynamic_batching").at("max_queue_delay_microseconds");
  ASSERT_TRUE(delay.is_uint64());
  EXPECT_EQ(delay.get_uint64(), 18446744073709551615ull);
  EXPECT_THAT(text, HasSubstr("\"max_queue_delay_microseconds\":18446744073709551615"));
  // Maps become objects, with numeric keys as text.
  EXPECT_EQ(o.at("parameters").at("mode").at("string_value"), "fast");
  EXPECT_EQ(o.at("dynamic_batching")
                .at("priority_queue_policy").at("2").at("max_queue_size")
                .to_number<int64_t>(),
            4);
}

TEST(ModelConfigToJsonTest, WildcardDimsStayNegativeNumbers) {
  config::ModelConfig config = Completed(WithExtra(
      "input [ { name: \"x\" data_type: TYPE_FP32 dims: [ -1, 3 ] } ]"));
  json::value root = json::parse(ModelConfigToJson(config));
  const json::array& dims = root.at("input").as_array().at(2).at("dims").as_array();
  EXPECT_EQ(dims, (json::array{-1, 3}));
}

TEST(ModelConfigToJsonTest, ZeroMaxBatchSizeIsShown) {
  std::string text = kSimpleConfig;
  text.replace(text.find("max_batch_size: 8"), 17, "max_batch_size: 0");
  json::value root = json::parse(ModelConfigToJson(Completed(text)));
  ASSERT_TRUE(root.as_object().contains("max_batch_size"));
  EXPECT_EQ(root.at("max_batch_size").to_number<int64_t>(), 0);
}

TEST(FromConfigDataTypeTest, MapsTritonTypesToWireTypes) {
  EXPECT_EQ(FromConfigDataType(config::TYPE_INT32), DataType::kInt32);
  EXPECT_EQ(FromConfigDataType(config::TYPE_STRING), DataType::kBytes);
  EXPECT_EQ(FromConfigDataType(config::TYPE_BF16), DataType::kBf16);
  EXPECT_EQ(FromConfigDataType(config::TYPE_FP16), DataType::kFp16);
  EXPECT_EQ(FromConfigDataType(config::TYPE_BOOL), DataType::kBool);
  EXPECT_EQ(FromConfigDataType(config::TYPE_UINT64), DataType::kUint64);
  EXPECT_FALSE(FromConfigDataType(config::TYPE_INVALID).has_value());
}

}  // namespace
}  // namespace inferd

namespace inferd {
namespace {

TEST(CompleteModelConfigTest, GgufConfigGetsTritonGenerateTensors) {
  absl::StatusOr<config::ModelConfig> config =
      ParseModelConfig("backend: \"gguf\"", "config.pbtxt");
  ASSERT_TRUE(config.ok()) << config.status();
  ASSERT_TRUE(CompleteModelConfig("llm", *config).ok());
  EXPECT_EQ(config->platform(), "gguf");
  EXPECT_EQ(config->default_model_filename(), "model.gguf");
  ASSERT_EQ(config->input_size(), 1);
  EXPECT_EQ(config->input(0).name(), "text_input");
  EXPECT_EQ(config->input(0).data_type(), config::TYPE_STRING);
  ASSERT_EQ(config->output_size(), 1);
  EXPECT_EQ(config->output(0).name(), "text_output");
}

}  // namespace
}  // namespace inferd
