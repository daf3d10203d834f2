#include "api/cache_key_builder.h"

#include <cstring>
#include <optional>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tensor/v2_codec.h"

namespace inferd::cache {
namespace {

NamedTensor Fp32(std::string name, Shape shape, std::vector<float> values) {
  NamedTensor t;
  t.name = std::move(name);
  t.tensor.dtype = DataType::kFp32;
  t.tensor.shape = std::move(shape);
  t.tensor.data.resize(values.size() * sizeof(float));
  std::memcpy(t.tensor.data.data(), values.data(), t.tensor.data.size());
  return t;
}

NamedTensor Bytes(std::string name, std::vector<std::string> values) {
  NamedTensor t;
  t.name = std::move(name);
  t.tensor.dtype = DataType::kBytes;
  t.tensor.shape = {static_cast<int64_t>(values.size())};
  t.tensor.strings = std::move(values);
  return t;
}

InferenceRequest TwoInputs() {
  InferenceRequest r;
  r.inputs.push_back(Fp32("a", {1, 2}, {1.0f, 2.0f}));
  r.inputs.push_back(Fp32("b", {2}, {3.0f, 4.0f}));
  return r;
}

CacheKey KeyOf(const InferenceRequest& r, std::string_view model = "m",
               std::string_view version = "1",
               std::string_view route = "infer") {
  absl::StatusOr<CacheKey> key =
      CacheKeyBuilder::ForInferRequest(route, model, version, r);
  EXPECT_TRUE(key.ok()) << key.status();
  return key.value_or(CacheKey{});
}

CacheKey KeyOfJson(std::string_view json) {
  absl::StatusOr<InferenceRequest> r = DecodeV2InferRequest(json, std::nullopt);
  EXPECT_TRUE(r.ok()) << r.status();
  return KeyOf(*r);
}

TEST(CacheKeyBuilderTest, SameRequestSameKey) {
  EXPECT_EQ(KeyOf(TwoInputs()), KeyOf(TwoInputs()));
}

TEST(CacheKeyBuilderTest, InputOrderDoesNotMatter) {
  InferenceRequest reversed = TwoInputs();
  std::swap(reversed.inputs[0], reversed.inputs[1]);
  EXPECT_EQ(KeyOf(TwoInputs()), KeyOf(reversed));
}

TEST(CacheKeyBuilderTest, JsonNumberSpellingDoesNotMatter) {
  CacheKey a = KeyOfJson(
      R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1.0,2.5]}]})");
  CacheKey b = KeyOfJson(
      R"({ "inputs" : [ {"datatype":"FP32","name":"x","data":[1, 25e-1],"shape":[2]} ] })");
  EXPECT_EQ(a, b);
  CacheKey c = KeyOfJson(
      R"({"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1.0,2.6]}]})");
  EXPECT_NE(a, c);
}

TEST(CacheKeyBuilderTest, EveryKeyedFieldChangesTheKey) {
  const CacheKey base = KeyOf(TwoInputs());
  EXPECT_NE(base, KeyOf(TwoInputs(), "other"));
  EXPECT_NE(base, KeyOf(TwoInputs(), "m", "2"));
  EXPECT_NE(base, KeyOf(TwoInputs(), "m", "1", "predict"));

  InferenceRequest value = TwoInputs();
  value.inputs[1] = Fp32("b", {2}, {3.0f, 4.5f});
  EXPECT_NE(base, KeyOf(value));

  InferenceRequest shape = TwoInputs();
  shape.inputs[0].tensor.shape = {2, 1};
  EXPECT_NE(base, KeyOf(shape));

  InferenceRequest dtype = TwoInputs();
  dtype.inputs[0].tensor.dtype = DataType::kInt32;  // same 8 bytes
  EXPECT_NE(base, KeyOf(dtype));

  InferenceRequest name = TwoInputs();
  name.inputs[0].name = "c";
  EXPECT_NE(base, KeyOf(name));

  InferenceRequest outputs = TwoInputs();
  outputs.outputs.push_back({"y", std::nullopt});
  EXPECT_NE(base, KeyOf(outputs));

  InferenceRequest binary = TwoInputs();
  binary.binary_data_output = true;
  EXPECT_NE(base, KeyOf(binary));

  InferenceRequest id = TwoInputs();
  id.id = "req-1";
  EXPECT_NE(base, KeyOf(id));
}

