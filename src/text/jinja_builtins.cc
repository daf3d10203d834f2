// Attribute and item access, iteration, comparison, tests and the string
// and dict methods of chat templates. Filters are in jinja_filters.cc.

#include "text/jinja_builtins.h"

#include <algorithm>
#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "text/jinja_string.h"

namespace inferd::jinja {
namespace {

absl::Status Invalid(std::string_view message) {
  return absl::InvalidArgumentError(std::string(message));
}

absl::Status UndefinedError(const Value& v) {
  return Invalid(v.undefined_hint().empty() ? "value is undefined"
                                            : v.undefined_hint());
}

constexpr std::string_view kStringMethods[] = {
    "strip",   "lstrip",  "rstrip", "startswith", "endswith",   "split",
    "replace", "upper",   "lower",  "title",      "capitalize", "format",
    "find",    "count",   "join",   "isdigit",    "isalpha",    "isalnum",
    "isspace", "isupper", "islower"};
constexpr std::string_view kDictMethods[] = {"get", "items", "keys", "values"};

template <size_t N>
bool Contains(const std::string_view (&names)[N], std::string_view name) {
  return std::find(std::begin(names), std::end(names), name) != std::end(names);
}

std::string ObjectName(const Value& v) {
  return StrCat("'", v.TypeName(), " object'");
}

absl::StatusOr<std::optional<std::string>> OptionalStringArg(
    const CallArgs& args, size_t index, std::string_view name,
    std::string_view method) {
  const Value* v = args.Get(index, name);
  if (v == nullptr || v->is_none()) return std::optional<std::string>();
  if (!v->is_string()) {
    return Invalid(
        StrCat(method, "() argument must be str or None, not ", v->TypeName()));
  }
  return std::optional<std::string>(v->as_string());
}

absl::StatusOr<std::string> StringArg(const CallArgs& args, size_t index,
                                      std::string_view name,
                                      std::string_view method) {
  const Value* v = args.Get(index, name);
  if (v == nullptr) {
    return Invalid(StrCat(method, "() missing required argument '", name, "'"));
  }
  if (!v->is_string()) {
    return Invalid(StrCat(method, "() argument '", name, "' must be str, not ",
                          v->TypeName()));
  }
  return v->as_string();
}

absl::StatusOr<int64_t> IntArg(const CallArgs& args, size_t index,
                               std::string_view name, int64_t fallback,
                               std::string_view method) {
  const Value* v = args.Get(index, name);
  if (v == nullptr || v->is_none()) return fallback;
  if (!v->is_int() && !v->is_bool()) {
    return Invalid(StrCat(method, "() argument '", name,
                          "' must be an integer, not ", v->TypeName()));
  }
  return v->is_bool() ? static_cast<int64_t>(v->as_bool()) : v->as_int();
}

// str.format with {} / {0} / {name} fields (no format specs).
absl::StatusOr<Value> Format(const std::string& s, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '{' && i + 1 < s.size() && s[i + 1] == '{') {
      out += '{';
      ++i;
    } else if (c == '}' && i + 1 < s.size() && s[i + 1] == '}') {
      out += '}';
      ++i;
    } else if (c == '{') {
      size_t close = s.find('}', i);
      if (close == std::string::npos) return Invalid("format(): single '{'");
      std::string field = s.substr(i + 1, close - i - 1);
      if (field.find_first_of(":!.[") != std::string::npos) {
        return Invalid(StrCat("format(): unsupported field \"{", field, "}\""));
      }
      const Value* v = nullptr;
      if (field.empty()) {
        v = auto_index < args.positional.size() ? &args.positional[auto_index]
                                                : nullptr;
        ++auto_index;
      } else if (std::all_of(field.begin(), field.end(), ::isdigit)) {
        size_t index = std::stoul(field);
        v = index < args.positional.size() ? &args.positional[index] : nullptr;
      } else {
        for (const auto& [k, kv] : args.keyword) {
          if (k == field) v = &kv;
        }
      }
      if (v == nullptr) {
        return Invalid(StrCat("format(): no argument for \"{", field, "}\""));
      }
      out += v->Str();
      i = close;
    } else if (c == '}') {
      return Invalid("format(): single '}'");
    } else {
      out += c;
    }
  }
  return Value::String(std::move(out));
}

