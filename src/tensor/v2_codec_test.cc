#include "tensor/v2_codec.h"

#include <cstring>
#include <limits>
#include <string>
#include <vector>

#include "boost/json.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tensor/half.h"

namespace inferd {
namespace {

namespace json = boost::json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

absl::StatusOr<InferenceRequest> Decode(std::string_view body) {
  return DecodeV2InferRequest(body, std::nullopt);
}

// Decodes a request holding exactly one input and returns its tensor.
Tensor DecodeOne(std::string_view body) {
  absl::StatusOr<InferenceRequest> request = Decode(body);
  EXPECT_TRUE(request.ok()) << request.status();
  if (!request.ok() || request->inputs.size() != 1) {
    ADD_FAILURE() << "expected exactly one input";
    return Tensor{};
  }
  return request->inputs[0].tensor;
}

// A one-input request body for `datatype`, `shape` and `data` (JSON text).
std::string OneInput(std::string_view datatype, std::string_view shape,
                     std::string_view data) {
  return std::string(R"({"inputs":[{"name":"x","datatype":")") +
         std::string(datatype) + R"(","shape":)" + std::string(shape) +
         R"(,"data":)" + std::string(data) + "}]}";
}

template <typename T>
std::vector<T> Values(const Tensor& tensor) {
  std::vector<T> out(tensor.data.size() / sizeof(T));
  std::memcpy(out.data(), tensor.data.data(), out.size() * sizeof(T));
  return out;
}

template <typename T>
std::string Bytes(std::initializer_list<T> values) {
  std::string out;
  for (T v : values) {
    char raw[sizeof(T)];
    std::memcpy(raw, &v, sizeof(T));
    out.append(raw, sizeof(T));
  }
  return out;
}

// Expects `body` to fail decoding with InvalidArgument mentioning `needle`.
void ExpectInvalid(std::string_view body, std::string_view needle,
                   std::optional<size_t> header_length = std::nullopt) {
  absl::StatusOr<InferenceRequest> request =
      DecodeV2InferRequest(body, header_length);
  ASSERT_FALSE(request.ok()) << "decoded: " << body;
  EXPECT_EQ(request.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(request.status().message()),
              HasSubstr(std::string(needle)))
      << body;
}

// ---------------------------------------------------------------- JSON data

TEST(V2CodecDecodeTest, FlatDataKeepsNameShapeAndValues) {
  absl::StatusOr<InferenceRequest> request = Decode(R"({
    "inputs": [{"name": "INPUT0", "datatype": "INT32", "shape": [2, 3],
                "data": [1, 2, 3, 4, 5, -6]}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->inputs.size(), 1u);
  EXPECT_EQ(request->inputs[0].name, "INPUT0");
  const Tensor& t = request->inputs[0].tensor;
  EXPECT_EQ(t.dtype, DataType::kInt32);
  EXPECT_THAT(t.shape, ElementsAre(2, 3));
  EXPECT_THAT(Values<int32_t>(t), ElementsAre(1, 2, 3, 4, 5, -6));
  EXPECT_TRUE(request->id.empty());
  EXPECT_TRUE(request->outputs.empty());
  EXPECT_FALSE(request->binary_data_output);
}

TEST(V2CodecDecodeTest, NestedDataIsReadInRowMajorOrder) {
  Tensor nested =
      DecodeOne(OneInput("INT32", "[2,3]", "[[1,2,3],[4,5,6]]"));
  EXPECT_THAT(Values<int32_t>(nested), ElementsAre(1, 2, 3, 4, 5, 6));
  Tensor deep = DecodeOne(OneInput("FP32", "[2,1,2]", "[[[1,2]],[[3,4]]]"));
  EXPECT_THAT(Values<float>(deep), ElementsAre(1, 2, 3, 4));
  EXPECT_THAT(deep.shape, ElementsAre(2, 1, 2));
}

TEST(V2CodecDecodeTest, ScalarAndEmptyTensors) {
  Tensor scalar = DecodeOne(OneInput("INT64", "[]", "[42]"));
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_THAT(Values<int64_t>(scalar), ElementsAre(42));
  Tensor empty = DecodeOne(OneInput("FP32", "[0,4]", "[]"));
  EXPECT_THAT(empty.shape, ElementsAre(0, 4));
  EXPECT_TRUE(empty.data.empty());
}

TEST(V2CodecDecodeTest, UnsignedIntegersAtTheirLimits) {
  EXPECT_THAT(Values<uint8_t>(DecodeOne(OneInput("UINT8", "[2]", "[0,255]"))),
              ElementsAre(0, 255));
  EXPECT_THAT(
      Values<uint16_t>(DecodeOne(OneInput("UINT16", "[2]", "[0,65535]"))),
      ElementsAre(0, 65535));
  EXPECT_THAT(
      Values<uint32_t>(DecodeOne(OneInput("UINT32", "[1]", "[4294967295]"))),
      ElementsAre(4294967295u));
  EXPECT_THAT(Values<uint64_t>(DecodeOne(
                  OneInput("UINT64", "[2]", "[0,18446744073709551615]"))),
              ElementsAre(0u, std::numeric_limits<uint64_t>::max()));
}

TEST(V2CodecDecodeTest, SignedIntegersAtTheirLimits) {
  EXPECT_THAT(Values<int8_t>(DecodeOne(OneInput("INT8", "[2]", "[-128,127]"))),
              ElementsAre(-128, 127));
  EXPECT_THAT(
      Values<int16_t>(DecodeOne(OneInput("INT16", "[2]", "[-32768,32767]"))),
      ElementsAre(-32768, 32767));
  EXPECT_THAT(Values<int32_t>(DecodeOne(
                  OneInput("INT32", "[2]", "[-2147483648,2147483647]"))),
              ElementsAre(std::numeric_limits<int32_t>::min(),
                          std::numeric_limits<int32_t>::max()));
  EXPECT_THAT(
      Values<int64_t>(DecodeOne(OneInput(
          "INT64", "[3]",
          "[-9223372036854775808,9223372036854775807,9007199254740993]"))),
      ElementsAre(std::numeric_limits<int64_t>::min(),
                  std::numeric_limits<int64_t>::max(),
                  int64_t{9007199254740993}));  // not exact as a double
}

TEST(V2CodecDecodeTest, IntegralFloatsAreAcceptedForIntegerTypes) {
  EXPECT_THAT(Values<int32_t>(DecodeOne(OneInput("INT32", "[2]", "[2.0,-3e2]"))),
              ElementsAre(2, -300));
}

TEST(V2CodecDecodeTest, FloatingPointTypes) {
  EXPECT_THAT(
      Values<float>(DecodeOne(OneInput("FP32", "[3]", "[1.5,-2.25,7]"))),
      ElementsAre(1.5f, -2.25f, 7.0f));
  EXPECT_THAT(Values<double>(DecodeOne(OneInput("FP64", "[2]", "[0.1,1e300]"))),
              ElementsAre(0.1, 1e300));
}

TEST(V2CodecDecodeTest, Fp16ValuesAreStoredAsHalfBits) {
  Tensor t = DecodeOne(OneInput("FP16", "[4]", "[1.0,-2,65504,0.1]"));
  EXPECT_EQ(t.data.size(), 8u);
  const std::vector<uint16_t> bits = Values<uint16_t>(t);
  EXPECT_THAT(bits, ElementsAre(0x3c00, 0xc000, 0x7bff, FloatToHalf(0.1f)));
  EXPECT_NEAR(HalfToFloat(bits[3]), 0.1f, 1e-4);
}

TEST(V2CodecDecodeTest, Bf16ValuesAreStoredAsBfloat16Bits) {
  Tensor t = DecodeOne(OneInput("BF16", "[3]", "[1.0,-2,3.140625]"));
  EXPECT_THAT(Values<uint16_t>(t), ElementsAre(0x3f80, 0xc000, 0x4049));
}

TEST(V2CodecDecodeTest, BoolElementsAreOneByteEach) {
  Tensor t = DecodeOne(OneInput("BOOL", "[3]", "[true,false,true]"));
  EXPECT_EQ(t.data, std::string("\x01\x00\x01", 3));
  ExpectInvalid(OneInput("BOOL", "[2]", "[true,1]"),
                "element 1 is a int64, expected true or false");
}

TEST(V2CodecDecodeTest, BytesElementsAreStrings) {
  Tensor t = DecodeOne(OneInput("BYTES", "[3]", R"(["abc","","\u00e9"])"));
  EXPECT_EQ(t.dtype, DataType::kBytes);
  EXPECT_THAT(t.strings, ElementsAre("abc", "", "\xc3\xa9"));
  EXPECT_TRUE(t.data.empty());
  ExpectInvalid(OneInput("BYTES", "[2]", R"(["a",5])"),
                "expected a string (BYTES)");
}

TEST(V2CodecDecodeTest, IntegersOutOfRangeAreRejected) {
  ExpectInvalid(OneInput("INT8", "[2]", "[1,300]"),
                "input \"x\": element 1 is out of range for its datatype");
  ExpectInvalid(OneInput("INT8", "[1]", "[128]"), "out of range");
  ExpectInvalid(OneInput("INT8", "[1]", "[-129]"), "out of range");
  ExpectInvalid(OneInput("UINT8", "[1]", "[-1]"),
                "element 0 is out of range");
  ExpectInvalid(OneInput("UINT8", "[1]", "[256]"), "out of range");
  ExpectInvalid(OneInput("UINT16", "[1]", "[65536]"), "out of range");
  ExpectInvalid(OneInput("INT32", "[1]", "[2147483648]"), "out of range");
  ExpectInvalid(OneInput("UINT32", "[2]", "[-0.0e0, 4294967296]"),
                "out of range");
  ExpectInvalid(OneInput("INT64", "[1]", "[9223372036854775808]"),
                "out of range");
  ExpectInvalid(OneInput("UINT64", "[1]", "[-1]"), "out of range");
  ExpectInvalid(OneInput("INT16", "[1]", "[1e10]"), "out of range");
}

TEST(V2CodecDecodeTest, FractionsAreRejectedForIntegerTypes) {
  ExpectInvalid(OneInput("INT32", "[2]", "[1,1.5]"),
                "input \"x\": element 1 (1.5) is not an integer");
  ExpectInvalid(OneInput("UINT8", "[1]", "[-0.5]"), "is not an integer");
}

TEST(V2CodecDecodeTest, LargeFloatsBeyondInt64AreRejected) {
  ExpectInvalid(OneInput("INT64", "[1]", "[9.223372036854775808e18]"),
                "out of range");
  ExpectInvalid(OneInput("UINT64", "[1]", "[1.8446744073709551616e19]"),
                "out of range");
}

TEST(V2CodecDecodeTest, NonNumbersAreRejectedForNumericTypes) {
  ExpectInvalid(OneInput("INT32", "[1]", R"(["1"])"),
                "element 0 is a string, expected a number");
  ExpectInvalid(OneInput("FP32", "[2]", "[1,true]"),
                "element 1 is a bool, expected a number");
  ExpectInvalid(OneInput("FP16", "[1]", "[null]"), "expected a number");
}

TEST(V2CodecDecodeTest, ShapeAndDataLengthMustAgree) {
  ExpectInvalid(OneInput("INT32", "[2,2]", "[1,2,3]"),
                "input \"x\": shape [2,2] has 4 elements but data has 3");
  ExpectInvalid(OneInput("INT32", "[0]", "[1]"), "has 0 elements but data has 1");
}

TEST(V2CodecDecodeTest, NestedDataMustMatchTheShapeAtEveryDepth) {
  ExpectInvalid(OneInput("INT32", "[2,2]", "[[1,2],[3]]"),
                "nested data has 1 elements at depth 1 but shape [2,2] says 2");
  ExpectInvalid(OneInput("INT32", "[3,2]", "[[1,2],[3,4]]"),
                "nested data has 2 elements at depth 0");
  ExpectInvalid(OneInput("INT32", "[2]", "[[1],[2]]"),
                "data is nested deeper than its shape [2]");
  ExpectInvalid(OneInput("INT32", "[2,2,1]", "[[1,2],[3,4]]"),
                "nested data is shallower than its shape [2,2,1]");
  ExpectInvalid(OneInput("INT32", "[2,2]", "[[1,2],3]"), "shallower");
  ExpectInvalid(OneInput("INT32", "[2]", "[1,[2]]"),
                "mixes nested arrays and scalars");
}

TEST(V2CodecDecodeTest, MalformedJsonIsRejected) {
  ExpectInvalid("{", "request body is not valid JSON");
  ExpectInvalid("", "not valid JSON");
  ExpectInvalid(R"({"inputs": []} trailing)", "not valid JSON");
  ExpectInvalid("[1,2]", "request body must be a JSON object");
}

TEST(V2CodecDecodeTest, MissingOrMistypedFieldsAreNamed) {
  ExpectInvalid("{}", "request is missing \"inputs\"");
  ExpectInvalid(R"({"inputs": {}})", "\"inputs\" must be an array");
  ExpectInvalid(R"({"inputs": [5]})", "each element of \"inputs\" must be an object");
  ExpectInvalid(R"({"inputs": [{"datatype":"INT32","shape":[1],"data":[1]}]})",
                "an input is missing its \"name\" string");
  ExpectInvalid(R"({"inputs": [{"name":"x","shape":[1],"data":[1]}]})",
                "input \"x\": missing \"datatype\" string");
  ExpectInvalid(R"({"inputs": [{"name":"x","datatype":"FLOAT","shape":[1],"data":[1]}]})",
                "input \"x\": unknown datatype \"FLOAT\"");
  ExpectInvalid(R"({"inputs": [{"name":"x","datatype":"INT32","data":[1]}]})",
                "input \"x\": missing \"shape\"");
  ExpectInvalid(OneInput("INT32", "3", "[1,2,3]"), "\"shape\" must be an array");
  ExpectInvalid(OneInput("INT32", "[-1]", "[]"),
                "\"shape\" must hold non-negative integers");
  ExpectInvalid(OneInput("INT32", "[1.5]", "[1]"),
                "\"shape\" must hold non-negative integers");
  ExpectInvalid(OneInput("INT32", "[1000000,1000000,10]", "[]"),
                "\"shape\" is too large");
  ExpectInvalid(R"({"inputs": [{"name":"x","datatype":"INT32","shape":[1]}]})",
                "input \"x\": missing \"data\"");
  ExpectInvalid(OneInput("INT32", "[1]", "1"), "\"data\" must be an array");
}

// A shape is the client's claim; nothing may be allocated from it before the
// data backs it up. Each case is refused at once, naming the input, whether
// the data is flat, nested or binary (a 1e12-element reserve used to throw
// std::bad_alloc out of the decoder and end the process).
TEST(V2CodecDecodeTest, HugeShapesAreRefusedWithoutAllocating) {
  struct Case {
    std::string shape;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {"[1000000,1000000]", "at depth 0 but shape [1000000,1000000] says 1000000"},
      {"[100000,100000]", "at depth 0 but shape [100000,100000] says 100000"},
      {"[1,12147483648]", "at depth 1 but shape [1,12147483648] says 12147483648"},
      {"[1099511627776,1]", "at depth 0"},
      // Products that overflow int64, with and without a zero dimension.
      {"[4294967296,4294967296]", "\"shape\" is too large"},
      {"[1099511627776,1099511627776,0]", "\"shape\" is too large"},
      {"[9223372036854775807,2]", "\"shape\" is too large"},
      {"[18446744073709551615]", "\"shape\" is too large"},
      {"[-1000000,1000000]", "\"shape\" must hold non-negative integers"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.shape);
    const std::string nested = OneInput("INT32", c.shape, "[[1]]");
    ExpectInvalid(nested, "input \"x\"");
    ExpectInvalid(nested, c.needle);
    ExpectInvalid(OneInput("INT32", c.shape, "[1]"), "input \"x\"");
    ExpectInvalid(OneInput("BYTES", c.shape, "[[\"a\"]]"), "input \"x\"");
    const std::string header =
        R"({"inputs":[{"name":"x","datatype":"INT32","shape":)" + c.shape +
        R"(,"parameters":{"binary_data_size":4}}]})";
    ExpectInvalid(header + Bytes<int32_t>({1}), "input \"x\"", header.size());
    const std::string bytes_header =
        R"({"inputs":[{"name":"x","datatype":"BYTES","shape":)" + c.shape +
        R"(,"parameters":{"binary_data_size":5}}]})";
    ExpectInvalid(bytes_header + Bytes<uint32_t>({1}) + "a", "input \"x\"",
                  bytes_header.size());
  }
}

TEST(V2CodecDecodeTest, ElementCountSaturatesInsteadOfOverflowing) {
  EXPECT_EQ(ElementCount({}), 1);
  EXPECT_EQ(ElementCount({2, 0, 3}), 0);
  EXPECT_EQ(ElementCount({int64_t{1} << 32, int64_t{1} << 32}),
            std::numeric_limits<int64_t>::max());
}

TEST(V2CodecDecodeTest, DuplicateInputNamesAreRejected) {
  ExpectInvalid(R"({"inputs": [
      {"name":"x","datatype":"INT32","shape":[1],"data":[1]},
      {"name":"x","datatype":"INT32","shape":[1],"data":[2]}]})",
                "input \"x\" appears twice");
}

