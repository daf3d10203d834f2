#include "config/model_signature.h"

#include "config/model_config_loader.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Batched model: A [-1, 4] FP32, B [2] INT64, optional C [1] BOOL.
constexpr char kConfig[] = R"pb(
  name: "m"
  backend: "fake"
  max_batch_size: 8
  input [
    { name: "A" data_type: TYPE_FP32 dims: [ -1, 4 ] },
    { name: "B" data_type: TYPE_INT64 dims: [ 2 ] reshape: { shape: [ 1, 2 ] } },
    { name: "C" data_type: TYPE_BOOL dims: [ 1 ] optional: true }
  ]
  output [
    { name: "X" data_type: TYPE_FP32 dims: [ 4 ] },
    { name: "Y" data_type: TYPE_STRING dims: [ -1 ] },
    { name: "Z" data_type: TYPE_INT32 dims: [ 1 ] }
  ]
)pb";

ModelSignature SignatureOf(std::string_view text) {
  absl::StatusOr<config::ModelConfig> config = ParseModelConfig(text, "test");
  EXPECT_TRUE(config.ok()) << config.status();
  absl::StatusOr<ModelSignature> signature = ModelSignature::Create(*config);
  EXPECT_TRUE(signature.ok()) << signature.status();
  return *signature;
}

NamedTensor Input(std::string name, DataType dtype, Shape shape) {
  Tensor t;
  t.dtype = dtype;
  t.shape = std::move(shape);
  t.data.assign(ElementCount(t.shape) * DataTypeSize(dtype), '\0');
  return NamedTensor{std::move(name), std::move(t)};
}

std::string ErrorOf(const ModelSignature& signature, InferenceRequest request) {
  absl::StatusOr<int64_t> batch = signature.ValidateRequest(request);
  if (batch.ok()) return "accepted";
  EXPECT_EQ(batch.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(batch.status().message());
}

TEST(ModelSignatureTest, CreateReadsSpecsFromTheConfig) {
  ModelSignature s = SignatureOf(kConfig);
  EXPECT_TRUE(s.batched());
  EXPECT_EQ(s.max_batch_size(), 8);
  ASSERT_EQ(s.inputs().size(), 3u);
  EXPECT_EQ(s.inputs()[0].name, "A");
  EXPECT_EQ(s.inputs()[0].dtype, DataType::kFp32);
  EXPECT_THAT(s.inputs()[0].dims, ElementsAre(-1, 4));
  EXPECT_FALSE(s.inputs()[0].reshape.has_value());
  ASSERT_TRUE(s.inputs()[1].reshape.has_value());
  EXPECT_THAT(*s.inputs()[1].reshape, ElementsAre(1, 2));
  EXPECT_FALSE(s.inputs()[1].optional);
  EXPECT_TRUE(s.inputs()[2].optional);
  ASSERT_EQ(s.outputs().size(), 3u);
  EXPECT_EQ(s.outputs()[1].dtype, DataType::kBytes);
}

TEST(ModelSignatureTest, CreateRejectsTensorsWithoutDataType) {
  absl::StatusOr<config::ModelConfig> config = ParseModelConfig(
      "input [ { name: \"a\" dims: 1 } ] output [ { name: \"b\" data_type: TYPE_FP32 } ]",
      "t");
  ASSERT_TRUE(config.ok());
  absl::StatusOr<ModelSignature> signature = ModelSignature::Create(*config);
  ASSERT_FALSE(signature.ok());
  EXPECT_THAT(std::string(signature.status().message()),
              HasSubstr("input \"a\" has no data_type"));
}

TEST(ModelSignatureTest, ClientShapeAddsTheBatchDimension) {
  ModelSignature batched = SignatureOf(kConfig);
  EXPECT_THAT(batched.ClientShape(batched.inputs()[0]), ElementsAre(-1, -1, 4));
  ModelSignature plain = SignatureOf(
      "max_batch_size: 0 input [ { name: \"a\" data_type: TYPE_FP32 dims: [ 3 ] } ]");
  EXPECT_FALSE(plain.batched());
  EXPECT_THAT(plain.ClientShape(plain.inputs()[0]), ElementsAre(3));
}

TEST(ModelSignatureTest, ValidateRequestPutsInputsInConfigOrder) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("C", DataType::kBool, {3, 1}));
  request.inputs.push_back(Input("B", DataType::kInt64, {3, 2}));
  request.inputs.push_back(Input("A", DataType::kFp32, {3, 7, 4}));
  absl::StatusOr<int64_t> batch = s.ValidateRequest(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(*batch, 3);
  ASSERT_EQ(request.inputs.size(), 3u);
  EXPECT_EQ(request.inputs[0].name, "A");
  EXPECT_THAT(request.inputs[0].tensor.shape, ElementsAre(3, 7, 4));
  EXPECT_EQ(request.inputs[1].name, "B");
  EXPECT_EQ(request.inputs[2].name, "C");
  EXPECT_EQ(request.inputs[2].tensor.dtype, DataType::kBool);
}

TEST(ModelSignatureTest, MissingOptionalInputLeavesAnEmptySlot) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("B", DataType::kInt64, {1, 2}));
  request.inputs.push_back(Input("A", DataType::kFp32, {1, 1, 4}));
  absl::StatusOr<int64_t> batch = s.ValidateRequest(request);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(*batch, 1);
  ASSERT_EQ(request.inputs.size(), 3u);
  EXPECT_EQ(request.inputs[2].name, "");
  EXPECT_TRUE(request.inputs[2].tensor.shape.empty());
  EXPECT_TRUE(request.inputs[2].tensor.data.empty());
}