template <typename Pred>
bool AllCodePoints(const std::string& s, Pred pred) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (!pred(c)) return false;
  }
  return true;
}

absl::StatusOr<Value> CallStringMethod(const std::string& s,
                                       std::string_view name,
                                       const CallArgs& args) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    INFERD_ASSIGN_OR_RETURN(auto chars,
                            OptionalStringArg(args, 0, "chars", name));
    return Value::String(PyStrip(s, chars, name != "rstrip", name != "lstrip"));
  }
  if (name == "startswith" || name == "endswith") {
    const Value* arg = args.Get(0, "prefix");
    if (arg == nullptr)
      return Invalid(StrCat(name, "() takes at least 1 argument"));
    std::vector<std::string> options;
    if (arg->is_string()) {
      options.push_back(arg->as_string());
    } else if (arg->is_list()) {
      for (const Value& v : arg->as_list()) {
        if (!v.is_string()) return Invalid(StrCat(name, "() needs strings"));
        options.push_back(v.as_string());
      }
    } else {
      return Invalid(StrCat(name,
                            "() first arg must be str or a tuple of str, not ",
                            arg->TypeName()));
    }
    for (const std::string& o : options) {
      bool hit = name == "startswith"
                     ? s.compare(0, o.size(), o) == 0
                     : (s.size() >= o.size() &&
                        s.compare(s.size() - o.size(), o.size(), o) == 0);
      if (hit) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (name == "split") {
    INFERD_ASSIGN_OR_RETURN(auto sep, OptionalStringArg(args, 0, "sep", name));
    INFERD_ASSIGN_OR_RETURN(int64_t maxsplit,
                            IntArg(args, 1, "maxsplit", -1, name));
    if (sep.has_value() && sep->empty())
      return Invalid("split(): empty separator");
    List out;
    for (std::string& piece : PySplit(s, sep, maxsplit)) {
      out.push_back(Value::String(std::move(piece)));
    }
    return Value::MakeList(std::move(out));
  }
  if (name == "replace") {
    INFERD_ASSIGN_OR_RETURN(std::string old_text,
                            StringArg(args, 0, "old", name));
    INFERD_ASSIGN_OR_RETURN(std::string new_text,
                            StringArg(args, 1, "new", name));
    INFERD_ASSIGN_OR_RETURN(int64_t count, IntArg(args, 2, "count", -1, name));
    return Value::String(PyReplace(s, old_text, new_text, count));
  }
  if (name == "upper") return Value::String(AsciiUpper(s));
  if (name == "lower") return Value::String(AsciiLower(s));
  if (name == "title") return Value::String(PyTitle(s));
  if (name == "capitalize") return Value::String(PyCapitalize(s));
  if (name == "format") return Format(s, args);
  if (name == "find") {
    INFERD_ASSIGN_OR_RETURN(std::string sub, StringArg(args, 0, "sub", name));
    size_t hit = s.find(sub);
    if (hit == std::string::npos) return Value::Int(-1);
    return Value::Int(static_cast<int64_t>(CodePointCount(s.substr(0, hit))));
  }
  if (name == "count") {
    INFERD_ASSIGN_OR_RETURN(std::string sub, StringArg(args, 0, "sub", name));
    if (sub.empty())
      return Value::Int(static_cast<int64_t>(CodePointCount(s) + 1));
    int64_t n = 0;
    for (size_t pos = s.find(sub); pos != std::string::npos;
         pos = s.find(sub, pos + sub.size())) {
      ++n;
    }
    return Value::Int(n);
  }
  if (name == "join") {
    const Value* items = args.Get(0, "iterable");
    if (items == nullptr) return Invalid("join() takes exactly one argument");
    INFERD_ASSIGN_OR_RETURN(List list, Iterate(*items));
    std::string out;
    for (size_t i = 0; i < list.size(); ++i) {
      if (!list[i].is_string()) {
        return Invalid(StrCat("sequence item ", i, ": expected str instance, ",
                              list[i].TypeName(), " found"));
      }
      if (i > 0) out += s;
      out += list[i].as_string();
    }
    return Value::String(std::move(out));
  }
  if (name == "isdigit") return Value::Bool(AllCodePoints(s, ::isdigit));
  if (name == "isalpha") return Value::Bool(AllCodePoints(s, ::isalpha));
  if (name == "isalnum") return Value::Bool(AllCodePoints(s, ::isalnum));
  if (name == "isspace") {
    return Value::Bool(!s.empty() &&
                       PyStrip(s, std::nullopt, true, true).empty());
  }
  if (name == "isupper" || name == "islower") {
    bool cased = false;
    for (unsigned char c : s) {
      if (::isalpha(c)) {
        cased = true;
        if (name == "isupper" ? ::islower(c) : ::isupper(c))
          return Value::Bool(false);
      }
    }
    return Value::Bool(cased);
  }
  return Invalid(StrCat("'str object' has no attribute '", name, "'"));
}

absl::StatusOr<Value> CallDictMethod(const Value& dict_value,
                                     std::string_view name,
                                     const CallArgs& args) {
  const Dict& dict = dict_value.as_dict();
  if (name == "get") {
    const Value* key = args.Get(0, "key");
    if (key == nullptr) return Invalid("get() takes at least 1 argument");
    const Value* fallback = args.Get(1, "default");
    const Value* hit = key->is_string() ? dict.Find(key->as_string()) : nullptr;
    if (hit != nullptr) return *hit;
    return fallback != nullptr ? *fallback : Value::None();
  }
  List out;
  for (const auto& [k, v] : dict.entries()) {
    if (name == "items") {
      out.push_back(Value::MakeTuple({Value::String(k), v}));
    } else if (name == "keys") {
      out.push_back(Value::String(k));
    } else {
      out.push_back(v);
    }
  }
  return Value::MakeList(std::move(out));
}

Value BoundMethod(const Value& receiver, std::string_view name) {
  std::string method(name);
  return Value::MakeFunction(
      StrCat(receiver.TypeName(), ".", method),
      [receiver, method](const CallArgs& args) -> absl::StatusOr<Value> {
        if (receiver.is_string()) {
          return CallStringMethod(receiver.as_string(), method, args);
        }
        return CallDictMethod(receiver, method, args);
      });
}

// Python's slice.indices(length) for one bound.
int64_t ClampSliceBound(int64_t v, int64_t length, bool negative_step) {
  if (v < 0) {
    v += length;
    if (v < 0) v = negative_step ? -1 : 0;
  } else if (v >= length) {
    v = negative_step ? length - 1 : length;
  }
  return v;
}

}  // namespace