TEST(V2CodecDecodeTest, DuplicateRequestedOutputsAreRejected) {
  // Each copy would be encoded again: 10,000 copies of one name made a small
  // request a 5x larger answer.
  ExpectInvalid(R"({"inputs": [], "outputs": [
      {"name": "OUTPUT0"}, {"name": "OUTPUT1"}, {"name": "OUTPUT0"}]})",
                "output \"OUTPUT0\" is requested twice");
  std::string many = R"({"inputs": [], "outputs": [)";
  for (int i = 0; i < 10000; ++i) many += R"({"name": "OUTPUT1"},)";
  many += R"({"name": "OUTPUT1"}]})";
  ExpectInvalid(many, "output \"OUTPUT1\" is requested twice");
}

TEST(V2CodecDecodeTest, IdIsKeptAndMustBeAString) {
  absl::StatusOr<InferenceRequest> request = Decode(
      R"({"id":"req-7","inputs":[{"name":"x","datatype":"INT8","shape":[1],"data":[1]}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->id, "req-7");
  ExpectInvalid(R"({"id":7,"inputs":[]})", "\"id\" must be a string");
}

TEST(V2CodecDecodeTest, OutputsSelectionKeepsOrderAndBinaryFlags) {
  absl::StatusOr<InferenceRequest> request = Decode(R"({
    "inputs": [],
    "parameters": {"binary_data_output": true},
    "outputs": [{"name": "OUTPUT1"},
                {"name": "OUTPUT0", "parameters": {"binary_data": false}},
                {"name": "OUTPUT2", "parameters": {"binary_data": true}},
                {"name": "OUTPUT3", "parameters": {}}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_TRUE(request->binary_data_output);
  ASSERT_EQ(request->outputs.size(), 4u);
  EXPECT_EQ(request->outputs[0].name, "OUTPUT1");
  EXPECT_FALSE(request->outputs[0].binary_data.has_value());
  EXPECT_EQ(request->outputs[1].name, "OUTPUT0");
  EXPECT_EQ(request->outputs[1].binary_data, std::optional<bool>(false));
  EXPECT_EQ(request->outputs[2].binary_data, std::optional<bool>(true));
  EXPECT_FALSE(request->outputs[3].binary_data.has_value());
}

TEST(V2CodecDecodeTest, MalformedOutputsAndParametersAreRejected) {
  ExpectInvalid(R"({"inputs":[],"outputs":{}})", "\"outputs\" must be an array");
  ExpectInvalid(R"({"inputs":[],"outputs":[{}]})",
                "each element of \"outputs\" needs a \"name\" string");
  ExpectInvalid(R"({"inputs":[],"outputs":["OUTPUT0"]})", "needs a \"name\"");
  ExpectInvalid(
      R"({"inputs":[],"outputs":[{"name":"o","parameters":{"binary_data":1}}]})",
      "output \"o\": parameter \"binary_data\" must be true or false");
  ExpectInvalid(R"({"inputs":[],"outputs":[{"name":"o","parameters":[]}]})",
                "output \"o\": \"parameters\" must be an object");
  ExpectInvalid(R"({"inputs":[],"parameters":{"binary_data_output":"yes"}})",
                "request: parameter \"binary_data_output\" must be true or false");
  ExpectInvalid(R"({"inputs":[],"parameters":5})",
                "request: \"parameters\" must be an object");
}

// ------------------------------------------------- binary tensor extension

// A body made of a JSON header and raw bytes, with the header's length.
struct BinaryBody {
  std::string body;
  size_t header_length;
};
BinaryBody WithBinary(std::string_view header, std::string_view binary) {
  return BinaryBody{std::string(header) + std::string(binary), header.size()};
}

TEST(V2CodecBinaryTest, FixedSizeInputsAreReadInOrder) {
  const BinaryBody b = WithBinary(
      R"({"inputs":[
        {"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}},
        {"name":"b","datatype":"FP16","shape":[1],"parameters":{"binary_data_size":2}},
        {"name":"c","datatype":"INT8","shape":[2],"data":[7,8]}]})",
      Bytes<int32_t>({5, -6}) + Bytes<uint16_t>({0x3c00}));
  absl::StatusOr<InferenceRequest> request =
      DecodeV2InferRequest(b.body, b.header_length);
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->inputs.size(), 3u);
  EXPECT_THAT(Values<int32_t>(request->inputs[0].tensor), ElementsAre(5, -6));
  EXPECT_THAT(Values<uint16_t>(request->inputs[1].tensor), ElementsAre(0x3c00));
  EXPECT_THAT(Values<int8_t>(request->inputs[2].tensor), ElementsAre(7, 8));
}

