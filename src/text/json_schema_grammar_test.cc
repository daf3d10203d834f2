#include "text/json_schema_grammar.h"

#include <functional>
#include <random>
#include <string>
#include <vector>

#include "boost/json/parse.hpp"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "common/strings.h"
#include "text/grammar_matcher.h"

namespace inferd::text {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;

bool Matches(const std::shared_ptr<const Grammar>& g, std::string_view text) {
  GrammarMatcher m(g);
  auto s = m.AdvanceBytes(m.start(), text);
  return s != GrammarMatcher::kDead && m.IsAccepting(s);
}

std::shared_ptr<const Grammar> FromSchema(std::string_view schema) {
  auto g = CompileJsonSchema(json::parse(schema));
  EXPECT_TRUE(g.ok()) << g.status() << "\n" << schema;
  return g.ok() ? *g : nullptr;
}

std::string SchemaError(std::string_view schema) {
  auto g = CompileJsonSchema(json::parse(schema));
  EXPECT_FALSE(g.ok()) << schema;
  return g.ok() ? "" : std::string(g.status().message());
}

// Random sentences of a grammar: alternatives drawn at random, the shortest
// one once the derivation is deep, characters drawn from each set.
class RandomSentences {
 public:
  RandomSentences(std::shared_ptr<const Grammar> g, uint32_t seed) : g_(std::move(g)), rng_(seed) {
    // Shortest derivation per rule, as a fixpoint.
    cost_.assign(g_->rule_count(), 1 << 30);
    for (bool changed = true; changed;) {
      changed = false;
      for (int32_t r = 0; r < g_->rule_count(); ++r) {
        for (int32_t start : g_->alternatives(r)) {
          const int64_t c = AltCost(start);
          if (c < cost_[r]) {
            cost_[r] = c;
            changed = true;
          }
        }
      }
    }
  }

  std::string Next() {
    std::string out;
    Rule(g_->root(), 0, &out);
    return out;
  }

 private:
  int64_t AltCost(int32_t pos) const {
    int64_t c = 0;
    for (; g_->elements()[pos].kind != Grammar::Kind::kEnd; ++pos) {
      const auto& e = g_->elements()[pos];
      c += e.kind == Grammar::Kind::kChars ? 1 : cost_[e.value];
    }
    return std::min<int64_t>(c, 1 << 30);
  }

  void Rule(int32_t r, int depth, std::string* out) {
    const auto& alts = g_->alternatives(r);
    int32_t pick = alts[rng_() % alts.size()];
    if (depth > 24) {
      for (int32_t a : alts) {
        if (AltCost(a) < AltCost(pick)) pick = a;
      }
    }
    for (int32_t pos = pick; g_->elements()[pos].kind != Grammar::Kind::kEnd; ++pos) {
      const auto& e = g_->elements()[pos];
      if (e.kind == Grammar::Kind::kChars) {
        AppendUtf8(Char(g_->charset(e.value)), out);
      } else {
        Rule(e.value, depth + 1, out);
      }
    }
  }

  uint32_t Char(const CharSet& set) {
    if (!set.negated) {
      const auto& [lo, hi] = set.ranges[rng_() % set.ranges.size()];
      return lo + rng_() % (hi - lo + 1);
    }
    for (int i = 0;; ++i) {
      const uint32_t c = i % 5 == 4 ? 0xe9 : 0x20 + rng_() % 95;
      if (set.Contains(c)) return c;
    }
  }

  static void AppendUtf8(uint32_t c, std::string* out) {
    if (c < 0x80) {
      *out += static_cast<char>(c);
    } else if (c < 0x800) {
      *out += static_cast<char>(0xc0 | (c >> 6));
      *out += static_cast<char>(0x80 | (c & 0x3f));
    } else if (c < 0x10000) {
      *out += static_cast<char>(0xe0 | (c >> 12));
      *out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (c & 0x3f));
    } else {
      *out += static_cast<char>(0xf0 | (c >> 18));
      *out += static_cast<char>(0x80 | ((c >> 12) & 0x3f));
      *out += static_cast<char>(0x80 | ((c >> 6) & 0x3f));
      *out += static_cast<char>(0x80 | (c & 0x3f));
    }
  }

  std::shared_ptr<const Grammar> g_;
  std::mt19937 rng_;
  std::vector<int64_t> cost_;
};

