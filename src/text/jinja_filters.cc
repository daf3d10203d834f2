// The filters of chat templates (`value | name(args)`), declared in
// jinja_builtins.h.

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "text/jinja_builtins.h"
#include "text/jinja_string.h"

namespace inferd::jinja {
namespace {

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

constexpr std::string_view kFilters[] = {
    "trim",    "tojson",     "length",     "count",  "upper",  "lower",
    "title",   "capitalize", "default",    "d",      "join",   "items",
    "first",   "last",       "list",       "string", "int",    "float",
    "replace", "selectattr", "rejectattr", "select", "reject", "map",
    "safe",    "unique",     "abs",        "round",  "indent", "reverse",
    "sort",    "dictsort",   "sum",        "min",    "max"};

bool BoolArg(const CallArgs& args, size_t index, std::string_view name,
             bool fallback) {
  const Value* v = args.Get(index, name);
  return v == nullptr ? fallback : v->Truthy();
}

// `item.a.b` for map/selectattr/sort's `attribute="a.b"`; integer parts
// index lists, as in Jinja.
absl::StatusOr<Value> AttributePath(const Value& item,
                                    const std::string& path) {
  Value current = item;
  size_t start = 0;
  while (true) {
    size_t dot = path.find('.', start);
    std::string part = path.substr(
        start, dot == std::string::npos ? std::string::npos : dot - start);
    Value key = Value::String(part);
    if (!part.empty() && std::all_of(part.begin(), part.end(), ::isdigit)) {
      key = Value::Int(std::stoll(part));
    }
    INFERD_ASSIGN_OR_RETURN(current, GetItem(current, key));
    if (dot == std::string::npos) return current;
    start = dot + 1;
  }
}

absl::StatusOr<Value> Length(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::kUndefined:
      return Value::Int(0);
    case Value::Kind::kString:
      return Value::Int(static_cast<int64_t>(CodePointCount(v.as_string())));
    case Value::Kind::kList:
      return Value::Int(static_cast<int64_t>(v.as_list().size()));
    case Value::Kind::kDict:
      return Value::Int(static_cast<int64_t>(v.as_dict().size()));
    default:
      return Invalid(
          StrCat("object of type '", v.TypeName(), "' has no len()"));
  }
}

absl::StatusOr<Value> ToJsonFilter(const Value& v, const CallArgs& args) {
  Value::JsonOptions options;
  const Value* indent = args.Get(0, "indent");
  if (indent != nullptr && !indent->is_none()) {
    if (!indent->is_int()) return Invalid("tojson: indent must be an integer");
    options.indent = static_cast<int>(std::max<int64_t>(0, indent->as_int()));
  }
  options.sort_keys = BoolArg(args, 99, "sort_keys", false);
  options.ensure_ascii = BoolArg(args, 99, "ensure_ascii", false);
  const Value* separators = args.Get(99, "separators");
  if (separators != nullptr && !separators->is_none()) {
    if (!separators->is_list() || separators->as_list().size() != 2 ||
        !separators->as_list()[0].is_string() ||
        !separators->as_list()[1].is_string()) {
      return Invalid("tojson: separators must be a pair of strings");
    }
    options.separators.emplace(separators->as_list()[0].as_string(),
                               separators->as_list()[1].as_string());
  }
  INFERD_ASSIGN_OR_RETURN(std::string json, v.ToJson(options));
  return Value::String(std::move(json));
}

// int(): numbers truncate, strings parse (as an int, else as a float),
// anything else gives `default`.
Value ToInt(const Value& v, const CallArgs& args) {
  const Value* fallback = args.Get(0, "default");
  Value dflt = fallback != nullptr ? *fallback : Value::Int(0);
  if (v.is_int()) return v;
  if (v.is_bool()) return Value::Int(v.as_bool());
  if (v.is_float()) {
    if (!std::isfinite(v.as_float())) return dflt;
    return Value::Int(static_cast<int64_t>(std::trunc(v.as_float())));
  }
  if (v.is_string()) {
    std::string s = PyStrip(v.as_string(), std::nullopt, true, true);
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    if (s.empty()) return dflt;
    char* end = nullptr;
    errno = 0;
    long long i = std::strtoll(s.c_str(), &end, 10);
    if (*end == '\0' && errno == 0) return Value::Int(i);
    double d = std::strtod(s.c_str(), &end);
    if (*end == '\0' && std::isfinite(d))
      return Value::Int(static_cast<int64_t>(std::trunc(d)));
  }
  return dflt;
}

Value ToFloat(const Value& v, const CallArgs& args) {
  const Value* fallback = args.Get(0, "default");
  Value dflt = fallback != nullptr ? *fallback : Value::Float(0.0);
  if (v.is_float()) return v;
  if (v.is_int() || v.is_bool()) return Value::Float(v.as_double());
  if (v.is_string()) {
    std::string s = PyStrip(v.as_string(), std::nullopt, true, true);
    if (s.empty()) return dflt;
    char* end = nullptr;
    double d = std::strtod(s.c_str(), &end);
    if (*end == '\0') return Value::Float(d);
  }
  return dflt;
}

// Python's round(x, ndigits): half to even on the exact binary value.
double PythonRound(double x, int64_t digits) {
  if (!std::isfinite(x)) return x;
  if (digits == 0) return std::nearbyint(x);
  char buf[512];
  std::snprintf(buf, sizeof(buf), "%.*f",
                static_cast<int>(std::clamp<int64_t>(digits, 0, 300)), x);
  return std::strtod(buf, nullptr);
}

absl::StatusOr<Value> Round(const Value& v, const CallArgs& args) {
  if (!v.is_number())
    return Invalid(StrCat("round: expected a number, got ", v.TypeName()));
  const Value* p = args.Get(0, "precision");
  int64_t precision = (p != nullptr && p->is_int()) ? p->as_int() : 0;
  const Value* m = args.Get(1, "method");
  std::string method =
      (m != nullptr && m->is_string()) ? m->as_string() : "common";
  double x = v.as_double();
  double scale = std::pow(10.0, static_cast<double>(precision));
  if (method == "common") return Value::Float(PythonRound(x, precision));
  if (method == "floor") return Value::Float(std::floor(x * scale) / scale);
  if (method == "ceil") return Value::Float(std::ceil(x * scale) / scale);
  return Invalid("round: method must be common, ceil or floor");
}

absl::StatusOr<Value> Indent(const Value& v, const CallArgs& args) {
  std::string pad = "    ";
  const Value* width = args.Get(0, "width");
  if (width != nullptr) {
    if (width->is_string()) {
      pad = width->as_string();
    } else if (width->is_int()) {
      pad = std::string(
          static_cast<size_t>(std::max<int64_t>(0, width->as_int())), ' ');
    } else {
      return Invalid("indent: width must be an integer or a string");
    }
  }
  bool first = BoolArg(args, 1, "first", false);
  bool blank = BoolArg(args, 2, "blank", false);
  std::string s = v.Str();
  std::vector<std::string> lines;
  size_t start = 0;
  while (true) {
    size_t nl = s.find('\n', start);
    lines.push_back(s.substr(
        start, nl == std::string::npos ? std::string::npos : nl - start));
    if (nl == std::string::npos) break;
    start = nl + 1;
  }
  std::string out;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) out += '\n';
    bool pad_line =
        (i > 0 || first) &&
        (blank || !PyStrip(lines[i], std::nullopt, true, true).empty());
    if (pad_line) out += pad;
    out += lines[i];
  }
  return Value::String(std::move(out));
}