bool IsSupportedMethod(std::string_view name) {
  return Contains(kStringMethods, name) || Contains(kDictMethods, name);
}

absl::StatusOr<Value> GetAttribute(const Value& obj, std::string_view name) {
  switch (obj.kind()) {
    case Value::Kind::kUndefined:
      return UndefinedError(obj);
    case Value::Kind::kDict: {
      if (Contains(kDictMethods, name)) return BoundMethod(obj, name);
      const Value* hit = obj.as_dict().Find(name);
      if (hit != nullptr) return *hit;
      break;
    }
    case Value::Kind::kNamespace: {
      const Value* hit = obj.namespace_dict().Find(name);
      if (hit != nullptr) return *hit;
      break;
    }
    case Value::Kind::kString:
      if (Contains(kStringMethods, name)) return BoundMethod(obj, name);
      break;
    default:
      break;
  }
  return Value::MakeUndefined(
      StrCat(ObjectName(obj), " has no attribute '", name, "'"));
}

absl::StatusOr<Value> GetItem(const Value& obj, const Value& key) {
  if (obj.is_undefined()) return UndefinedError(obj);
  if (key.is_int() && (obj.is_list() || obj.is_string())) {
    int64_t i = key.as_int();
    if (obj.is_list()) {
      const List& list = obj.as_list();
      int64_t n = static_cast<int64_t>(list.size());
      if (i < 0) i += n;
      if (i >= 0 && i < n) return list[static_cast<size_t>(i)];
    } else {
      std::vector<size_t> offsets = CodePointOffsets(obj.as_string());
      int64_t n = static_cast<int64_t>(offsets.size()) - 1;
      if (i < 0) i += n;
      if (i >= 0 && i < n) {
        return Value::String(
            obj.as_string().substr(offsets[i], offsets[i + 1] - offsets[i]));
      }
    }
    return Value::MakeUndefined(
        StrCat(ObjectName(obj), " has no element ", key.as_int()));
  }
  if (key.is_string()) {
    if (obj.is_dict()) {
      const Value* hit = obj.as_dict().Find(key.as_string());
      if (hit != nullptr) return *hit;
    }
    return GetAttribute(obj, key.as_string());
  }
  return Value::MakeUndefined(
      StrCat(ObjectName(obj), " has no element ", key.Repr()));
}