// Every random sentence parses as JSON and passes `check`.
void ExpectRandomOutputs(std::string_view schema, const std::function<void(const json::value&)>& check) {
  auto g = FromSchema(schema);
  ASSERT_NE(g, nullptr);
  RandomSentences sentences(g, 42);
  for (int i = 0; i < 200; ++i) {
    const std::string text = sentences.Next();
    ASSERT_TRUE(Matches(g, text)) << text;
    boost::system::error_code ec;
    const json::value v = json::parse(text, ec);
    ASSERT_FALSE(ec) << ec.message() << ": " << text;
    SCOPED_TRACE(text);
    check(v);
  }
}

TEST(JsonSchemaGrammarTest, ObjectWithRequiredAndOptionalProperties) {
  const char* schema = R"({"type": "object", "properties": {
      "name": {"type": "string"}, "age": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}},
      "required": ["name"], "additionalProperties": false})";
  auto g = FromSchema(schema);
  EXPECT_TRUE(Matches(g, R"({"name": "Ann"})"));
  EXPECT_TRUE(Matches(g, R"({"name":"Ann","age":-3,"tags":["a","b"]})"));
  EXPECT_TRUE(Matches(g, "{\n  \"name\": \"Ann\",\n  \"tags\": []\n}"));
  EXPECT_FALSE(Matches(g, R"({"age": 3})"));                   // name missing
  EXPECT_FALSE(Matches(g, R"({"name": "Ann", "x": 1})"));      // no extras
  EXPECT_FALSE(Matches(g, R"({"name": 3})"));                  // wrong type
  EXPECT_FALSE(Matches(g, R"({"name": "Ann", "age": 1.5})"));  // not an integer
  EXPECT_FALSE(Matches(g, R"({"name": "Ann",})"));
  ExpectRandomOutputs(schema, [](const json::value& v) {
    ASSERT_TRUE(v.is_object());
    ASSERT_TRUE(v.as_object().contains("name"));
    EXPECT_TRUE(v.at("name").is_string());
    for (const auto& [k, x] : v.as_object()) {
      EXPECT_TRUE(k == "name" || k == "age" || k == "tags") << k;
    }
    if (v.as_object().contains("age")) {
      EXPECT_TRUE(v.at("age").is_int64());
    }
  });
}

TEST(JsonSchemaGrammarTest, ArraysWithBoundsAndEnums) {
  const char* schema = R"({"type": "array", "items": {"enum": ["red", "green", 3, null]},
                           "minItems": 2, "maxItems": 4})";
  auto g = FromSchema(schema);
  EXPECT_TRUE(Matches(g, R"(["red", 3])"));
  EXPECT_TRUE(Matches(g, R"(["red",null,"green",3])"));
  EXPECT_FALSE(Matches(g, R"(["red"])"));
  EXPECT_FALSE(Matches(g, R"(["red",3,3,3,3])"));
  EXPECT_FALSE(Matches(g, R"(["blue",3])"));
  ExpectRandomOutputs(schema, [](const json::value& v) {
    ASSERT_TRUE(v.is_array());
    EXPECT_GE(v.as_array().size(), 2u);
    EXPECT_LE(v.as_array().size(), 4u);
  });
  auto none = FromSchema(R"({"type": "array", "maxItems": 0})");
  EXPECT_TRUE(Matches(none, "[]"));
  EXPECT_FALSE(Matches(none, "[1]"));
}

TEST(JsonSchemaGrammarTest, TypeListsConstAnyOfAndRefs) {
  const char* schema = R"({
    "$defs": {"point": {"type": "object", "properties": {"x": {"type": "number"}, "y": {"type": "number"}},
                        "required": ["x", "y"], "additionalProperties": false}},
    "type": "object",
    "properties": {
      "kind": {"const": "shape"},
      "at": {"$ref": "#/$defs/point"},
      "label": {"type": ["string", "null"]},
      "size": {"anyOf": [{"type": "integer"}, {"type": "boolean"}]}
    },
    "required": ["kind", "at", "label", "size"], "additionalProperties": false})";
  auto g = FromSchema(schema);
  EXPECT_TRUE(Matches(g, R"({"kind": "shape", "at": {"x": 1.5, "y": -2e3}, "label": null, "size": true})"));
  EXPECT_TRUE(Matches(g, R"({"kind": "shape", "at": {"x": 0, "y": 0}, "label": "a", "size": 7})"));
  EXPECT_FALSE(Matches(g, R"({"kind": "blob", "at": {"x": 0, "y": 0}, "label": "a", "size": 7})"));
  EXPECT_FALSE(Matches(g, R"({"kind": "shape", "at": {"x": 0}, "label": "a", "size": 7})"));
  EXPECT_FALSE(Matches(g, R"({"kind": "shape", "at": {"x": 0, "y": 0}, "label": 1, "size": 7})"));
  ExpectRandomOutputs(schema, [](const json::value& v) {
    EXPECT_EQ(v.at("kind"), "shape");
    EXPECT_TRUE(v.at("at").at("x").is_number());
    EXPECT_TRUE(v.at("label").is_null() || v.at("label").is_string());
    EXPECT_TRUE(v.at("size").is_int64() || v.at("size").is_bool());
  });
}

