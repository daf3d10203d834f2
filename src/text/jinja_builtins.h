#pragma once

// The filters, tests, functions and methods chat templates may use, with
// Jinja2's semantics in Hugging Face's environment (tojson is json.dumps
// with ensure_ascii=False; sandboxed: lists and dicts cannot be mutated).
//
// The Is*Supported() name checks let the parser reject a template that uses
// anything else. Everything here is a pure function of its arguments and
// thread-safe. Errors are InvalidArgument without a line; the interpreter
// adds the line.

#include <string_view>

#include "absl/status/statusor.h"
#include "text/jinja_value.h"

namespace inferd::jinja {

bool IsSupportedFilter(std::string_view name);
bool IsSupportedTest(std::string_view name);
// Methods callable as `value.name(...)` on strings and dicts.
bool IsSupportedMethod(std::string_view name);

absl::StatusOr<Value> ApplyFilter(std::string_view name, const Value& input,
                                  const CallArgs& args);
absl::StatusOr<bool> ApplyTest(std::string_view name, const Value& input,
                               const CallArgs& args);

// `obj.name`: a dict's key (or its method: items, get, ...), a string's
// bound method, a namespace's attribute; Undefined when absent. Fails only
// for an Undefined `obj`, as Jinja2 does.
absl::StatusOr<Value> GetAttribute(const Value& obj, std::string_view name);
// `obj[key]`: list and string index (negative from the end), dict key;
// Undefined when absent.
absl::StatusOr<Value> GetItem(const Value& obj, const Value& key);
// `obj[start:stop:step]` for lists and strings; null parts are omitted.
absl::StatusOr<Value> GetSlice(const Value& obj, const Value* start,
                               const Value* stop, const Value* step);

// Python's ordering for `<` and sorting: numbers by value, strings by code
// point, lists element-wise. Returns <0, 0 or >0; fails for other mixes.
absl::StatusOr<int> Compare(const Value& a, const Value& b);

// The items `for x in value` visits: list items, dict keys, string
// characters; Undefined visits nothing.
absl::StatusOr<List> Iterate(const Value& value);

}  // namespace inferd::jinja
