#include "grpc/grpc_infer_codec.h"

#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "grpc/grpc_status.h"
#include "gtest/gtest.h"

namespace inferd::grpc_api {
namespace {

using inference::ModelInferRequest;
using inference::ModelInferResponse;
using ::testing::HasSubstr;

template <typename T>
std::string Packed(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

ModelInferRequest RawRequest() {
  ModelInferRequest request;
  request.set_model_name("simple");
  request.set_id("r1");
  auto* input = request.add_inputs();
  input->set_name("INPUT0");
  input->set_datatype("INT32");
  input->add_shape(1);
  input->add_shape(3);
  request.add_raw_input_contents(Packed<int32_t>({1, -2, 3}));
  return request;
}

void ExpectInvalid(const ModelInferRequest& request, std::vector<std::string> mentions) {
  absl::StatusOr<InferenceRequest> decoded = DecodeGrpcInferRequest(request);
  ASSERT_FALSE(decoded.ok());
  EXPECT_EQ(decoded.status().code(), absl::StatusCode::kInvalidArgument);
  for (const std::string& mention : mentions) {
    EXPECT_THAT(std::string(decoded.status().message()), HasSubstr(mention));
  }
}

TEST(GrpcInferCodecTest, DecodesRawContents) {
  absl::StatusOr<InferenceRequest> decoded = DecodeGrpcInferRequest(RawRequest());
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->id, "r1");
  ASSERT_EQ(decoded->inputs.size(), 1u);
  const Tensor& tensor = decoded->inputs[0].tensor;
  EXPECT_EQ(tensor.dtype, DataType::kInt32);
  EXPECT_EQ(tensor.shape, (Shape{1, 3}));
  EXPECT_EQ(tensor.data, Packed<int32_t>({1, -2, 3}));
  EXPECT_TRUE(decoded->outputs.empty());
}

TEST(GrpcInferCodecTest, DecodesTypedContentsOfNarrowTypes) {
  ModelInferRequest request;
  auto* input = request.add_inputs();
  input->set_name("X");
  input->set_datatype("INT16");
  input->add_shape(2);
  input->mutable_contents()->add_int_contents(-300);
  input->mutable_contents()->add_int_contents(32767);
  auto* flags = request.add_inputs();
  flags->set_name("B");
  flags->set_datatype("BOOL");
  flags->add_shape(2);
  flags->mutable_contents()->add_bool_contents(true);
  flags->mutable_contents()->add_bool_contents(false);
  absl::StatusOr<InferenceRequest> decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->inputs[0].tensor.data, Packed<int16_t>({-300, 32767}));
  EXPECT_EQ(decoded->inputs[1].tensor.data, std::string("\x01\x00", 2));
}

TEST(GrpcInferCodecTest, DecodesBytesRawAndTyped) {
  ModelInferRequest request;
  auto* input = request.add_inputs();
  input->set_name("TEXT");
  input->set_datatype("BYTES");
  input->add_shape(2);
  std::string raw;
  for (std::string s : {"ab", ""}) {
    const uint32_t n = s.size();
    raw.append(reinterpret_cast<const char*>(&n), 4).append(s);
  }
  request.add_raw_input_contents(raw);
  absl::StatusOr<InferenceRequest> decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->inputs[0].tensor.strings, (std::vector<std::string>{"ab", ""}));

  request.clear_raw_input_contents();
  request.mutable_inputs(0)->mutable_contents()->add_bytes_contents("x");
  request.mutable_inputs(0)->mutable_contents()->add_bytes_contents("yz");
  decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->inputs[0].tensor.strings, (std::vector<std::string>{"x", "yz"}));
}