TEST(ModelSignatureTest, WildcardDimsAcceptAnySize) {
  ModelSignature s = SignatureOf(kConfig);
  for (int64_t middle : {1, 5, 100}) {
    InferenceRequest request;
    request.inputs.push_back(Input("A", DataType::kFp32, {2, middle, 4}));
    request.inputs.push_back(Input("B", DataType::kInt64, {2, 2}));
    EXPECT_EQ(ErrorOf(s, std::move(request)), "accepted") << middle;
  }
}

TEST(ModelSignatureTest, WrongDimsOrRankNameTheExpectedShape) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("A", DataType::kFp32, {2, 3, 5}));
  request.inputs.push_back(Input("B", DataType::kInt64, {2, 2}));
  EXPECT_EQ(ErrorOf(s, request), "input \"A\": expected shape [-1,-1,4], got [2,3,5]");
  request.inputs[0] = Input("A", DataType::kFp32, {3, 4});  // batch dim missing
  EXPECT_EQ(ErrorOf(s, request), "input \"A\": expected shape [-1,-1,4], got [3,4]");
}

TEST(ModelSignatureTest, BatchSizeMustBeWithinMaxBatchSize) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("A", DataType::kFp32, {9, 1, 4}));
  request.inputs.push_back(Input("B", DataType::kInt64, {9, 2}));
  EXPECT_EQ(ErrorOf(s, request),
            "input \"A\": batch size 9 is outside 1..8 (max_batch_size)");
  request.inputs[0] = Input("A", DataType::kFp32, {0, 1, 4});
  request.inputs[1] = Input("B", DataType::kInt64, {0, 2});
  EXPECT_THAT(ErrorOf(s, request), HasSubstr("batch size 0 is outside 1..8"));
  request.inputs[0] = Input("A", DataType::kFp32, {8, 1, 4});
  request.inputs[1] = Input("B", DataType::kInt64, {8, 2});
  EXPECT_EQ(ErrorOf(s, request), "accepted");
}

TEST(ModelSignatureTest, InputsMustAgreeOnTheBatchSize) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("A", DataType::kFp32, {2, 1, 4}));
  request.inputs.push_back(Input("B", DataType::kInt64, {3, 2}));
  EXPECT_EQ(ErrorOf(s, request),
            "input \"B\": batch size 3 differs from the other inputs' 2");
}

TEST(ModelSignatureTest, UnbatchedModelsCheckFullShapeAndReportBatchOne) {
  ModelSignature s = SignatureOf(
      "max_batch_size: 0 input [ { name: \"a\" data_type: TYPE_INT32 dims: [ 2, -1 ] } ]");
  InferenceRequest ok;
  ok.inputs.push_back(Input("a", DataType::kInt32, {2, 9}));
  absl::StatusOr<int64_t> batch = s.ValidateRequest(ok);
  ASSERT_TRUE(batch.ok()) << batch.status();
  EXPECT_EQ(*batch, 1);
  InferenceRequest bad;
  bad.inputs.push_back(Input("a", DataType::kInt32, {1, 2, 9}));
  EXPECT_EQ(ErrorOf(s, bad), "input \"a\": expected shape [2,-1], got [1,2,9]");
}

TEST(ModelSignatureTest, MissingRequiredInputIsNamed) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("A", DataType::kFp32, {1, 1, 4}));
  EXPECT_EQ(ErrorOf(s, request), "missing required input \"B\"");
}

TEST(ModelSignatureTest, UnknownInputListsTheExpectedNames) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("INPUT0", DataType::kFp32, {1, 1, 4}));
  EXPECT_EQ(ErrorOf(s, request),
            "unknown input \"INPUT0\"; the model expects A, B, C");
}

TEST(ModelSignatureTest, DatatypeMismatchNamesBothTypes) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.inputs.push_back(Input("A", DataType::kFp64, {1, 1, 4}));
  request.inputs.push_back(Input("B", DataType::kInt64, {1, 2}));
  EXPECT_EQ(ErrorOf(s, request),
            "input \"A\": datatype FP64 does not match the model's FP32");
  InferenceRequest bytes;
  bytes.inputs.push_back(Input("A", DataType::kFp32, {1, 1, 4}));
  Tensor strings{DataType::kBytes, {1, 2}, "", {"a", "b"}};
  bytes.inputs.push_back(NamedTensor{"B", strings});
  EXPECT_EQ(ErrorOf(s, bytes),
            "input \"B\": datatype BYTES does not match the model's INT64");
}

TEST(ModelSignatureTest, SelectOutputsDefaultsToAllInConfigOrder) {
  ModelSignature s = SignatureOf(kConfig);
  absl::StatusOr<std::vector<size_t>> selected = s.SelectOutputs(InferenceRequest{});
  ASSERT_TRUE(selected.ok());
  EXPECT_THAT(*selected, ElementsAre(0, 1, 2));
}

TEST(ModelSignatureTest, SelectOutputsFollowsTheRequestOrder) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.outputs = {{"Z", std::nullopt}, {"X", true}};
  absl::StatusOr<std::vector<size_t>> selected = s.SelectOutputs(request);
  ASSERT_TRUE(selected.ok());
  EXPECT_THAT(*selected, ElementsAre(2, 0));
}

TEST(ModelSignatureTest, SelectOutputsRejectsUnknownNames) {
  ModelSignature s = SignatureOf(kConfig);
  InferenceRequest request;
  request.outputs = {{"X", std::nullopt}, {"W", std::nullopt}};
  absl::StatusOr<std::vector<size_t>> selected = s.SelectOutputs(request);
  ASSERT_FALSE(selected.ok());
  EXPECT_EQ(selected.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(selected.status().message(), "unknown output \"W\"");
}

}  // namespace
}  // namespace inferd
