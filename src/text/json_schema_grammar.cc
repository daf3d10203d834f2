#include "text/json_schema_grammar.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "boost/json/serialize.hpp"
#include "common/strings.h"
#include "text/json_pattern.h"

namespace inferd::text {
namespace {

namespace json = boost::json;

// Free-form JSON, always part of the output grammar. Whitespace between
// tokens is at most one newline and some indentation, so a model cannot pad
// the output forever; \u escapes leave out lone surrogates (D800-DFFF),
// which strict parsers refuse.
constexpr char kJsonRules[] = R"(
ws ::= (" " | "\n" [ \t]{0,20})?
json-value ::= json-object | json-array | json-string | json-number | "true" | "false" | "null"
json-object ::= "{" ws (json-string ws ":" ws json-value ws ("," ws json-string ws ":" ws json-value ws)*)? "}"
json-array ::= "[" ws (json-value ws ("," ws json-value ws)*)? "]"
json-string ::= "\"" json-char* "\""
json-char ::= [^"\\\x00-\x1f] | "\\" (["\\/bfnrt] | "u" ([0-9a-cA-CefEF] [0-9a-fA-F]{3} | [dD] [0-7] [0-9a-fA-F]{2}))
json-int ::= "-"? ("0" | [1-9] [0-9]{0,15})
json-number ::= json-int ("." [0-9]{1,16})? ([eE] [-+]? [0-9]{1,3})?
)";

constexpr char kFormatRules[] = R"(
fmt-date ::= [0-9]{4} "-" (("0" [13578] | "1" [02]) "-" ("0" [1-9] | [12] [0-9] | "3" [01]) | ("0" [469] | "11") "-" ("0" [1-9] | [12] [0-9] | "30") | "02" "-" ("0" [1-9] | "1" [0-9] | "2" [0-8]))
fmt-time ::= ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9] ":" [0-5] [0-9] ("." [0-9]{1,6})? ("Z" | [+-] ([01] [0-9] | "2" [0-3]) ":" [0-5] [0-9])
fmt-hex ::= [0-9a-f]
fmt-uuid ::= fmt-hex{8} "-" fmt-hex{4} "-" fmt-hex{4} "-" fmt-hex{4} "-" fmt-hex{12}
fmt-label ::= [a-zA-Z0-9] ([a-zA-Z0-9-]{0,30} [a-zA-Z0-9])?
fmt-email ::= [a-zA-Z0-9_+] ([a-zA-Z0-9_+.-]{0,30} [a-zA-Z0-9_+])? "@" fmt-label ("." fmt-label){0,3} "." [a-zA-Z]{2,10}
)";

constexpr int64_t kMaxBound = 1000000000000000;  // 10^15: 16 digits at most

const std::set<std::string, std::less<>>& Annotations() {
  static const auto* set = new std::set<std::string, std::less<>>{
      "title", "description", "default", "examples", "$schema", "$id", "$comment",
      "readOnly", "writeOnly", "deprecated", "$defs", "definitions", "strict"};
  return *set;
}

const std::set<std::string, std::less<>>& Keywords() {
  static const auto* set = new std::set<std::string, std::less<>>{
      "type", "properties", "required", "additionalProperties", "items", "minItems",
      "maxItems", "enum", "const", "anyOf", "oneOf", "$ref", "minLength", "maxLength",
      "pattern", "format", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
      "uniqueItems"};
  return *set;
}

// `text` as a grammar literal.
std::string Literal(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out + "\"";
}

std::string Join(const std::vector<std::string>& alts) {
  if (alts.size() == 1) return alts[0];
  std::string out = "(";
  for (size_t i = 0; i < alts.size(); ++i) out += (i ? " | " : "") + alts[i];
  return out + ")";
}

