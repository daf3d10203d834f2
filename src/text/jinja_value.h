#pragma once

// The values a chat template computes with, with Python's semantics.
//
// Jinja2 templates run on Python objects, and chat templates lean on that:
// `{{ message.tool_calls }}` prints Python's repr, `tojson` is json.dumps,
// `1 == 1.0` is true, `'' ` and `[]` are false, strings index by code point.
// Value reproduces the subset of those objects a template can see: None,
// bool, int (64-bit), float, str (UTF-8), list (tuples too), dict (string
// keys, insertion order, as json.loads builds it), Jinja's Undefined, the
// mutable namespace() object, and callables (macros, built-in functions,
// bound methods).
//
// Lists and dicts are immutable and shared: copying a Value is cheap. Only a
// Namespace changes after creation, and only inside one render, so a Value
// graph is never shared between threads while it changes.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace inferd::jinja {

class Value;

using List = std::vector<Value>;

// A dict with string keys in insertion order (what Python's json.loads and
// dict literals give). Lookups are linear: template dicts are small.
class Dict {
 public:
  const Value* Find(std::string_view key) const;
  // Replaces the value of an existing key in place, else appends.
  void Set(std::string key, Value value);
  const std::vector<std::pair<std::string, Value>>& entries() const {
    return entries_;
  }
  // Defined after Value: clang needs Value complete to instantiate size().
  size_t size() const;

 private:
  std::vector<std::pair<std::string, Value>> entries_;
};

// Arguments of a call: positional, then keyword (`tojson(indent=4)`).
struct CallArgs {
  std::vector<Value> positional;
  std::vector<std::pair<std::string, Value>> keyword;

  // The argument at `index`, or the keyword argument `name`, or nullptr.
  const Value* Get(size_t index, std::string_view name) const;
};

using Function = std::function<absl::StatusOr<Value>(const CallArgs&)>;

// Jinja2's default Undefined: what a missing variable, key or attribute
// evaluates to. It is falsy, prints as "", iterates as empty, and fails when
// used any further (attribute access, arithmetic). `hint` names what was
// missing, for that error.
struct Undefined {
  std::string hint;
};

struct NoneType {};

class Value {
 public:
  enum class Kind {
    kUndefined,
    kNone,
    kBool,
    kInt,
    kFloat,
    kString,
    kList,
    kDict,
    kNamespace,
    kFunction
  };

  Value() : data_(Undefined{}) {}
  static Value MakeUndefined(std::string hint) {
    return Value(Undefined{std::move(hint)});
  }
  static Value None() { return Value(NoneType{}); }
  static Value Bool(bool b) { return Value(b); }
  static Value Int(int64_t i) { return Value(i); }
  static Value Float(double d) { return Value(d); }
  static Value String(std::string s) { return Value(std::move(s)); }
  static Value MakeList(List items) {
    return Value(
        std::make_shared<const ListData>(ListData{std::move(items), false}));
  }
  // A tuple: a list that prints as (a, b) and never equals a list, as in
  // Python (dict.items() pairs, tuple literals).
  static Value MakeTuple(List items) {
    return Value(
        std::make_shared<const ListData>(ListData{std::move(items), true}));
  }
  static Value MakeDict(Dict dict) {
    return Value(std::make_shared<const Dict>(std::move(dict)));
  }
  // namespace(): a dict whose attributes `{% set ns.x = ... %}` may assign.
  static Value MakeNamespace(Dict dict) {
    return Value(NamespaceBox{std::make_shared<Dict>(std::move(dict))});
  }
  // `name` is what error messages and repr call it.
  static Value MakeFunction(std::string name, Function fn) {
    return Value(std::make_shared<const FunctionBox>(
        FunctionBox{std::move(name), std::move(fn)}));
  }
  // JSON null, bool, numbers, strings, arrays and objects, as json.loads.
  static Value FromJson(const boost::json::value& json);

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_undefined() const { return kind() == Kind::kUndefined; }
  bool is_none() const { return kind() == Kind::kNone; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  // int, float or bool, as Python's numbers.Number.
  bool is_number() const { return is_int() || is_float() || is_bool(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_namespace() const { return kind() == Kind::kNamespace; }
  bool is_function() const { return kind() == Kind::kFunction; }

  // Accessors; each requires the matching kind.
  bool as_bool() const { return std::get<bool>(data_); }
  int64_t as_int() const { return std::get<int64_t>(data_); }
  double as_float() const { return std::get<double>(data_); }
  // int, bool or float as a double.
  double as_double() const;
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const List& as_list() const { return std::get<ListPtr>(data_)->items; }
  bool is_tuple() const { return is_list() && std::get<ListPtr>(data_)->tuple; }
  const Dict& as_dict() const { return *std::get<DictPtr>(data_); }
  // The namespace's attributes; shared by every copy of this Value.
  Dict& namespace_dict() const { return *std::get<NamespaceBox>(data_).dict; }
  const std::string& function_name() const {
    return std::get<FunctionPtr>(data_)->name;
  }
  const Function& function() const { return std::get<FunctionPtr>(data_)->fn; }
  const std::string& undefined_hint() const {
    return std::get<Undefined>(data_).hint;
  }

  // Python truthiness (Undefined is falsy).
  bool Truthy() const;
  // str(value): what `{{ value }}` prints. Undefined prints as "".
  std::string Str() const;
  // repr(value): how a value prints inside a list or dict.
  std::string Repr() const;
  // Python ==: 1 == 1.0 == True, lists and dicts compare deeply.
  bool Equals(const Value& other) const;
  // The type's name as Python says it in errors ("str", "int", "dict").
  std::string TypeName() const;

  // json.dumps(value, ensure_ascii, indent, separators, sort_keys): the
  // `tojson` filter Hugging Face installs. `indent` < 0 means None (one
  // line, ", " and ": "); otherwise newlines and `indent` spaces per level
  // ("," and ": "). Fails for Undefined and functions, as json.dumps does.
  struct JsonOptions {
    int indent = -1;
    bool sort_keys = false;
    bool ensure_ascii = false;
    std::optional<std::pair<std::string, std::string>> separators;
  };
  absl::StatusOr<std::string> ToJson(const JsonOptions& options) const;

 private:
  struct ListData {
    List items;
    bool tuple;
  };
  using ListPtr = std::shared_ptr<const ListData>;
  using DictPtr = std::shared_ptr<const Dict>;
  struct NamespaceBox {
    std::shared_ptr<Dict> dict;
  };
  struct FunctionBox {
    std::string name;
    Function fn;
  };
  using FunctionPtr = std::shared_ptr<const FunctionBox>;
  using Data =
      std::variant<Undefined, NoneType, bool, int64_t, double, std::string,
                   ListPtr, DictPtr, NamespaceBox, FunctionPtr>;

  explicit Value(Data data) : data_(std::move(data)) {}

  Data data_;
};

// Python's repr() of a float: the shortest digits that read back the same,
// "1.0", "0.0001", "1e-05", "1e+16", "inf", "nan".
std::string PythonFloatRepr(double d);

// Python's repr() of a str: single quotes unless the text has ' and no ".
std::string PythonStringRepr(std::string_view s);

inline size_t Dict::size() const { return entries_.size(); }

}  // namespace inferd::jinja
