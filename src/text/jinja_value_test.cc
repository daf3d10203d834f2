#include "text/jinja_value.h"

#include "boost/json/parse.hpp"
#include "gtest/gtest.h"

namespace inferd::jinja {
namespace {

TEST(PythonFloatReprTest, MatchesPythonRepr) {
  EXPECT_EQ(PythonFloatRepr(1.0), "1.0");
  EXPECT_EQ(PythonFloatRepr(22.5), "22.5");
  EXPECT_EQ(PythonFloatRepr(0.1), "0.1");
  EXPECT_EQ(PythonFloatRepr(0.0001), "0.0001");
  EXPECT_EQ(PythonFloatRepr(0.00001), "1e-05");
  EXPECT_EQ(PythonFloatRepr(1e16), "1e+16");
  EXPECT_EQ(PythonFloatRepr(1e15), "1000000000000000.0");
  EXPECT_EQ(PythonFloatRepr(-2.5e-7), "-2.5e-07");
  EXPECT_EQ(PythonFloatRepr(123456789.125), "123456789.125");
}

TEST(ValueTest, StrAndReprFollowPython) {
  Value v = Value::FromJson(boost::json::parse(
      R"({"a": [1, "it's", null, true, 2.0], "b": {"c": "x\ny"}})"));
  EXPECT_EQ(v.Str(),
            R"({'a': [1, "it's", None, True, 2.0], 'b': {'c': 'x\ny'}})");
  EXPECT_EQ(Value::MakeUndefined("x").Str(), "");
  EXPECT_EQ(Value::None().Str(), "None");
}

TEST(ValueTest, EqualityAndTruthinessFollowPython) {
  EXPECT_TRUE(Value::Int(1).Equals(Value::Float(1.0)));
  EXPECT_TRUE(Value::Bool(true).Equals(Value::Int(1)));
  EXPECT_FALSE(Value::String("1").Equals(Value::Int(1)));
  Value a = Value::FromJson(boost::json::parse(R"({"x": 1, "y": [2]})"));
  Value b = Value::FromJson(boost::json::parse(R"({"y": [2], "x": 1.0})"));
  EXPECT_TRUE(a.Equals(b));
  EXPECT_FALSE(Value::String("").Truthy());
  EXPECT_FALSE(Value::MakeList({}).Truthy());
  EXPECT_FALSE(Value::MakeUndefined("x").Truthy());
  EXPECT_TRUE(Value::String("0").Truthy());
}

TEST(ValueTest, ToJsonIsJsonDumpsWithoutAsciiEscaping) {
  Value v = Value::FromJson(boost::json::parse(
      R"({"name": "café <b>", "n": [1, 2.5], "e": {}, "l": []})"));
  Value::JsonOptions compact;
  EXPECT_EQ(*v.ToJson(compact),
            R"({"name": "café <b>", "n": [1, 2.5], "e": {}, "l": []})");
  Value::JsonOptions indented;
  indented.indent = 2;
  EXPECT_EQ(*v.ToJson(indented),
            "{\n  \"name\": \"café <b>\",\n  \"n\": [\n    1,\n    2.5\n  ],\n"
            "  \"e\": {},\n  \"l\": []\n}");
  Value::JsonOptions ascii;
  ascii.ensure_ascii = true;
  EXPECT_EQ(*Value::String("é\x01").ToJson(ascii), R"("\u00e9\u0001")");
  EXPECT_FALSE(Value::MakeUndefined("x").ToJson(compact).ok());
}

}  // namespace
}  // namespace inferd::jinja