// Fixed-length digit strings from `a` to `b` (same length, a <= b).
std::string DigitRange(const std::string& a, const std::string& b) {
  if (a.empty()) return "\"\"";
  if (a == b) return Literal(a);
  if (a.size() == 1) return StrCat("[", a, "-", b, "]");
  const size_t rest = a.size() - 1;
  if (a[0] == b[0]) return StrCat(Literal(a.substr(0, 1)), " ", DigitRange(a.substr(1), b.substr(1)));
  std::vector<std::string> alts;
  alts.push_back(StrCat(Literal(a.substr(0, 1)), " ", DigitRange(a.substr(1), std::string(rest, '9'))));
  if (a[0] + 1 <= b[0] - 1) {
    alts.push_back(StrCat("[", std::string(1, a[0] + 1), "-", std::string(1, b[0] - 1), "] [0-9]{",
                          rest, "}"));
  }
  alts.push_back(StrCat(Literal(b.substr(0, 1)), " ", DigitRange(std::string(rest, '0'), b.substr(1))));
  return Join(alts);
}

// Non-negative integers in [lo, hi] (no hi: unbounded), without leading zeros.
std::string UintRange(int64_t lo, std::optional<int64_t> hi) {
  std::vector<std::string> alts;
  const int lo_digits = static_cast<int>(std::to_string(lo).size());
  const int hi_digits = hi ? static_cast<int>(std::to_string(*hi).size()) : lo_digits;
  int64_t power = 1;  // 10^(L-1)
  for (int l = 1; l < lo_digits; ++l) power *= 10;
  for (int l = lo_digits; l <= hi_digits; ++l, power *= 10) {
    const int64_t a = std::max(lo, l == 1 ? 0 : power);
    const int64_t b = hi ? std::min(*hi, power * 10 - 1) : power * 10 - 1;
    if (a <= b) alts.push_back(DigitRange(std::to_string(a), std::to_string(b)));
  }
  if (!hi && lo_digits < 16) alts.push_back(StrCat("[1-9] [0-9]{", lo_digits, ",15}"));
  return Join(alts);
}

// Integers in [lo, hi], either side possibly open.
std::string IntRange(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<std::string> alts;
  if (!hi || *hi >= 0) alts.push_back(UintRange(lo ? std::max<int64_t>(*lo, 0) : 0, hi));
  if (!lo || *lo < 0) {
    const int64_t mlo = hi ? std::max<int64_t>(-*hi, 1) : 1;
    std::optional<int64_t> mhi;
    if (lo) mhi = -*lo;
    if (!mhi || mlo <= *mhi) alts.push_back("\"-\" " + UintRange(mlo, mhi));
  }
  return Join(alts);
}

// Numbers whose magnitude lies in [lo, hi] (no hi: unbounded), as digits
// with an optional fraction; `hi` itself only with zeros after the point.
std::string MagnitudeRange(int64_t lo, std::optional<int64_t> hi) {
  const std::string frac = "(\".\" [0-9]{1,16})?";
  if (!hi) return StrCat(UintRange(lo, std::nullopt), " ", frac);
  std::vector<std::string> alts;
  if (lo <= *hi - 1) alts.push_back(StrCat(UintRange(lo, *hi - 1), " ", frac));
  alts.push_back(StrCat(Literal(std::to_string(*hi)), " (\".\" \"0\"{1,16})?"));
  return Join(alts);
}

std::string NumberRange(std::optional<int64_t> lo, std::optional<int64_t> hi) {
  std::vector<std::string> alts;
  if (!hi || *hi >= 0) alts.push_back(MagnitudeRange(lo ? std::max<int64_t>(*lo, 0) : 0, hi));
  if (!lo || *lo < 0) {
    const int64_t mlo = hi ? std::max<int64_t>(-*hi, 0) : 0;
    std::optional<int64_t> mhi;
    if (lo) mhi = -*lo;
    if (!mhi || mlo <= *mhi) alts.push_back("\"-\" " + MagnitudeRange(mlo, mhi));
  }
  return Join(alts);
}

