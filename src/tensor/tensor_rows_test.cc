#include "tensor/tensor_rows.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tensor/half.h"

namespace inferd {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename T>
Tensor Make(DataType dtype, Shape shape, const std::vector<T>& values) {
  Tensor tensor;
  tensor.dtype = dtype;
  tensor.shape = std::move(shape);
  tensor.data.resize(values.size() * sizeof(T));
  if (!values.empty()) std::memcpy(tensor.data.data(), values.data(), tensor.data.size());
  return tensor;
}

Tensor Int32(Shape shape, const std::vector<int32_t>& values) {
  return Make(DataType::kInt32, std::move(shape), values);
}

Tensor Strings(Shape shape, std::vector<std::string> values) {
  Tensor tensor;
  tensor.dtype = DataType::kBytes;
  tensor.shape = std::move(shape);
  tensor.strings = std::move(values);
  return tensor;
}

template <typename T>
std::vector<T> Values(const Tensor& tensor) {
  std::vector<T> values(tensor.data.size() / sizeof(T));
  if (!values.empty()) std::memcpy(values.data(), tensor.data.data(), tensor.data.size());
  return values;
}

// ------------------------------------------------------------------- join

TEST(ConcatRowsTest, JoinsPartsAlongDimensionZeroInOrder) {
  Tensor a = Int32({1, 2}, {1, 2});
  Tensor b = Int32({2, 2}, {3, 4, 5, 6});
  Tensor joined = ConcatRows({&a, &b});
  EXPECT_EQ(joined.dtype, DataType::kInt32);
  EXPECT_EQ(joined.shape, (Shape{3, 2}));
  EXPECT_THAT(Values<int32_t>(joined), ElementsAre(1, 2, 3, 4, 5, 6));
}

TEST(ConcatRowsTest, JoinsBytesTensorsByTheirStrings) {
  Tensor a = Strings({1}, {"first"});
  Tensor b = Strings({2}, {"second", ""});
  Tensor joined = ConcatRows({&a, &b});
  EXPECT_EQ(joined.dtype, DataType::kBytes);
  EXPECT_EQ(joined.shape, (Shape{3}));
  EXPECT_THAT(joined.strings, ElementsAre("first", "second", ""));
  EXPECT_TRUE(joined.data.empty());
}

TEST(ConcatRowsTest, OnePartIsACopy) {
  Tensor a = Make<float>(DataType::kFp32, {2, 1}, {1.5f, -2.5f});
  Tensor joined = ConcatRows({&a});
  EXPECT_EQ(joined.shape, (Shape{2, 1}));
  EXPECT_THAT(Values<float>(joined), ElementsAre(1.5f, -2.5f));
}

// ------------------------------------------------------------------ split

TEST(SplitRowsTest, SplitsIntoPiecesOfTheGivenRowCounts) {
  Tensor batch = Int32({3, 2}, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<std::vector<Tensor>> pieces = SplitRows(batch, {1, 2});
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  ASSERT_EQ(pieces->size(), 2u);
  EXPECT_EQ((*pieces)[0].shape, (Shape{1, 2}));
  EXPECT_THAT(Values<int32_t>((*pieces)[0]), ElementsAre(1, 2));
  EXPECT_EQ((*pieces)[1].shape, (Shape{2, 2}));
  EXPECT_THAT(Values<int32_t>((*pieces)[1]), ElementsAre(3, 4, 5, 6));
  EXPECT_EQ((*pieces)[1].dtype, DataType::kInt32);
}

TEST(SplitRowsTest, UndoesConcatRows) {
  Tensor a = Make<double>(DataType::kFp64, {2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor b = Make<double>(DataType::kFp64, {1, 3}, {7, 8, 9});
  absl::StatusOr<std::vector<Tensor>> pieces = SplitRows(ConcatRows({&a, &b}), {2, 1});
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  EXPECT_EQ((*pieces)[0].shape, a.shape);
  EXPECT_EQ((*pieces)[0].data, a.data);
  EXPECT_EQ((*pieces)[1].shape, b.shape);
  EXPECT_EQ((*pieces)[1].data, b.data);
}

TEST(SplitRowsTest, SplitsBytesTensorsRowByRow) {
  Tensor batch = Strings({3, 2}, {"a", "b", "c", "d", "e", "f"});
  absl::StatusOr<std::vector<Tensor>> pieces = SplitRows(batch, {2, 1});
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  EXPECT_EQ((*pieces)[0].shape, (Shape{2, 2}));
  EXPECT_THAT((*pieces)[0].strings, ElementsAre("a", "b", "c", "d"));
  EXPECT_EQ((*pieces)[1].shape, (Shape{1, 2}));
  EXPECT_THAT((*pieces)[1].strings, ElementsAre("e", "f"));
}

TEST(SplitRowsTest, APieceOfZeroRowsIsEmpty) {
  Tensor batch = Int32({2, 2}, {1, 2, 3, 4});
  absl::StatusOr<std::vector<Tensor>> pieces = SplitRows(batch, {0, 2});
  ASSERT_TRUE(pieces.ok()) << pieces.status();
  EXPECT_EQ((*pieces)[0].shape, (Shape{0, 2}));
  EXPECT_TRUE((*pieces)[0].data.empty());
  EXPECT_THAT(Values<int32_t>((*pieces)[1]), ElementsAre(1, 2, 3, 4));
}

TEST(SplitRowsTest, RowCountOtherThanTheBatchIsAnErrorNamingBoth) {
  Tensor batch = Int32({3, 2}, {1, 2, 3, 4, 5, 6});
  absl::StatusOr<std::vector<Tensor>> pieces = SplitRows(batch, {2, 2});
  ASSERT_FALSE(pieces.ok());
  EXPECT_EQ(pieces.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(pieces.status().message(), "model returned shape [3,2] for a batch of 4 rows");
}

TEST(SplitRowsTest, ScalarOutputCannotBeSplit) {
  Tensor scalar = Int32({}, {7});
  absl::StatusOr<std::vector<Tensor>> pieces = SplitRows(scalar, {1});
  ASSERT_FALSE(pieces.ok());
  EXPECT_EQ(pieces.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(pieces.status().message(), HasSubstr("shape [] for a batch of 1 rows"));
}

// ---------------------------------------------------------------- padding

TEST(ConcatRowsPaddedTest, PadsEachPartToTheLongestBeforeJoining) {
  Tensor short_part = Int32({1, 2}, {1, 2});
  Tensor long_part = Int32({2, 3}, {3, 4, 5, 6, 7, 8});
  absl::StatusOr<Tensor> joined = ConcatRowsPadded({&short_part, &long_part}, -1);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->shape, (Shape{3, 3}));
  EXPECT_THAT(Values<int32_t>(*joined), ElementsAre(1, 2, -1, 3, 4, 5, 6, 7, 8));
}

TEST(ConcatRowsPaddedTest, PadsEveryDimensionPastZeroToItsOwnLongest) {
  Tensor wide = Int32({1, 1, 2}, {1, 2});
  Tensor tall = Int32({1, 2, 1}, {3, 4});
  absl::StatusOr<Tensor> joined = ConcatRowsPadded({&wide, &tall}, 0);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->shape, (Shape{2, 2, 2}));
  // [[1,2],[0,0]] then [[3,0],[4,0]].
  EXPECT_THAT(Values<int32_t>(*joined), ElementsAre(1, 2, 0, 0, 3, 0, 4, 0));
}

TEST(ConcatRowsPaddedTest, PadValueIsConvertedToTheDtype) {
  Tensor a = Make<float>(DataType::kFp32, {1, 1}, {1.0f});
  Tensor b = Make<float>(DataType::kFp32, {1, 2}, {2.0f, 3.0f});
  absl::StatusOr<Tensor> joined = ConcatRowsPadded({&a, &b}, 0.5);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_THAT(Values<float>(*joined), ElementsAre(1.0f, 0.5f, 2.0f, 3.0f));

  Tensor h1 = Make<uint16_t>(DataType::kFp16, {1, 1}, {FloatToHalf(1.0f)});
  Tensor h2 = Make<uint16_t>(DataType::kFp16, {1, 2}, {FloatToHalf(2.0f), FloatToHalf(3.0f)});
  joined = ConcatRowsPadded({&h1, &h2}, -2.0);
  ASSERT_TRUE(joined.ok()) << joined.status();
  std::vector<float> halves;
  for (uint16_t bits : Values<uint16_t>(*joined)) halves.push_back(HalfToFloat(bits));
  EXPECT_THAT(halves, ElementsAre(1.0f, -2.0f, 2.0f, 3.0f));

  Tensor flag = Make<uint8_t>(DataType::kBool, {1, 1}, {0});
  Tensor flags = Make<uint8_t>(DataType::kBool, {1, 2}, {0, 1});
  joined = ConcatRowsPadded({&flag, &flags}, 7);  // any nonzero pad is true
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_THAT(Values<uint8_t>(*joined), ElementsAre(0, 1, 0, 1));
}

TEST(ConcatRowsPaddedTest, EqualShapesJoinUnchanged) {
  Tensor a = Int32({1, 2}, {1, 2});
  Tensor b = Int32({1, 2}, {3, 4});
  absl::StatusOr<Tensor> joined = ConcatRowsPadded({&a, &b}, 9);
  ASSERT_TRUE(joined.ok()) << joined.status();
  EXPECT_EQ(joined->shape, (Shape{2, 2}));
  EXPECT_THAT(Values<int32_t>(*joined), ElementsAre(1, 2, 3, 4));
}

TEST(ConcatRowsPaddedTest, MixedDtypesOrRanksAreRefusedNamingBoth) {
  Tensor ints = Int32({1, 2}, {1, 2});
  Tensor floats = Make<float>(DataType::kFp32, {1, 2}, {1, 2});
  absl::StatusOr<Tensor> joined = ConcatRowsPadded({&ints, &floats}, 0);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(joined.status().message(), "cannot pad FP32[1,2] to join INT32[1,2]");

  Tensor rank3 = Int32({1, 2, 1}, {1, 2});
  joined = ConcatRowsPadded({&ints, &rank3}, 0);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(joined.status().message(), "cannot pad INT32[1,2,1] to join INT32[1,2]");
}

TEST(ConcatRowsPaddedTest, BytesAndScalarsAreRefused) {
  Tensor text = Strings({1}, {"a"});
  absl::StatusOr<Tensor> joined = ConcatRowsPadded({&text, &text}, 0);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(joined.status().message(), "BYTES tensors cannot be padded");

  Tensor scalar = Int32({}, {1});
  joined = ConcatRowsPadded({&scalar, &scalar}, 0);
  ASSERT_FALSE(joined.ok());
  EXPECT_EQ(joined.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(PadRowsTest, PadsToTheShapeAndTrimRowsUndoesIt) {
  Tensor tensor = Int32({2, 2}, {1, 2, 3, 4});
  Tensor padded = PadRows(tensor, {2, 3}, 0);
  EXPECT_EQ(padded.shape, (Shape{2, 3}));
  EXPECT_THAT(Values<int32_t>(padded), ElementsAre(1, 2, 0, 3, 4, 0));
  Tensor trimmed = TrimRows(padded, {99, 2});  // dim 0 of the extent is ignored
  EXPECT_EQ(trimmed.shape, (Shape{2, 2}));
  EXPECT_EQ(trimmed.data, tensor.data);
}

TEST(PadRowsTest, SameShapeIsLeftAsItIs) {
  Tensor tensor = Int32({1, 3}, {5, 6, 7});
  Tensor padded = PadRows(tensor, {1, 3}, -1);
  EXPECT_EQ(padded.shape, tensor.shape);
  EXPECT_EQ(padded.data, tensor.data);
  Tensor trimmed = TrimRows(tensor, {1, 3});
  EXPECT_EQ(trimmed.data, tensor.data);
}

TEST(TrimRowsTest, KeepsTheLeadingEntriesOfEveryDimension) {
  // [[[1,2],[3,4]],[[5,6],[7,8]]] trimmed to [*,1,1] keeps 1 and 5.
  Tensor tensor = Int32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor trimmed = TrimRows(tensor, {2, 1, 1});
  EXPECT_EQ(trimmed.shape, (Shape{2, 1, 1}));
  EXPECT_THAT(Values<int32_t>(trimmed), ElementsAre(1, 5));
}

}  // namespace
}  // namespace inferd