TEST(V2CodecBinaryTest, BytesElementsAreLengthPrefixed) {
  std::string binary = Bytes<uint32_t>({3}) + "abc" + Bytes<uint32_t>({0}) +
                       Bytes<uint32_t>({2}) + "de";
  const std::string header = std::string(
      R"({"inputs":[{"name":"s","datatype":"BYTES","shape":[3],"parameters":{"binary_data_size":)") +
      std::to_string(binary.size()) + "}}]}";
  const BinaryBody b = WithBinary(header, binary);
  absl::StatusOr<InferenceRequest> request =
      DecodeV2InferRequest(b.body, b.header_length);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->inputs[0].tensor.strings, ElementsAre("abc", "", "de"));
}

TEST(V2CodecBinaryTest, MalformedBytesPayloadsAreRejected) {
  auto header = [](size_t size, int count) {
    return std::string(R"({"inputs":[{"name":"s","datatype":"BYTES","shape":[)") +
           std::to_string(count) +
           R"(],"parameters":{"binary_data_size":)" + std::to_string(size) +
           "}}]}";
  };
  const std::string truncated_prefix = Bytes<uint32_t>({1}) + "a" + "\x01\x00";
  BinaryBody b = WithBinary(header(truncated_prefix.size(), 2), truncated_prefix);
  ExpectInvalid(b.body, "length prefix is truncated", b.header_length);

  const std::string too_long = Bytes<uint32_t>({10}) + "abc";
  b = WithBinary(header(too_long.size(), 1), too_long);
  ExpectInvalid(b.body, "runs past binary_data_size", b.header_length);

  const std::string one = Bytes<uint32_t>({1}) + "a";
  b = WithBinary(header(one.size(), 2), one);
  ExpectInvalid(b.body, "binary data holds 1 BYTES elements but shape [2] needs 2",
                b.header_length);
}