class SchemaConverter {
 public:
  explicit SchemaConverter(const json::value& root) : root_(root) {}

  absl::StatusOr<std::string> Convert() {
    absl::StatusOr<std::string> root = Visit(root_, "#");
    if (!root.ok()) return root;
    // $ref rules first: a cycle without a base case is reported by the
    // first rule on it that cannot finish, which is then the $ref's.
    std::string out;
    if (!ref_rules_.empty()) {
      // Never used: it only names the $ref rules before any other.
      out += "refs-first ::=";
      for (size_t i = 0; i < ref_rules_.size(); ++i) out += StrCat(i ? " | " : " ", ref_rules_[i].first);
      out += "\n";
    }
    for (const auto& [name, body] : ref_rules_) out += StrCat(name, " ::= ", body, "\n");
    out += StrCat("root ::= ", *root, "\n");
    for (const auto& [name, body] : rules_) out += StrCat(name, " ::= ", body, "\n");
    out += kJsonRules;
    if (formats_) out += kFormatRules;
    return out;
  }

  // The $ref whose rule is `rule`, if any.
  std::string RefOfRule(std::string_view rule) const {
    for (const auto& [ref, name] : refs_) {
      if (name == rule) return ref;
    }
    return "";
  }

 private:
  absl::Status Error(const std::string& path, std::string what) const {
    return absl::InvalidArgumentError(ToAbsl(StrCat("json_schema: ", what, " at ", path)));
  }

  std::string AddRule(std::string body) {
    std::string name = StrCat("s", rules_.size() + 1);
    rules_.push_back({name, std::move(body)});
    return name;
  }

  absl::StatusOr<std::string> Visit(const json::value& schema, const std::string& path) {
    if (++depth_ > 64) return Error(path, "schema nested deeper than 64 levels");
    absl::StatusOr<std::string> out = VisitSchema(schema, path);
    --depth_;
    return out;
  }

  absl::StatusOr<std::string> VisitSchema(const json::value& schema, const std::string& path) {
    if (schema.is_bool()) {
      if (schema.get_bool()) return std::string("json-value");
      return Error(path, "the schema false matches nothing");
    }
    if (!schema.is_object()) return Error(path, "a schema must be an object or a boolean");
    const json::object& s = schema.get_object();
    for (const auto& [key, value] : s) {
      if (Annotations().count(key) == 0 && Keywords().count(key) == 0) {
        return Error(path, StrCat("unsupported keyword \"", std::string_view(key), "\""));
      }
    }
    if (const json::value* u = s.if_contains("uniqueItems"); u && !(u->is_bool() && !u->get_bool())) {
      return Error(path, "unsupported keyword \"uniqueItems\" (only false)");
    }
    if (const json::value* ref = s.if_contains("$ref")) return Ref(*ref, path);
    if (const json::value* c = s.if_contains("const")) return Literal(json::serialize(*c));
    if (const json::value* e = s.if_contains("enum")) {
      if (!e->is_array() || e->get_array().empty()) return Error(path + "/enum", "enum must be a non-empty array");
      std::vector<std::string> alts;
      for (const json::value& v : e->get_array()) alts.push_back(Literal(json::serialize(v)));
      return Join(alts);
    }
    for (const char* key : {"anyOf", "oneOf"}) {
      const json::value* list = s.if_contains(key);
      if (list == nullptr) continue;
      if (!list->is_array() || list->get_array().empty()) {
        return Error(StrCat(path, "/", key), StrCat(key, " must be a non-empty array"));
      }
      std::vector<std::string> alts;
      for (size_t i = 0; i < list->get_array().size(); ++i) {
        absl::StatusOr<std::string> alt = Visit(list->get_array()[i], StrCat(path, "/", key, "/", i));
        if (!alt.ok()) return alt;
        alts.push_back(*alt);
      }
      return Join(alts);
    }
    std::vector<std::string> types;
    if (const json::value* t = s.if_contains("type")) {
      if (t->is_string()) {
        types.push_back(std::string(t->get_string()));
      } else if (t->is_array() && !t->get_array().empty()) {
        for (const json::value& v : t->get_array()) {
          if (!v.is_string()) return Error(path + "/type", "type must be a string or a list of strings");
          types.push_back(std::string(v.get_string()));
        }
      } else {
        return Error(path + "/type", "type must be a string or a list of strings");
      }
    } else if (s.contains("properties") || s.contains("required") || s.contains("additionalProperties")) {
      types.push_back("object");
    } else if (s.contains("items") || s.contains("minItems") || s.contains("maxItems")) {
      types.push_back("array");
    } else if (s.contains("minLength") || s.contains("maxLength") || s.contains("pattern") ||
               s.contains("format")) {
      types.push_back("string");
    } else if (s.contains("minimum") || s.contains("maximum") || s.contains("exclusiveMinimum") ||
               s.contains("exclusiveMaximum")) {
      types.push_back("number");
    } else {
      return std::string("json-value");
    }
    std::vector<std::string> alts;
    for (const std::string& type : types) {
      absl::StatusOr<std::string> alt = Type(s, type, path);
      if (!alt.ok()) return alt;
      alts.push_back(*alt);
    }
    return Join(alts);
  }