TEST(GrpcInferCodecTest, ReadsSchedulingParametersAndRefusesUnknownOnes) {
  ModelInferRequest request = RawRequest();
  (*request.mutable_parameters())["priority"].set_int64_param(1);
  (*request.mutable_parameters())["timeout"].set_int64_param(5000);
  (*request.mutable_parameters())["binary_data_output"].set_bool_param(true);
  absl::StatusOr<InferenceRequest> decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->priority, 1u);
  EXPECT_EQ(decoded->timeout_us, 5000u);

  (*request.mutable_parameters())["sequence_id"].set_int64_param(3);
  ExpectInvalid(request, {"sequence_id"});
  request.mutable_parameters()->erase("sequence_id");
  (*request.mutable_parameters())["priority"].set_int64_param(-1);
  ExpectInvalid(request, {"priority"});
}

TEST(GrpcInferCodecTest, RefusesBadInputsNamingThem) {
  ModelInferRequest request = RawRequest();
  request.set_raw_input_contents(0, Packed<int32_t>({1, 2}));
  ExpectInvalid(request, {"INPUT0", "8 bytes", "12"});

  request = RawRequest();
  request.mutable_inputs(0)->set_datatype("INT33");
  ExpectInvalid(request, {"INPUT0", "INT33"});

  request = RawRequest();
  request.mutable_inputs(0)->set_shape(0, -4);
  ExpectInvalid(request, {"INPUT0", "-4"});

  request = RawRequest();
  request.mutable_inputs(0)->set_shape(0, int64_t{1} << 40);
  request.mutable_inputs(0)->set_shape(1, int64_t{1} << 40);
  ExpectInvalid(request, {"INPUT0", "too large"});

  request = RawRequest();
  request.add_raw_input_contents("extra");
  ExpectInvalid(request, {"raw_input_contents", "2 entries", "1 inputs"});

  request = RawRequest();
  request.mutable_inputs(0)->mutable_contents()->add_int_contents(1);
  ExpectInvalid(request, {"INPUT0", "raw_input_contents"});

  request = RawRequest();
  (*request.mutable_inputs(0)->mutable_parameters())["shared_memory_region"].set_string_param("r");
  ExpectInvalid(request, {"INPUT0", "shared_memory_region"});

  request = RawRequest();
  *request.add_inputs() = request.inputs(0);
  request.add_raw_input_contents(request.raw_input_contents(0));
  ExpectInvalid(request, {"INPUT0", "twice"});

  request = RawRequest();
  request.mutable_inputs(0)->clear_name();
  ExpectInvalid(request, {"inputs[0]", "name"});
}

TEST(GrpcInferCodecTest, RefusesTypedContentsInTheWrongFieldOrCount) {
  ModelInferRequest request;
  auto* input = request.add_inputs();
  input->set_name("X");
  input->set_datatype("INT32");
  input->add_shape(2);
  input->mutable_contents()->add_fp32_contents(1);
  input->mutable_contents()->add_fp32_contents(2);
  ExpectInvalid(request, {"X", "int_contents", "fp32_contents"});

  input->mutable_contents()->Clear();
  input->mutable_contents()->add_int_contents(1);
  ExpectInvalid(request, {"X", "2 elements", "has 1"});

  input->set_datatype("UINT8");
  input->mutable_contents()->Clear();
  input->mutable_contents()->add_uint_contents(1);
  input->mutable_contents()->add_uint_contents(256);
  ExpectInvalid(request, {"X", "element 1", "256", "UINT8"});

  input->set_datatype("FP16");
  ExpectInvalid(request, {"X", "FP16", "raw_input_contents"});
}

TEST(GrpcInferCodecTest, RefusesTruncatedRawBytes) {
  ModelInferRequest request;
  auto* input = request.add_inputs();
  input->set_name("TEXT");
  input->set_datatype("BYTES");
  input->add_shape(1);
  const uint32_t n = 10;
  request.add_raw_input_contents(std::string(reinterpret_cast<const char*>(&n), 4) + "abc");
  ExpectInvalid(request, {"TEXT", "10 bytes"});
  request.set_raw_input_contents(0, "ab");
  ExpectInvalid(request, {"TEXT", "truncated"});
}