TEST(V2CodecBinaryTest, HeaderLengthBeyondBodyIsRejected) {
  ExpectInvalid(R"({"inputs":[]})",
                "Inference-Header-Content-Length is 100 but the body has only 13 bytes",
                100);
}

TEST(V2CodecBinaryTest, HeaderLengthSplitsJsonFromBinary) {
  // Only the first `header_length` bytes are JSON; the rest must be claimed.
  const std::string json = R"({"inputs":[]})";
  absl::StatusOr<InferenceRequest> exact = DecodeV2InferRequest(json, json.size());
  EXPECT_TRUE(exact.ok()) << exact.status();
  // A header length cutting the JSON short makes it invalid JSON.
  ExpectInvalid(json, "not valid JSON", json.size() - 1);
}

TEST(V2CodecBinaryTest, SizeBeyondRemainingBinaryIsRejected) {
  const BinaryBody b = WithBinary(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":8}}]})",
      Bytes<int32_t>({1}));
  ExpectInvalid(b.body,
                "input \"a\": binary_data_size 8 runs past the end of the body "
                "(4 binary bytes left)",
                b.header_length);
}

TEST(V2CodecBinaryTest, SizeThatDisagreesWithShapeIsRejected) {
  const BinaryBody b = WithBinary(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[2],"parameters":{"binary_data_size":4}}]})",
      Bytes<int32_t>({1}));
  ExpectInvalid(b.body, "binary_data_size is 4 bytes but shape [2] of INT32 needs 8",
                b.header_length);
}