  absl::StatusOr<std::string> Type(const json::object& s, const std::string& type,
                                   const std::string& path) {
    if (type == "object") return Object(s, path);
    if (type == "array") return Array(s, path);
    if (type == "string") return String(s, path);
    if (type == "integer" || type == "number") return Number(s, type == "integer", path);
    if (type == "boolean") return std::string("(\"true\" | \"false\")");
    if (type == "null") return std::string("\"null\"");
    return Error(path + "/type", StrCat("unknown type \"", type, "\""));
  }

  absl::StatusOr<std::optional<int64_t>> Count(const json::object& s, const char* key,
                                               const std::string& path) {
    const json::value* v = s.if_contains(key);
    if (v == nullptr) return std::optional<int64_t>();
    if (v->is_int64() && v->get_int64() >= 0 && v->get_int64() <= Grammar::kMaxRepeat) {
      return std::optional<int64_t>(v->get_int64());
    }
    if (v->is_uint64() && v->get_uint64() <= static_cast<uint64_t>(Grammar::kMaxRepeat)) {
      return std::optional<int64_t>(static_cast<int64_t>(v->get_uint64()));
    }
    return Error(StrCat(path, "/", key), StrCat(key, " must be an integer in [0, ", Grammar::kMaxRepeat, "]"));
  }