// Sorting key: `attribute` path, lower-cased strings unless case_sensitive.
absl::StatusOr<Value> SortKey(const Value& item, const Value* attribute,
                              bool case_sensitive) {
  Value key = item;
  if (attribute != nullptr && attribute->is_string()) {
    INFERD_ASSIGN_OR_RETURN(key, AttributePath(item, attribute->as_string()));
  }
  if (!case_sensitive && key.is_string())
    key = Value::String(AsciiLower(key.as_string()));
  return key;
}

absl::StatusOr<List> SortedCopy(const List& items, const Value* attribute,
                                bool case_sensitive, bool reverse) {
  std::vector<std::pair<Value, Value>> keyed;
  for (const Value& item : items) {
    INFERD_ASSIGN_OR_RETURN(Value key,
                            SortKey(item, attribute, case_sensitive));
    keyed.emplace_back(std::move(key), item);
  }
  absl::Status error;
  std::stable_sort(keyed.begin(), keyed.end(),
                   [&](const auto& a, const auto& b) {
                     absl::StatusOr<int> c = Compare(a.first, b.first);
                     if (!c.ok()) {
                       error = c.status();
                       return false;
                     }
                     return reverse ? *c > 0 : *c < 0;
                   });
  if (!error.ok()) return error;
  List out;
  for (auto& [k, v] : keyed) out.push_back(std::move(v));
  return out;
}