TEST(V2CodecBinaryTest, LeftoverBytesAreRejected) {
  const BinaryBody b = WithBinary(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[1],"parameters":{"binary_data_size":4}}]})",
      Bytes<int32_t>({1, 2}));
  ExpectInvalid(b.body,
                "4 bytes of binary data are not claimed by any input's "
                "binary_data_size",
                b.header_length);
}

TEST(V2CodecBinaryTest, DataAndBinarySizeTogetherAreRejected) {
  const BinaryBody b = WithBinary(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[1],"data":[1],"parameters":{"binary_data_size":4}}]})",
      Bytes<int32_t>({1}));
  ExpectInvalid(b.body, "input \"a\": has both \"data\" and binary_data_size",
                b.header_length);
}

TEST(V2CodecBinaryTest, BinaryDataSizeMustBeANonNegativeInteger) {
  ExpectInvalid(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[0],"parameters":{"binary_data_size":-4}}]})",
      "\"binary_data_size\" must be a non-negative integer");
  ExpectInvalid(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[0],"parameters":{"binary_data_size":"4"}}]})",
      "\"binary_data_size\" must be a non-negative integer");
  ExpectInvalid(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[1],"data":[1],"parameters":3}]})",
      "input \"a\": \"parameters\" must be an object");
}

TEST(V2CodecParametersTest, UnknownParametersAreRefusedByName) {
  ExpectInvalid(R"({"inputs":[],"parameters":{"sequence_id":3}})",
                "request: parameter \"sequence_id\" is not supported (supported: "
                "binary_data_output, priority, timeout)");
  ExpectInvalid(
      R"({"inputs":[{"name":"a","datatype":"INT32","shape":[1],"data":[1],"parameters":{"x":1}}]})",
      "input \"a\": parameter \"x\" is not supported");
  ExpectInvalid(R"({"inputs":[],"outputs":[{"name":"o","parameters":{"other":1}}]})",
                "output \"o\": parameter \"other\" is not supported");
}