  absl::StatusOr<std::string> Object(const json::object& s, const std::string& path) {
    std::vector<std::pair<std::string, std::string>> props;  // key literal, value expression
    std::vector<bool> required;
    std::set<std::string, std::less<>> names;
    const json::value* properties = s.if_contains("properties");
    if (properties != nullptr && !properties->is_object()) {
      return Error(path + "/properties", "properties must be an object");
    }
    std::set<std::string, std::less<>> req;
    if (const json::value* r = s.if_contains("required")) {
      if (!r->is_array()) return Error(path + "/required", "required must be an array of strings");
      for (const json::value& v : r->get_array()) {
        if (!v.is_string()) return Error(path + "/required", "required must be an array of strings");
        req.insert(std::string(v.get_string()));
      }
    }
    if (properties != nullptr) {
      for (const auto& [key, value] : properties->get_object()) {
        absl::StatusOr<std::string> v = Visit(value, StrCat(path, "/properties/", std::string_view(key)));
        if (!v.ok()) return v;
        props.push_back({Literal(json::serialize(json::value(json::string_view(key)))), *v});
        required.push_back(req.count(key) > 0);
        names.insert(std::string(key));
      }
    }
    for (const std::string& name : req) {  // required but not described: any value
      if (names.count(name)) continue;
      props.push_back({Literal(json::serialize(json::value(name))), "json-value"});
      required.push_back(true);
    }
    std::string extra;  // value expression for additional properties, "" for none
    if (const json::value* a = s.if_contains("additionalProperties")) {
      if (a->is_bool()) {
        if (a->get_bool()) extra = "json-value";
      } else {
        absl::StatusOr<std::string> v = Visit(*a, path + "/additionalProperties");
        if (!v.ok()) return v;
        extra = *v;
      }
    } else if (properties == nullptr) {
      extra = "json-value";  // {"type": "object"}: any object
    }
    const std::string kv_extra = extra.empty() ? "" : StrCat("json-string ws \":\" ws ", extra);
    // after_i: properties i.. when one was written before (each needs a
    // comma); first_i: when none was written yet.
    std::string after = extra.empty() ? "\"\"" : AddRule(StrCat("(\",\" ws ", kv_extra, " ws)*"));
    std::string first =
        extra.empty() ? "\"\"" : AddRule(StrCat("(", kv_extra, " ws (\",\" ws ", kv_extra, " ws)*)?"));
    for (size_t i = props.size(); i-- > 0;) {
      const std::string kv = StrCat(props[i].first, " ws \":\" ws ", props[i].second, " ws");
      if (required[i]) {
        first = AddRule(StrCat(kv, " ", after));
        after = AddRule(StrCat("\",\" ws ", kv, " ", after));
      } else {
        first = AddRule(StrCat(kv, " ", after, " | ", first));
        after = AddRule(StrCat("(\",\" ws ", kv, ")? ", after));
      }
    }
    return AddRule(StrCat("\"{\" ws ", first, " \"}\""));
  }

  absl::StatusOr<std::string> Array(const json::object& s, const std::string& path) {
    std::string item = "json-value";
    if (const json::value* items = s.if_contains("items")) {
      if (items->is_array()) return Error(path + "/items", "items as a list (tuples) is not supported");
      absl::StatusOr<std::string> v = Visit(*items, path + "/items");
      if (!v.ok()) return v;
      item = AddRule(*v);
    }
    absl::StatusOr<std::optional<int64_t>> min = Count(s, "minItems", path);
    if (!min.ok()) return min.status();
    absl::StatusOr<std::optional<int64_t>> max = Count(s, "maxItems", path);
    if (!max.ok()) return max.status();
    const int64_t lo = min->value_or(0);
    if (*max && **max < lo) return Error(path, "maxItems is less than minItems");
    if (*max && **max == 0) return AddRule("\"[\" ws \"]\"");
    const std::string more = StrCat("(\",\" ws ", item, " ws)");
    std::string body;
    const int64_t rest_lo = std::max<int64_t>(lo - 1, 0);
    const std::string rest = *max ? StrCat(more, "{", rest_lo, ",", **max - 1, "}")
                                  : StrCat(more, "{", rest_lo, ",}");
    body = StrCat(item, " ws ", rest);
    if (lo == 0) body = "(" + body + ")?";
    return AddRule(StrCat("\"[\" ws ", body, " \"]\""));
  }