TEST(JsonSchemaGrammarTest, RecursiveRefWithBaseCase) {
  const char* schema = R"({"$defs": {"node": {"type": "object", "properties": {
      "value": {"type": "integer"}, "children": {"type": "array", "items": {"$ref": "#/$defs/node"}}},
      "required": ["value"], "additionalProperties": false}}, "$ref": "#/$defs/node"})";
  auto g = FromSchema(schema);
  EXPECT_TRUE(Matches(g, R"({"value": 1, "children": [{"value": 2}, {"value": 3, "children": []}]})"));
  EXPECT_FALSE(Matches(g, R"({"value": 1, "children": [{}]})"));
  ExpectRandomOutputs(schema, [](const json::value& v) { EXPECT_TRUE(v.at("value").is_int64()); });
}

TEST(JsonSchemaGrammarTest, StringLengthsPatternsAndFormats) {
  auto len = FromSchema(R"({"type": "string", "minLength": 2, "maxLength": 3})");
  EXPECT_TRUE(Matches(len, R"("ab")"));
  EXPECT_TRUE(Matches(len, "\"a\xc3\xa9\\n\""));  // three characters
  EXPECT_FALSE(Matches(len, R"("a")"));
  EXPECT_FALSE(Matches(len, R"("abcd")"));
  auto pattern = FromSchema(R"({"type": "string", "pattern": "^[A-Z]{2}-\\d{3}(x|yz)?$"})");
  EXPECT_TRUE(Matches(pattern, R"("AB-123")"));
  EXPECT_TRUE(Matches(pattern, R"("AB-123yz")"));
  EXPECT_FALSE(Matches(pattern, R"("AB-12")"));
  EXPECT_FALSE(Matches(pattern, R"("ab-123")"));
  auto quote = FromSchema(R"({"type": "string", "pattern": "a\"b\\\\c[^a-z]"})");
  EXPECT_TRUE(Matches(quote, R"("a\"b\\cZ")"));
  EXPECT_TRUE(Matches(quote, R"("a\"b\\c\"")"));
  EXPECT_FALSE(Matches(quote, R"("a"b\\cZ")"));
  auto date = FromSchema(R"({"type": "string", "format": "date"})");
  EXPECT_TRUE(Matches(date, R"("2024-02-28")"));
  EXPECT_TRUE(Matches(date, R"("2024-12-31")"));
  EXPECT_FALSE(Matches(date, R"("2024-02-30")"));
  EXPECT_FALSE(Matches(date, R"("2024-13-01")"));
  auto datetime = FromSchema(R"({"type": "string", "format": "date-time"})");
  EXPECT_TRUE(Matches(datetime, R"("2024-06-01T12:30:00Z")"));
  EXPECT_TRUE(Matches(datetime, R"("2024-06-01T12:30:00.25+02:00")"));
  EXPECT_FALSE(Matches(datetime, R"("2024-06-01 12:30:00Z")"));
  auto uuid = FromSchema(R"({"type": "string", "format": "uuid"})");
  EXPECT_TRUE(Matches(uuid, R"("123e4567-e89b-12d3-a456-426614174000")"));
  EXPECT_FALSE(Matches(uuid, R"("123e4567e89b12d3a456426614174000")"));
  auto email = FromSchema(R"({"type": "string", "format": "email"})");
  EXPECT_TRUE(Matches(email, R"("ann.lee+x@mail.example.org")"));
  EXPECT_FALSE(Matches(email, R"("ann@")"));
  EXPECT_FALSE(Matches(email, R"("ann lee@x.org")"));
}

TEST(JsonSchemaGrammarTest, IntegerAndNumberBounds) {
  auto g = FromSchema(R"({"type": "integer", "minimum": -15, "maximum": 230})");
  for (int v = -40; v <= 300; ++v) {
    EXPECT_EQ(Matches(g, std::to_string(v)), v >= -15 && v <= 230) << v;
  }
  EXPECT_FALSE(Matches(g, "007"));
  EXPECT_FALSE(Matches(g, "-0"));
  auto ex = FromSchema(R"({"type": "integer", "exclusiveMinimum": 0, "exclusiveMaximum": 10})");
  for (int v = -3; v <= 13; ++v) EXPECT_EQ(Matches(ex, std::to_string(v)), v > 0 && v < 10) << v;
  auto open = FromSchema(R"({"type": "integer", "minimum": 95})");
  for (int v : {94, 95, 99, 100, 1000, 123456}) EXPECT_EQ(Matches(open, std::to_string(v)), v >= 95) << v;
  auto neg = FromSchema(R"({"type": "integer", "maximum": -20})");
  for (int v : {-19, -20, -21, -100, 0, 5}) EXPECT_EQ(Matches(neg, std::to_string(v)), v <= -20) << v;
  auto num = FromSchema(R"({"type": "number", "minimum": -1, "maximum": 5})");
  for (const char* ok : {"0", "4.99", "5", "5.000", "-1", "-0.5", "-1.0", "3.25"}) {
    EXPECT_TRUE(Matches(num, ok)) << ok;
  }
  for (const char* bad : {"5.01", "6", "-1.5", "-2", "1e3"}) EXPECT_FALSE(Matches(num, bad)) << bad;
  ExpectRandomOutputs(R"({"type": "array", "items": {"type": "integer", "minimum": 3, "maximum": 1234}})",
                      [](const json::value& v) {
                        for (const json::value& x : v.as_array()) {
                          EXPECT_GE(x.as_int64(), 3);
                          EXPECT_LE(x.as_int64(), 1234);
                        }
                      });
}

TEST(JsonSchemaGrammarTest, FreeFormJson) {
  auto g = JsonObjectGrammar();
  EXPECT_TRUE(Matches(g, R"({"a": [1, {"b": null}], "c": "\u00e9"})"));
  EXPECT_FALSE(Matches(g, R"([1])"));
  EXPECT_FALSE(Matches(g, R"({"a": })"));
  auto any = FromSchema(R"({"type": "object"})");
  EXPECT_TRUE(Matches(any, R"({"x": true})"));
  auto anything = FromSchema("{}");
  EXPECT_TRUE(Matches(anything, "[true, 1]"));
}

TEST(JsonSchemaGrammarTest, ErrorsNameTheKeywordAndPlace) {
  EXPECT_THAT(SchemaError(R"({"type": "object", "properties": {"a": {"type": "string", "not": {}}}})"),
              HasSubstr("unsupported keyword \"not\" at #/properties/a"));
  EXPECT_THAT(SchemaError(R"({"type": "array", "uniqueItems": true})"), HasSubstr("uniqueItems"));
  EXPECT_THAT(SchemaError(R"({"allOf": []})"), HasSubstr("unsupported keyword \"allOf\" at #"));
  EXPECT_THAT(SchemaError(R"({"type": "strin"})"), HasSubstr("unknown type \"strin\""));
  EXPECT_THAT(SchemaError(R"({"type": 3})"), HasSubstr("type must be a string"));
  EXPECT_THAT(SchemaError(R"({"type": "string", "format": "uri"})"), HasSubstr("format \"uri\" is not supported"));
  EXPECT_THAT(SchemaError(R"j({"type": "string", "pattern": "(a)\\1"})j"), HasSubstr("escape \\1"));
  EXPECT_THAT(SchemaError(R"j({"type": "string", "pattern": "a(?=b)"})j"), HasSubstr("lookaround"));
  EXPECT_THAT(SchemaError(R"({"$ref": "#/$defs/missing"})"), HasSubstr("points at nothing"));
  EXPECT_THAT(SchemaError(R"({"$ref": "http://example.com/s.json"})"), HasSubstr("only local references"));
  EXPECT_THAT(SchemaError(R"({"type": "number", "minimum": 0.5})"), HasSubstr("minimum"));
  EXPECT_THAT(SchemaError(R"({"type": "integer", "minimum": 5, "maximum": 1})"), HasSubstr("no number fits"));
  EXPECT_THAT(SchemaError(R"({"type": "string", "minLength": -1})"), HasSubstr("minLength must be an integer"));
  EXPECT_THAT(SchemaError(R"(false)"), HasSubstr("matches nothing"));
  EXPECT_THAT(SchemaError(R"([1])"), HasSubstr("must be an object"));
  EXPECT_THAT(SchemaError(R"({"enum": []})"), HasSubstr("non-empty array"));
}

// A pattern's counted repetitions are checked by the converter: a bad one
// is the schema's error at the pattern's place (a 400), never grammar text
// that fails to compile (once a 500 quoting the generated grammar).
TEST(JsonSchemaGrammarTest, PatternRepetitionCountsAreCheckedWhereThePatternIs) {
  const struct {
    const char* pattern;
    const char* what;
  } cases[] = {
      {"^a{5,2}$", "repetition {5,2}: the minimum 5 is above the maximum 2"},
      {"^a{,5}$", "repetition {,5} has no minimum: ECMA-262 has no {,n}; write {0,5}"},
      {"^a{10001}$", "repetition {10001}: counts are limited to 10000"},
      {"^a{0,1000000}$", "repetition {0,1000000}: counts are limited to 10000"},
      {"^a{99999999999999999999999,}$", "counts are limited to 10000"},
      {"^a{1,2,3}$", "bad repetition count {1,2,3}"},
      {"^a{}$", "bad repetition count {}"},
      {"^a{,}$", "bad repetition count {,}"},
      {"^a{x}$", "bad repetition count {x}"},
  };
  for (const auto& c : cases) {
    const json::value schema = {
        {"type", "object"}, {"properties", {{"x", {{"type", "string"}, {"pattern", c.pattern}}}}}};
    absl::StatusOr<std::shared_ptr<const Grammar>> g = CompileJsonSchema(schema);
    ASSERT_FALSE(g.ok()) << c.pattern;
    EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << g.status();
    const std::string message(g.status().message());
    EXPECT_THAT(message, HasSubstr(c.what)) << c.pattern;
    EXPECT_THAT(message, HasSubstr("at #/properties/x/pattern")) << c.pattern;
    EXPECT_THAT(message, ::testing::Not(HasSubstr("does not compile"))) << c.pattern;
  }
  // The limits themselves are fine, and counts are read as numbers.
  auto most = FromSchema(R"({"type": "string", "pattern": "^a{2,10000}$"})");
  EXPECT_TRUE(Matches(most, StrCat("\"", std::string(10000, 'a'), "\"")));
  EXPECT_FALSE(Matches(most, StrCat("\"", std::string(10001, 'a'), "\"")));
  auto padded = FromSchema(R"({"type": "string", "pattern": "^a{003}b{1,}c{0,02}$"})");
  EXPECT_TRUE(Matches(padded, R"("aaabbcc")"));
  EXPECT_FALSE(Matches(padded, R"("aabcc")"));
}

// Limits that each keyword keeps may still add up past what a grammar may
// hold: the schema's doing, so InvalidArgument (a 400) without the
// generated grammar's lines, not Internal (a 500).
TEST(JsonSchemaGrammarTest, AGrammarTooLargeIsTheSchemasError) {
  json::object properties;
  for (int i = 0; i < 60; ++i) {
    properties[StrCat("p", i)] = {{"type", "string"}, {"maxLength", Grammar::kMaxRepeat}};
  }
  const json::value large = {{"type", "object"}, {"properties", std::move(properties)}};
  absl::StatusOr<std::shared_ptr<const Grammar>> g = CompileJsonSchema(large);
  ASSERT_FALSE(g.ok());
  EXPECT_EQ(g.status().code(), absl::StatusCode::kInvalidArgument) << g.status();
  EXPECT_THAT(g.status().message(),
              HasSubstr("json_schema: the schema cannot be followed as a grammar: the grammar is "
                        "too large"));
  EXPECT_THAT(g.status().message(), ::testing::Not(HasSubstr("line ")));
}

TEST(JsonSchemaGrammarTest, RecursionWithoutBaseCaseNamesTheRef) {
  EXPECT_THAT(SchemaError(R"({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}},
                               "required": ["next"]}}, "$ref": "#/$defs/node"})"),
              HasSubstr("$ref \"#/$defs/node\" recurses without a base case"));
  EXPECT_THAT(SchemaError(R"({"type": "array", "minItems": 1, "items": {"$ref": "#"}})"),
              HasSubstr("$ref \"#\" recurses without a base case"));
  // Optional recursion has a base case.
  EXPECT_NE(FromSchema(R"({"$defs": {"node": {"type": "object", "properties": {"next": {"$ref": "#/$defs/node"}}}},
                           "$ref": "#/$defs/node"})"),
            nullptr);
}

TEST(JsonSchemaGrammarTest, FiftyPropertiesCompile) {
  std::string schema = R"({"type": "object", "additionalProperties": false, "properties": {)";
  for (int i = 0; i < 50; ++i) {
    schema += StrCat(i ? "," : "", "\"field", i, "\": {\"type\": \"", i % 3 == 0 ? "string" : i % 3 == 1 ? "integer" : "boolean", "\"}");
  }
  schema += "}}";
  auto g = FromSchema(schema);
  ASSERT_NE(g, nullptr);
  EXPECT_TRUE(Matches(g, R"({"field1": 3, "field47": false})"));
  EXPECT_FALSE(Matches(g, R"({"field47": false, "field1": 3})"));  // schema order
}

}  // namespace
}  // namespace inferd::text