TEST(V2CodecParametersTest, ClassificationIsAPositiveCount) {
  absl::StatusOr<InferenceRequest> request =
      Decode(R"({"inputs":[],"outputs":[{"name":"o","parameters":{"classification":3}}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_EQ(request->outputs[0].classification, std::optional<uint32_t>(3));
  ExpectInvalid(R"({"inputs":[],"outputs":[{"name":"o","parameters":{"classification":0}}]})",
                "output \"o\": \"classification\" must be a positive number of classes");
  ExpectInvalid(R"({"inputs":[],"outputs":[{"name":"o","parameters":{"classification":"3"}}]})",
                "output \"o\": \"classification\" must be a non-negative integer");
}

TEST(V2CodecParametersTest, SharedMemoryInputsAndOutputsAreNamed) {
  absl::StatusOr<InferenceRequest> request = Decode(R"({"inputs":[
      {"name":"a","datatype":"INT32","shape":[1],"data":[1]},
      {"name":"b","datatype":"INT32","shape":[4],"parameters":{
        "shared_memory_region":"r","shared_memory_byte_size":16,"shared_memory_offset":8}}],
      "outputs":[{"name":"o","parameters":{"shared_memory_region":"q","shared_memory_byte_size":4}}]})");
  ASSERT_TRUE(request.ok()) << request.status();
  ASSERT_EQ(request->shared_memory_inputs.size(), 1u);
  EXPECT_EQ(request->shared_memory_inputs[0].input, 1u);
  EXPECT_EQ(request->shared_memory_inputs[0].ref.region, "r");
  EXPECT_EQ(request->shared_memory_inputs[0].ref.byte_size, 16u);
  EXPECT_EQ(request->shared_memory_inputs[0].ref.offset, 8u);
  EXPECT_TRUE(request->inputs[1].tensor.data.empty());
  ASSERT_TRUE(request->outputs[0].shared_memory.has_value());
  EXPECT_EQ(request->outputs[0].shared_memory->region, "q");
  EXPECT_EQ(request->outputs[0].shared_memory->offset, 0u);

  ExpectInvalid(
      R"({"inputs":[{"name":"b","datatype":"INT32","shape":[1],"parameters":{"shared_memory_region":"r"}}]})",
      "input \"b\": \"shared_memory_region\" needs \"shared_memory_byte_size\"");
  ExpectInvalid(
      R"({"inputs":[{"name":"b","datatype":"INT32","shape":[1],"parameters":{"shared_memory_offset":4}}]})",
      "input \"b\": \"shared_memory_offset\" needs \"shared_memory_region\"");
  ExpectInvalid(
      R"({"inputs":[{"name":"b","datatype":"INT32","shape":[1],"data":[1],"parameters":{"shared_memory_region":"r","shared_memory_byte_size":4}}]})",
      "has \"shared_memory_region\" and also");
}