  absl::StatusOr<std::string> String(const json::object& s, const std::string& path) {
    absl::StatusOr<std::optional<int64_t>> min = Count(s, "minLength", path);
    if (!min.ok()) return min.status();
    absl::StatusOr<std::optional<int64_t>> max = Count(s, "maxLength", path);
    if (!max.ok()) return max.status();
    const bool lengths = min->has_value() || max->has_value();
    if (const json::value* f = s.if_contains("format")) {
      if (!f->is_string()) return Error(path + "/format", "format must be a string");
      const std::string format(f->get_string());
      if (format != "date" && format != "time" && format != "date-time" && format != "uuid" &&
          format != "email") {
        return Error(path + "/format",
                     StrCat("format \"", format, "\" is not supported (date, time, date-time, uuid, email)"));
      }
      if (lengths || s.contains("pattern")) {
        return Error(path, "format together with minLength, maxLength or pattern is not supported");
      }
      formats_ = true;
      if (format == "date-time") return std::string("\"\\\"\" fmt-date \"T\" fmt-time \"\\\"\"");
      return StrCat("\"\\\"\" fmt-", format, " \"\\\"\"");
    }
    if (const json::value* p = s.if_contains("pattern")) {
      if (!p->is_string()) return Error(path + "/pattern", "pattern must be a string");
      if (lengths) return Error(path, "pattern together with minLength or maxLength is not supported");
      absl::StatusOr<std::string> g = JsonPatternToGrammar(std::string(p->get_string()));
      if (!g.ok()) return Error(path + "/pattern", std::string(g.status().message()));
      return AddRule(StrCat("\"\\\"\" ", *g, " \"\\\"\""));
    }
    if (!lengths) return std::string("json-string");
    const int64_t lo = min->value_or(0);
    if (*max && **max < lo) return Error(path, "maxLength is less than minLength");
    const std::string count = *max ? StrCat("{", lo, ",", **max, "}") : StrCat("{", lo, ",}");
    return AddRule(StrCat("\"\\\"\" json-char", count, " \"\\\"\""));
  }

  absl::StatusOr<std::string> Number(const json::object& s, bool integer, const std::string& path) {
    std::optional<int64_t> lo, hi;
    for (const char* key : {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"}) {
      const json::value* v = s.if_contains(key);
      if (v == nullptr) continue;
      const std::string where = StrCat(path, "/", key);
      if (!v->is_number()) return Error(where, StrCat(key, " must be a number"));
      double d = v->to_number<double>();
      const bool exclusive = key[0] == 'e';
      const bool lower = std::string_view(key).find("inimum") != std::string_view::npos;
      if (!integer && (exclusive || d != std::floor(d))) {
        return Error(where, StrCat(key, " for type number is supported only as an integer "
                                        "minimum or maximum (use type integer, or an integer bound)"));
      }
      if (integer) d = lower ? std::ceil(d) : std::floor(d);
      if (std::fabs(d) >= static_cast<double>(kMaxBound)) {
        return Error(where, StrCat(key, " must be within +-", kMaxBound));
      }
      int64_t b = static_cast<int64_t>(d);
      if (exclusive) b += lower ? 1 : -1;
      if (lower) {
        lo = lo ? std::max(*lo, b) : b;
      } else {
        hi = hi ? std::min(*hi, b) : b;
      }
    }
    if (lo && hi && *lo > *hi) return Error(path, "the minimum is above the maximum: no number fits");
    if (!lo && !hi) return std::string(integer ? "json-int" : "json-number");
    return AddRule(integer ? IntRange(lo, hi) : NumberRange(lo, hi));
  }

  absl::StatusOr<std::string> Ref(const json::value& ref, const std::string& path) {
    if (!ref.is_string()) return Error(path + "/$ref", "$ref must be a string");
    const std::string target(ref.get_string());
    if (auto it = refs_.find(target); it != refs_.end()) return it->second;
    if (target.empty() || target[0] != '#') {
      return Error(path + "/$ref", StrCat("$ref \"", target, "\": only local references (#/$defs/...) are supported"));
    }
    // Resolve the JSON pointer after '#'.
    const json::value* at = &root_;
    std::string_view pointer = std::string_view(target).substr(1);
    while (!pointer.empty()) {
      if (pointer[0] != '/') return Error(path + "/$ref", StrCat("$ref \"", target, "\" is not a JSON pointer"));
      pointer.remove_prefix(1);
      const size_t end = std::min(pointer.find('/'), pointer.size());
      std::string token(pointer.substr(0, end));
      pointer.remove_prefix(end);
      for (size_t i; (i = token.find("~1")) != std::string::npos;) token.replace(i, 2, "/");
      for (size_t i; (i = token.find("~0")) != std::string::npos;) token.replace(i, 2, "~");
      const json::value* next = nullptr;
      if (at->is_object()) next = at->get_object().if_contains(token);
      if (next == nullptr) return Error(path + "/$ref", StrCat("$ref \"", target, "\" points at nothing"));
      at = next;
    }
    const std::string name = StrCat("ref", refs_.size() + 1);
    refs_[target] = name;
    absl::StatusOr<std::string> body = Visit(*at, target);
    if (!body.ok()) return body;
    ref_rules_.push_back({name, *body});
    return name;
  }

  const json::value& root_;
  std::vector<std::pair<std::string, std::string>> rules_;
  std::vector<std::pair<std::string, std::string>> ref_rules_;
  std::map<std::string, std::string> refs_;  // $ref -> rule name
  bool formats_ = false;
  int depth_ = 0;
};

}  // namespace