absl::StatusOr<Value> SelectOrReject(std::string_view name, const Value& v,
                                     const CallArgs& args) {
  bool by_attr = name == "selectattr" || name == "rejectattr";
  bool keep_if = name == "select" || name == "selectattr";
  size_t test_index = by_attr ? 1 : 0;
  std::string attribute;
  if (by_attr) {
    if (args.positional.empty() || !args.positional[0].is_string()) {
      return Invalid(StrCat(name, ": needs an attribute name"));
    }
    attribute = args.positional[0].as_string();
  }
  std::string test;
  if (args.positional.size() > test_index) {
    if (!args.positional[test_index].is_string()) {
      return Invalid(StrCat(name, ": the test name must be a string"));
    }
    test = args.positional[test_index].as_string();
    if (!IsSupportedTest(test))
      return Invalid(StrCat("unsupported test \"", test, "\""));
  }
  CallArgs test_args;
  for (size_t i = test_index + 1; i < args.positional.size(); ++i) {
    test_args.positional.push_back(args.positional[i]);
  }
  INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
  List out;
  for (const Value& item : items) {
    Value subject = item;
    if (by_attr) {
      INFERD_ASSIGN_OR_RETURN(subject, AttributePath(item, attribute));
    }
    bool pass;
    if (test.empty()) {
      pass = subject.Truthy();
    } else {
      INFERD_ASSIGN_OR_RETURN(pass, ApplyTest(test, subject, test_args));
    }
    if (pass == keep_if) out.push_back(item);
  }
  return Value::MakeList(std::move(out));
}

absl::StatusOr<Value> Map(const Value& v, const CallArgs& args) {
  INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
  List out;
  const Value* attribute = nullptr;
  const Value* fallback = nullptr;
  for (const auto& [k, kv] : args.keyword) {
    if (k == "attribute") attribute = &kv;
    if (k == "default") fallback = &kv;
  }
  if (attribute != nullptr) {
    if (!attribute->is_string())
      return Invalid("map: attribute must be a string");
    for (const Value& item : items) {
      INFERD_ASSIGN_OR_RETURN(Value x,
                              AttributePath(item, attribute->as_string()));
      if (x.is_undefined() && fallback != nullptr) x = *fallback;
      out.push_back(std::move(x));
    }
    return Value::MakeList(std::move(out));
  }
  if (args.positional.empty() || !args.positional[0].is_string()) {
    return Invalid("map: needs a filter name or attribute=");
  }
  std::string filter = args.positional[0].as_string();
  if (!IsSupportedFilter(filter))
    return Invalid(StrCat("unsupported filter \"", filter, "\""));
  CallArgs filter_args;
  filter_args.positional.assign(args.positional.begin() + 1,
                                args.positional.end());
  filter_args.keyword = args.keyword;
  for (const Value& item : items) {
    INFERD_ASSIGN_OR_RETURN(Value x, ApplyFilter(filter, item, filter_args));
    out.push_back(std::move(x));
  }
  return Value::MakeList(std::move(out));
}