TEST(V2CodecEncodeTest, SharedMemoryOutputsNameTheirRegion) {
  InferenceResponse response;
  response.model_name = "m";
  response.model_version = "1";
  response.outputs.push_back({"o", Tensor{DataType::kInt32, {1}, std::string(4, '\0'), {}}});
  response.binary = {false};
  response.shared_memory = {SharedMemoryRef{"q", 4, 8}};
  EncodedResponse encoded = EncodeV2InferResponse(response);
  EXPECT_EQ(encoded.body,
            R"({"model_name":"m","model_version":"1","outputs":[{"name":"o","datatype":"INT32",)"
            R"("shape":[1],"parameters":{"shared_memory_region":"q","shared_memory_byte_size":4,)"
            R"("shared_memory_offset":8}}]})");
}

// ----------------------------------------------------------------- encoding

Tensor Int32Tensor(Shape shape, std::initializer_list<int32_t> values) {
  return Tensor{DataType::kInt32, std::move(shape), Bytes<int32_t>(values), {}};
}

json::object ParseObject(std::string_view text) {
  json::value v = json::parse(json::string_view(text.data(), text.size()));
  return v.as_object();
}

TEST(V2CodecEncodeTest, JsonResponseCarriesNamesShapesAndData) {
  InferenceResponse response;
  response.model_name = "simple";
  response.model_version = "3";
  response.id = "abc";
  response.outputs.push_back({"OUTPUT0", Int32Tensor({1, 2}, {7, -8})});
  response.binary = {false};
  EncodedResponse encoded = EncodeV2InferResponse(response);
  EXPECT_EQ(encoded.content_type, "application/json");
  EXPECT_FALSE(encoded.json_header_length.has_value());
  json::object body = ParseObject(encoded.body);
  EXPECT_EQ(body.at("model_name"), "simple");
  EXPECT_EQ(body.at("model_version"), "3");
  EXPECT_EQ(body.at("id"), "abc");
  const json::object& out = body.at("outputs").as_array().at(0).as_object();
  EXPECT_EQ(out.at("name"), "OUTPUT0");
  EXPECT_EQ(out.at("datatype"), "INT32");
  EXPECT_EQ(out.at("shape"), (json::array{1, 2}));
  EXPECT_EQ(out.at("data"), (json::array{7, -8}));
  EXPECT_FALSE(out.contains("parameters"));
}

TEST(V2CodecEncodeTest, EmptyIdIsLeftOut) {
  InferenceResponse response;
  response.model_name = "m";
  response.model_version = "1";
  json::object body = ParseObject(EncodeV2InferResponse(response).body);
  EXPECT_FALSE(body.contains("id"));
  EXPECT_EQ(body.at("outputs"), json::array{});
}