TEST(CacheKeyBuilderTest, OutputBinaryFlagIsResolvedAgainstTheDefault) {
  InferenceRequest explicit_flag = TwoInputs();
  explicit_flag.outputs.push_back({"y", true});
  InferenceRequest from_default = TwoInputs();
  from_default.binary_data_output = true;
  from_default.outputs.push_back({"y", std::nullopt});
  // Same effective output encoding, but the request-level default is part of
  // the key too (it also governs outputs not listed), so they differ...
  EXPECT_NE(KeyOf(explicit_flag), KeyOf(from_default));
  // ...while an explicit flag equal to the default is the same request.
  InferenceRequest explicit_true = from_default;
  explicit_true.outputs[0].binary_data = true;
  EXPECT_EQ(KeyOf(from_default), KeyOf(explicit_true));

  InferenceRequest text = TwoInputs();
  text.outputs.push_back({"y", false});
  EXPECT_NE(KeyOf(explicit_flag), KeyOf(text));
}

TEST(CacheKeyBuilderTest, OutputOrderDoesNotMatter) {
  InferenceRequest a = TwoInputs();
  a.outputs = {{"y", std::nullopt}, {"z", true}};
  InferenceRequest b = TwoInputs();
  b.outputs = {{"z", true}, {"y", std::nullopt}};
  EXPECT_EQ(KeyOf(a), KeyOf(b));
}

TEST(CacheKeyBuilderTest, BytesElementsAreLengthDelimited) {
  InferenceRequest a;
  a.inputs.push_back(Bytes("s", {"ab", "c"}));
  InferenceRequest b;
  b.inputs.push_back(Bytes("s", {"a", "bc"}));
  b.inputs[0].tensor.shape = {2};
  EXPECT_NE(KeyOf(a), KeyOf(b));
  InferenceRequest c;
  c.inputs.push_back(Bytes("s", {"ab", "c"}));
  EXPECT_EQ(KeyOf(a), KeyOf(c));
}

TEST(CacheKeyBuilderTest, FieldBoundariesAreUnambiguous) {
  // "mo" + "del" vs "mod" + "el" must not collide.
  EXPECT_NE(CacheKeyBuilder("infer", "mo", "del").Build().value(),
            CacheKeyBuilder("infer", "mod", "el").Build().value());
}

TEST(CacheKeyBuilderTest, ParametersAreSortedAndKeyed) {
  auto key = [](std::vector<std::pair<std::string, std::string>> params) {
    CacheKeyBuilder b("predict", "m", "1");
    for (const auto& [k, v] : params) b.AddParameter(k, v);
    return b.Build().value();
  };
  EXPECT_EQ(key({{"t", "0.7"}, {"k", "5"}}), key({{"k", "5"}, {"t", "0.7"}}));
  EXPECT_NE(key({{"t", "0.7"}}), key({{"t", "0.8"}}));
  EXPECT_NE(key({}), key({{"t", "0.7"}}));
}

TEST(CacheKeyBuilderTest, DuplicateNamesAreRejected) {
  InferenceRequest r = TwoInputs();
  r.inputs[1].name = "a";
  absl::StatusOr<CacheKey> key =
      CacheKeyBuilder::ForInferRequest("infer", "m", "1", r);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(key.status().message()),
              testing::HasSubstr("input \"a\""));

  CacheKeyBuilder b("infer", "m", "1");
  b.AddRequestedOutput("y", true).AddRequestedOutput("y", false);
  EXPECT_FALSE(b.Build().ok());
}

TEST(CacheKeyBuilderTest, HexIsThirtyTwoDigitsHighFirst) {
  CacheKey key{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
  EXPECT_EQ(key.ToHex(), "0123456789abcdeffedcba9876543210");
}

}  // namespace
}  // namespace inferd::cache