absl::StatusOr<Value> Unique(const Value& v, const CallArgs& args) {
  bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
  const Value* attribute = args.Get(1, "attribute");
  INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
  List out;
  List seen;
  for (const Value& item : items) {
    INFERD_ASSIGN_OR_RETURN(Value key,
                            SortKey(item, attribute, case_sensitive));
    bool dup = std::any_of(seen.begin(), seen.end(),
                           [&](const Value& s) { return s.Equals(key); });
    if (!dup) {
      seen.push_back(key);
      out.push_back(item);
    }
  }
  return Value::MakeList(std::move(out));
}

absl::StatusOr<Value> MinMax(bool max, const Value& v, const CallArgs& args) {
  bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
  const Value* attribute = args.Get(1, "attribute");
  INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
  if (items.empty())
    return Value::MakeUndefined("No aggregated item, sequence was empty.");
  INFERD_ASSIGN_OR_RETURN(List sorted,
                          SortedCopy(items, attribute, case_sensitive, false));
  return max ? sorted.back() : sorted.front();
}

absl::StatusOr<Value> Sum(const Value& v, const CallArgs& args) {
  const Value* attribute = args.Get(0, "attribute");
  const Value* start = args.Get(1, "start");
  Value total = start != nullptr ? *start : Value::Int(0);
  INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
  for (const Value& item : items) {
    Value x = item;
    if (attribute != nullptr && attribute->is_string()) {
      INFERD_ASSIGN_OR_RETURN(x, AttributePath(item, attribute->as_string()));
    }
    if (!x.is_number() || !total.is_number()) {
      return Invalid(
          StrCat("sum: unsupported operand type '", x.TypeName(), "'"));
    }
    if (x.is_float() || total.is_float()) {
      total = Value::Float(total.as_double() + x.as_double());
    } else {
      int64_t a = total.is_bool() ? total.as_bool() : total.as_int();
      int64_t b = x.is_bool() ? x.as_bool() : x.as_int();
      total = Value::Int(a + b);
    }
  }
  return total;
}

}  // namespace

bool IsSupportedFilter(std::string_view name) {
  return std::find(std::begin(kFilters), std::end(kFilters), name) !=
         std::end(kFilters);
}