TEST(GrpcInferCodecTest, OutputsAreCheckedAndBinaryDataIsAccepted) {
  ModelInferRequest request = RawRequest();
  auto* output = request.add_outputs();
  output->set_name("OUTPUT0");
  (*output->mutable_parameters())["binary_data"].set_bool_param(true);
  absl::StatusOr<InferenceRequest> decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  ASSERT_EQ(decoded->outputs.size(), 1u);
  EXPECT_EQ(decoded->outputs[0].name, "OUTPUT0");

  (*output->mutable_parameters())["classification"].set_int64_param(3);
  decoded = DecodeGrpcInferRequest(request);
  ASSERT_TRUE(decoded.ok()) << decoded.status();
  EXPECT_EQ(decoded->outputs[0].classification, std::optional<uint32_t>(3));
  (*output->mutable_parameters())["classification"].set_int64_param(0);
  ExpectInvalid(request, {"OUTPUT0", "classification", "positive"});
  (*output->mutable_parameters())["classification"].set_string_param("3");
  ExpectInvalid(request, {"OUTPUT0", "classification", "positive"});
  output->mutable_parameters()->clear();
  (*output->mutable_parameters())["top_k"].set_int64_param(3);
  ExpectInvalid(request, {"OUTPUT0", "top_k", "not supported"});
  output->mutable_parameters()->clear();
  *request.add_outputs() = *output;
  ExpectInvalid(request, {"OUTPUT0", "twice"});
}

TEST(GrpcInferCodecTest, EncodesRawOutputs) {
  InferenceResponse response;
  response.model_name = "m";
  response.model_version = "2";
  response.id = "abc";
  NamedTensor numbers{"N", Tensor{DataType::kFp32, {1, 2}, Packed<float>({1.5f, -2}), {}}};
  NamedTensor text{"S", Tensor{DataType::kBytes, {2}, "", {"hi", ""}}};
  response.outputs = {numbers, text};
  ModelInferResponse out;
  EncodeGrpcInferResponse(std::move(response), &out);
  EXPECT_EQ(out.model_name(), "m");
  EXPECT_EQ(out.model_version(), "2");
  EXPECT_EQ(out.id(), "abc");
  ASSERT_EQ(out.outputs_size(), 2);
  ASSERT_EQ(out.raw_output_contents_size(), 2);
  EXPECT_EQ(out.outputs(0).name(), "N");
  EXPECT_EQ(out.outputs(0).datatype(), "FP32");
  EXPECT_EQ(std::vector<int64_t>(out.outputs(0).shape().begin(), out.outputs(0).shape().end()),
            (std::vector<int64_t>{1, 2}));
  EXPECT_EQ(out.raw_output_contents(0), Packed<float>({1.5f, -2}));
  EXPECT_EQ(out.outputs(1).datatype(), "BYTES");
  EXPECT_EQ(out.raw_output_contents(1), std::string("\x02\x00\x00\x00hi\x00\x00\x00\x00", 10));
}

TEST(GrpcStatusTest, CodesMatchTheHttpStatuses) {
  EXPECT_EQ(ToGrpcStatus(absl::InvalidArgumentError("x")).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("x")).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(ToGrpcStatus(absl::UnavailableError("x")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  // A full queue is a 503 over HTTP: UNAVAILABLE, not the rate limit's code.
  EXPECT_EQ(ToGrpcStatus(absl::ResourceExhaustedError("queue full")).error_code(),
            grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(ToGrpcStatus(absl::DeadlineExceededError("x")).error_code(),
            grpc::StatusCode::DEADLINE_EXCEEDED);
  EXPECT_EQ(ToGrpcStatus(absl::FailedPreconditionError("x")).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(ToGrpcStatus(absl::InternalError("x")).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ToGrpcStatus(absl::UnknownError("x")).error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(ToGrpcStatus(absl::NotFoundError("model \"m\"")).error_message(), "model \"m\"");
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
}

}  // namespace
}  // namespace inferd::grpc_api