absl::StatusOr<std::string> JsonSchemaToGrammarText(const json::value& schema) {
  return SchemaConverter(schema).Convert();
}

absl::StatusOr<std::shared_ptr<const Grammar>> CompileJsonSchema(const json::value& schema) {
  SchemaConverter converter(schema);
  absl::StatusOr<std::string> text = converter.Convert();
  if (!text.ok()) return text.status();
  absl::StatusOr<std::shared_ptr<const Grammar>> grammar = Grammar::Compile(*text);
  if (grammar.ok()) return grammar;
  const std::string message(grammar.status().message());
  // "grammar: rule \"ref2\" can never finish ...": named by its $ref.
  const size_t quote = message.find("rule \"");
  const bool never_finishes = message.find("can never finish") != std::string::npos;
  const bool left_recursive = message.find("is left-recursive") != std::string::npos;
  if ((never_finishes || left_recursive) && quote != std::string::npos) {
    const size_t start = quote + 6;
    std::string rule = message.substr(start, message.find('"', start) - start);
    rule = rule.substr(0, rule.find('_'));  // a helper rule of ref2 is ref2_N
    const std::string ref = converter.RefOfRule(rule);
    const std::string what =
        never_finishes ? "recurses without a base case (no finite value matches it)"
                       : "is left-recursive (it can reach itself before any character is written)";
    if (!ref.empty()) {
      return absl::InvalidArgumentError(ToAbsl(StrCat("json_schema: $ref \"", ref, "\" ", what)));
    }
    return absl::InvalidArgumentError(ToAbsl(StrCat("json_schema: the schema ", what)));
  }
  // What the schema asks for may be more than a grammar may hold or the
  // matcher can follow (sizes, nesting, ambiguity), or hold text a grammar
  // cannot (invalid UTF-8): the schema's fault, 400. Anything else is
  // grammar text the converter wrote wrong: a bug, 500.
  for (std::string_view cause : {"too large", "too ambiguous", "repetition counts are limited",
                                 "needs m <= n", "nested deeper", "invalid UTF-8"}) {
    if (message.find(cause) == std::string::npos) continue;
    // "grammar: line 3, in rule \"s2\": what" -> "what": the lines and
    // rules of the generated text mean nothing to the client.
    std::string_view what = message;
    if (what.substr(0, 14) == "grammar: line ") {
      const size_t colon = what.find(": ", 14);
      if (colon != std::string_view::npos) what.remove_prefix(colon + 2);
    }
    if (what.substr(0, 9) == "grammar: ") what.remove_prefix(9);
    return absl::InvalidArgumentError(
        ToAbsl(StrCat("json_schema: the schema cannot be followed as a grammar: ", what)));
  }
  return absl::InternalError(ToAbsl(StrCat("json_schema: the generated grammar does not compile: ", message)));
}

std::shared_ptr<const Grammar> JsonObjectGrammar() {
  static const auto* grammar = new std::shared_ptr<const Grammar>(
      *Grammar::Compile(StrCat("root ::= json-object\n", kJsonRules)));
  return *grammar;
}

}  // namespace inferd::text