TEST(V2CodecEncodeTest, EveryDatatypeRendersAsJsonValues) {
  InferenceResponse response;
  response.outputs.push_back(
      {"bool", Tensor{DataType::kBool, {2}, std::string("\x01\x00", 2), {}}});
  response.outputs.push_back(
      {"u64", Tensor{DataType::kUint64, {1},
                     Bytes<uint64_t>({std::numeric_limits<uint64_t>::max()}),
                     {}}});
  response.outputs.push_back(
      {"i64", Tensor{DataType::kInt64, {1}, Bytes<int64_t>({9007199254740993}), {}}});
  response.outputs.push_back(
      {"i8", Tensor{DataType::kInt8, {1}, Bytes<int8_t>({-5}), {}}});
  response.outputs.push_back(
      {"fp16", Tensor{DataType::kFp16, {2}, Bytes<uint16_t>({0x3c00, 0xc100}), {}}});
  response.outputs.push_back(
      {"bf16", Tensor{DataType::kBf16, {1}, Bytes<uint16_t>({0x4049}), {}}});
  response.outputs.push_back(
      {"fp32", Tensor{DataType::kFp32, {1}, Bytes<float>({1.5f}), {}}});
  response.outputs.push_back(
      {"fp64", Tensor{DataType::kFp64, {1}, Bytes<double>({0.1}), {}}});
  response.outputs.push_back(
      {"bytes", Tensor{DataType::kBytes, {2}, "", {"hi", ""}}});
  EncodedResponse encoded = EncodeV2InferResponse(response);
  EXPECT_EQ(encoded.content_type, "application/json");
  // Integers beyond 2^53 must survive as exact JSON integers.
  EXPECT_THAT(encoded.body, HasSubstr("[18446744073709551615]"));
  EXPECT_THAT(encoded.body, HasSubstr("[9007199254740993]"));
  const json::object body = ParseObject(encoded.body);
  const json::array& outs = body.at("outputs").as_array();
  ASSERT_EQ(outs.size(), 9u);
  auto data = [&](size_t i) { return outs[i].as_object().at("data").as_array(); };
  EXPECT_EQ(data(0), (json::array{true, false}));
  EXPECT_EQ(data(3), (json::array{-5}));
  EXPECT_EQ(data(4).at(0).to_number<double>(), 1.0);
  EXPECT_EQ(data(4).at(1).to_number<double>(), -2.5);
  EXPECT_EQ(data(5).at(0).to_number<double>(), 3.140625);
  EXPECT_EQ(data(6).at(0).to_number<double>(), 1.5);
  EXPECT_EQ(data(7).at(0).to_number<double>(), 0.1);
  EXPECT_EQ(data(8), (json::array{"hi", ""}));
  EXPECT_EQ(outs[8].as_object().at("datatype"), "BYTES");
  EXPECT_EQ(outs[4].as_object().at("datatype"), "FP16");
}

TEST(V2CodecEncodeTest, BinaryOutputsFollowTheJsonHeader) {
  InferenceResponse response;
  response.model_name = "simple";
  response.model_version = "1";
  response.outputs.push_back({"OUTPUT0", Int32Tensor({2}, {1, 2})});
  response.outputs.push_back({"OUTPUT1", Int32Tensor({1}, {9})});
  response.outputs.push_back(
      {"S", Tensor{DataType::kBytes, {2}, "", {"ab", "c"}}});
  response.binary = {true, false, true};
  EncodedResponse encoded = EncodeV2InferResponse(response);
  EXPECT_EQ(encoded.content_type, "application/octet-stream");
  ASSERT_TRUE(encoded.json_header_length.has_value());
  const size_t n = *encoded.json_header_length;
  ASSERT_LE(n, encoded.body.size());
  // Inference-Header-Content-Length is the length of the JSON part alone.
  json::object header = ParseObject(std::string_view(encoded.body).substr(0, n));
  const json::array& outs = header.at("outputs").as_array();
  const json::object& o0 = outs[0].as_object();
  EXPECT_FALSE(o0.contains("data"));
  EXPECT_EQ(o0.at("parameters").at("binary_data_size"), 8);
  EXPECT_EQ(outs[1].as_object().at("data"), (json::array{9}));
  EXPECT_EQ(outs[2].as_object().at("parameters").at("binary_data_size"), 4 + 2 + 4 + 1);
  const std::string expected_binary = Bytes<int32_t>({1, 2}) +
                                      Bytes<uint32_t>({2}) + "ab" +
                                      Bytes<uint32_t>({1}) + "c";
  EXPECT_EQ(encoded.body.substr(n), expected_binary);
}

TEST(V2CodecEncodeTest, EmptyBinaryOutputStillUsesTheBinaryFraming) {
  InferenceResponse response;
  response.outputs.push_back({"E", Tensor{DataType::kFp32, {0}, "", {}}});
  response.binary = {true};
  EncodedResponse encoded = EncodeV2InferResponse(response);
  EXPECT_EQ(encoded.content_type, "application/octet-stream");
  ASSERT_TRUE(encoded.json_header_length.has_value());
  EXPECT_EQ(*encoded.json_header_length, encoded.body.size());
  EXPECT_EQ(ParseObject(encoded.body)
                .at("outputs").as_array()[0].as_object()
                .at("parameters").at("binary_data_size"),
            0);
}

TEST(V2CodecEncodeTest, BinaryResponseDecodesBackThroughTheRequestCodec) {
  // What the server sends as a binary output is what a client would send as
  // binary input: the same framing both ways.
  InferenceResponse response;
  response.outputs.push_back({"x", Int32Tensor({3}, {4, 5, 6})});
  response.binary = {true};
  EncodedResponse encoded = EncodeV2InferResponse(response);
  const size_t n = *encoded.json_header_length;
  json::object header = ParseObject(std::string_view(encoded.body).substr(0, n));
  json::object input = header.at("outputs").as_array()[0].as_object();
  const std::string request_header =
      json::serialize(json::object{{"inputs", json::array{input}}});
  const std::string body = request_header + encoded.body.substr(n);
  absl::StatusOr<InferenceRequest> request =
      DecodeV2InferRequest(body, request_header.size());
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(Values<int32_t>(request->inputs[0].tensor), ElementsAre(4, 5, 6));
}

}  // namespace
}  // namespace inferd