absl::StatusOr<Value> GetSlice(const Value& obj, const Value* start_v,
                               const Value* stop_v, const Value* step_v) {
  if (obj.is_undefined()) return UndefinedError(obj);
  auto bound = [](const Value* v,
                  const char* what) -> absl::StatusOr<std::optional<int64_t>> {
    if (v == nullptr || v->is_none()) return std::optional<int64_t>();
    if (!v->is_int()) {
      return Invalid(
          StrCat("slice ", what, " must be an integer, not ", v->TypeName()));
    }
    return std::optional<int64_t>(v->as_int());
  };
  INFERD_ASSIGN_OR_RETURN(auto start, bound(start_v, "start"));
  INFERD_ASSIGN_OR_RETURN(auto stop, bound(stop_v, "stop"));
  INFERD_ASSIGN_OR_RETURN(auto step_opt, bound(step_v, "step"));
  int64_t step = step_opt.value_or(1);
  if (step == 0) return Invalid("slice step cannot be zero");
  std::vector<std::string> chars;
  const List* list = nullptr;
  if (obj.is_list()) {
    list = &obj.as_list();
  } else if (obj.is_string()) {
    chars = CodePoints(obj.as_string());
  } else {
    return Invalid(StrCat(ObjectName(obj), " is not subscriptable"));
  }
  int64_t n =
      static_cast<int64_t>(list != nullptr ? list->size() : chars.size());
  bool negative = step < 0;
  int64_t lo = start.has_value() ? ClampSliceBound(*start, n, negative)
                                 : (negative ? n - 1 : 0);
  int64_t hi = stop.has_value() ? ClampSliceBound(*stop, n, negative)
                                : (negative ? -1 : n);
  List out_list;
  std::string out_string;
  for (int64_t i = lo; negative ? i > hi : i < hi; i += step) {
    if (list != nullptr) {
      out_list.push_back((*list)[static_cast<size_t>(i)]);
    } else {
      out_string += chars[static_cast<size_t>(i)];
    }
  }
  if (list != nullptr) return Value::MakeList(std::move(out_list));
  return Value::String(std::move(out_string));
}

absl::StatusOr<List> Iterate(const Value& value) {
  switch (value.kind()) {
    case Value::Kind::kUndefined:
      return List();
    case Value::Kind::kList:
      return value.as_list();
    case Value::Kind::kDict: {
      List keys;
      for (const auto& [k, v] : value.as_dict().entries())
        keys.push_back(Value::String(k));
      return keys;
    }
    case Value::Kind::kString: {
      List chars;
      for (std::string& c : CodePoints(value.as_string())) {
        chars.push_back(Value::String(std::move(c)));
      }
      return chars;
    }
    default:
      return Invalid(StrCat("'", value.TypeName(), "' object is not iterable"));
  }
}

