#include "tensor/data_type.h"

#include "gtest/gtest.h"
#include "tensor/tensor.h"

namespace inferd {
namespace {

TEST(DataTypeTest, NamesRoundTripForEveryType) {
  const DataType all[] = {
      DataType::kBool,  DataType::kUint8, DataType::kUint16, DataType::kUint32,
      DataType::kUint64, DataType::kInt8, DataType::kInt16,  DataType::kInt32,
      DataType::kInt64, DataType::kFp16,  DataType::kBf16,   DataType::kFp32,
      DataType::kFp64,  DataType::kBytes};
  for (DataType type : all) {
    std::optional<DataType> parsed = DataTypeFromName(DataTypeName(type));
    ASSERT_TRUE(parsed.has_value()) << DataTypeName(type);
    EXPECT_EQ(*parsed, type);
  }
  EXPECT_EQ(DataTypeName(DataType::kBf16), "BF16");
  EXPECT_EQ(DataTypeName(DataType::kBytes), "BYTES");
}

TEST(DataTypeTest, UnknownAndMiscasedNamesAreRejected) {
  EXPECT_FALSE(DataTypeFromName("FLOAT32").has_value());
  EXPECT_FALSE(DataTypeFromName("int32").has_value());
  EXPECT_FALSE(DataTypeFromName("").has_value());
  EXPECT_FALSE(DataTypeFromName("TYPE_INT32").has_value());
}

TEST(DataTypeTest, SizesAndCategories) {
  EXPECT_EQ(DataTypeSize(DataType::kBool), 1u);
  EXPECT_EQ(DataTypeSize(DataType::kInt8), 1u);
  EXPECT_EQ(DataTypeSize(DataType::kFp16), 2u);
  EXPECT_EQ(DataTypeSize(DataType::kBf16), 2u);
  EXPECT_EQ(DataTypeSize(DataType::kUint32), 4u);
  EXPECT_EQ(DataTypeSize(DataType::kFp64), 8u);
  EXPECT_EQ(DataTypeSize(DataType::kBytes), 0u);
  EXPECT_TRUE(IsFloatingPoint(DataType::kBf16));
  EXPECT_FALSE(IsFloatingPoint(DataType::kInt32));
  EXPECT_TRUE(IsSignedInteger(DataType::kInt8));
  EXPECT_FALSE(IsSignedInteger(DataType::kUint8));
  EXPECT_TRUE(IsUnsignedInteger(DataType::kUint64));
  EXPECT_FALSE(IsUnsignedInteger(DataType::kBool));
}

TEST(TensorTest, ElementCountAndShapeText) {
  EXPECT_EQ(ElementCount({}), 1);
  EXPECT_EQ(ElementCount({2, 3, 4}), 24);
  EXPECT_EQ(ElementCount({5, 0}), 0);
  EXPECT_EQ(ShapeToString({}), "[]");
  EXPECT_EQ(ShapeToString({-1, 16}), "[-1,16]");
}

TEST(TensorTest, ByteSizeCountsBytesElementsWithoutPrefixes) {
  Tensor fixed{DataType::kInt32, {2}, std::string(8, '\0'), {}};
  EXPECT_EQ(fixed.byte_size(), 8u);
  Tensor bytes{DataType::kBytes, {3}, "", {"ab", "", "cde"}};
  EXPECT_EQ(bytes.byte_size(), 5u);
}

}  // namespace
}  // namespace inferd