absl::StatusOr<Value> ApplyFilter(std::string_view name, const Value& v,
                                  const CallArgs& args) {
  if (name == "trim") {
    const Value* chars = args.Get(0, "chars");
    std::optional<std::string> set;
    if (chars != nullptr && chars->is_string()) set = chars->as_string();
    return Value::String(PyStrip(v.Str(), set, true, true));
  }
  if (name == "tojson") return ToJsonFilter(v, args);
  if (name == "length" || name == "count") return Length(v);
  if (name == "upper") return Value::String(AsciiUpper(v.Str()));
  if (name == "lower") return Value::String(AsciiLower(v.Str()));
  if (name == "title") return Value::String(JinjaTitle(v.Str()));
  if (name == "capitalize") return Value::String(PyCapitalize(v.Str()));
  if (name == "default" || name == "d") {
    const Value* fallback = args.Get(0, "default_value");
    bool boolean = BoolArg(args, 1, "boolean", false);
    if (v.is_undefined() || (boolean && !v.Truthy())) {
      return fallback != nullptr ? *fallback : Value::String("");
    }
    return v;
  }
  if (name == "join") {
    const Value* sep = args.Get(0, "d");
    const Value* attribute = args.Get(1, "attribute");
    INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
    std::string out;
    for (size_t i = 0; i < items.size(); ++i) {
      if (i > 0 && sep != nullptr) out += sep->Str();
      Value item = items[i];
      if (attribute != nullptr && attribute->is_string()) {
        INFERD_ASSIGN_OR_RETURN(item,
                                AttributePath(item, attribute->as_string()));
      }
      out += item.Str();
    }
    return Value::String(std::move(out));
  }
  if (name == "items") {
    if (v.is_undefined()) return Value::MakeList({});
    if (!v.is_dict())
      return Invalid(StrCat("items: expected a dict, got ", v.TypeName()));
    List out;
    for (const auto& [k, x] : v.as_dict().entries()) {
      out.push_back(Value::MakeTuple({Value::String(k), x}));
    }
    return Value::MakeList(std::move(out));
  }
  if (name == "first" || name == "last") {
    if (name == "last" && v.is_dict())
      return Invalid("'dict' object is not reversible");
    INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
    if (items.empty())
      return Value::MakeUndefined(
          StrCat("No ", name, " item, sequence was empty."));
    return name == "first" ? items.front() : items.back();
  }
  if (name == "list") {
    INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
    return Value::MakeList(std::move(items));
  }
  if (name == "string") return Value::String(v.Str());
  if (name == "safe") return v;
  if (name == "int") return ToInt(v, args);
  if (name == "float") return ToFloat(v, args);
  if (name == "replace") {
    const Value* old_text = args.Get(0, "old");
    const Value* new_text = args.Get(1, "new");
    const Value* count = args.Get(2, "count");
    if (old_text == nullptr || new_text == nullptr) {
      return Invalid("replace: needs the old and the new text");
    }
    int64_t n = (count != nullptr && count->is_int()) ? count->as_int() : -1;
    return Value::String(
        PyReplace(v.Str(), old_text->Str(), new_text->Str(), n));
  }
  if (name == "selectattr" || name == "rejectattr" || name == "select" ||
      name == "reject") {
    return SelectOrReject(name, v, args);
  }
  if (name == "map") return Map(v, args);
  if (name == "unique") return Unique(v, args);
  if (name == "abs") {
    if (v.is_float()) return Value::Float(std::fabs(v.as_float()));
    if (v.is_int()) return Value::Int(std::llabs(v.as_int()));
    if (v.is_bool()) return Value::Int(v.as_bool());
    return Invalid(StrCat("bad operand type for abs(): '", v.TypeName(), "'"));
  }
  if (name == "round") return Round(v, args);
  if (name == "indent") return Indent(v, args);
  if (name == "reverse") {
    if (v.is_string()) {
      std::vector<std::string> chars = CodePoints(v.as_string());
      std::string out;
      for (auto it = chars.rbegin(); it != chars.rend(); ++it) out += *it;
      return Value::String(std::move(out));
    }
    INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
    std::reverse(items.begin(), items.end());
    return Value::MakeList(std::move(items));
  }
  if (name == "sort") {
    bool reverse = BoolArg(args, 0, "reverse", false);
    bool case_sensitive = BoolArg(args, 1, "case_sensitive", false);
    const Value* attribute = args.Get(2, "attribute");
    INFERD_ASSIGN_OR_RETURN(List items, Iterate(v));
    INFERD_ASSIGN_OR_RETURN(
        List sorted, SortedCopy(items, attribute, case_sensitive, reverse));
    return Value::MakeList(std::move(sorted));
  }
  if (name == "dictsort") {
    if (!v.is_dict())
      return Invalid(StrCat("dictsort: expected a dict, got ", v.TypeName()));
    bool case_sensitive = BoolArg(args, 0, "case_sensitive", false);
    const Value* by = args.Get(1, "by");
    bool by_value =
        by != nullptr && by->is_string() && by->as_string() == "value";
    bool reverse = BoolArg(args, 2, "reverse", false);
    List pairs;
    for (const auto& [k, x] : v.as_dict().entries()) {
      pairs.push_back(Value::MakeTuple({Value::String(k), x}));
    }
    Value attribute = Value::String(by_value ? "1" : "0");
    INFERD_ASSIGN_OR_RETURN(
        List sorted, SortedCopy(pairs, &attribute, case_sensitive, reverse));
    return Value::MakeList(std::move(sorted));
  }
  if (name == "sum") return Sum(v, args);
  if (name == "min" || name == "max") return MinMax(name == "max", v, args);
  return Invalid(StrCat("unsupported filter \"", name, "\""));
}

}  // namespace inferd::jinja