absl::StatusOr<int> Compare(const Value& a, const Value& b) {
  if (a.is_undefined()) return UndefinedError(a);
  if (b.is_undefined()) return UndefinedError(b);
  if (a.is_number() && b.is_number()) {
    double x = a.as_double();
    double y = b.as_double();
    if (!a.is_float() && !b.is_float()) {
      int64_t i = a.is_bool() ? a.as_bool() : a.as_int();
      int64_t j = b.is_bool() ? b.as_bool() : b.as_int();
      return i < j ? -1 : (i > j ? 1 : 0);
    }
    return x < y ? -1 : (x > y ? 1 : 0);
  }
  if (a.is_string() && b.is_string()) {
    int c = a.as_string().compare(b.as_string());
    return c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  if (a.is_list() && b.is_list()) {
    const List& x = a.as_list();
    const List& y = b.as_list();
    for (size_t i = 0; i < x.size() && i < y.size(); ++i) {
      if (x[i].Equals(y[i])) continue;
      return Compare(x[i], y[i]);
    }
    return x.size() < y.size() ? -1 : (x.size() > y.size() ? 1 : 0);
  }
  return Invalid(StrCat("'<' not supported between instances of '",
                        a.TypeName(), "' and '", b.TypeName(), "'"));
}

bool IsSupportedTest(std::string_view name) {
  static constexpr std::string_view kTests[] = {
      "defined",  "undefined", "none",     "string",   "number",  "integer",
      "float",    "mapping",   "sequence", "iterable", "boolean", "true",
      "false",    "even",      "odd",      "equalto",  "eq",      "==",
      "ne",       "!=",        "lt",       "<",        "le",      "<=",
      "gt",       ">",         "ge",       ">=",       "in",      "divisibleby",
      "callable", "sameas",    "lower",    "upper"};
  return Contains(kTests, name);
}

absl::StatusOr<bool> ApplyTest(std::string_view name, const Value& v,
                               const CallArgs& args) {
  if (name == "defined") return !v.is_undefined();
  if (name == "undefined") return v.is_undefined();
  if (name == "none") return v.is_none();
  if (name == "string") return v.is_string();
  if (name == "number") return v.is_number();
  if (name == "integer") return v.is_int();
  if (name == "float") return v.is_float();
  if (name == "mapping") return v.is_dict();
  if (name == "sequence") return v.is_string() || v.is_list() || v.is_dict();
  if (name == "iterable") {
    return v.is_string() || v.is_list() || v.is_dict() || v.is_undefined();
  }
  if (name == "boolean") return v.is_bool();
  if (name == "true") return v.is_bool() && v.as_bool();
  if (name == "false") return v.is_bool() && !v.as_bool();
  if (name == "callable") return v.is_function();
  if (name == "lower" || name == "upper") {
    std::string s = v.Str();
    return name == "lower" ? AsciiLower(s) == s : AsciiUpper(s) == s;
  }
  if (name == "even" || name == "odd" || name == "divisibleby") {
    if (!v.is_int() && !v.is_bool()) {
      return Invalid(
          StrCat("test \"", name, "\" needs an integer, not ", v.TypeName()));
    }
    int64_t i = v.is_bool() ? v.as_bool() : v.as_int();
    if (name == "even") return i % 2 == 0;
    if (name == "odd") return i % 2 != 0;
    INFERD_ASSIGN_OR_RETURN(int64_t d, IntArg(args, 0, "num", 0, name));
    if (d == 0) return Invalid("divisibleby 0");
    return i % d == 0;
  }
  const Value* other = args.Get(0, "other");
  if (other == nullptr) {
    return Invalid(StrCat("test \"", name, "\" needs an argument"));
  }
  if (name == "equalto" || name == "eq" || name == "==")
    return v.Equals(*other);
  if (name == "ne" || name == "!=") return !v.Equals(*other);
  if (name == "sameas") {
    if (v.is_none() || v.is_bool() || v.is_undefined()) {
      return v.kind() == other->kind() && v.Equals(*other);
    }
    return false;
  }
  if (name == "in") {
    if (other->is_string()) {
      if (!v.is_string())
        return Invalid("'in <string>' requires string as left operand");
      return other->as_string().find(v.as_string()) != std::string::npos;
    }
    if (other->is_dict())
      return v.is_string() && other->as_dict().Find(v.as_string()) != nullptr;
    INFERD_ASSIGN_OR_RETURN(List items, Iterate(*other));
    for (const Value& item : items) {
      if (item.Equals(v)) return true;
    }
    return false;
  }
  INFERD_ASSIGN_OR_RETURN(int c, Compare(v, *other));
  if (name == "lt" || name == "<") return c < 0;
  if (name == "le" || name == "<=") return c <= 0;
  if (name == "gt" || name == ">") return c > 0;
  if (name == "ge" || name == ">=") return c >= 0;
  return Invalid(StrCat("unsupported test \"", name, "\""));
}

}  // namespace inferd::jinja
