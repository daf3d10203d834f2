#pragma once

// Typed, non-throwing access to the fields of a tokenizer.json object.
//
// Every getter returns InvalidArgument naming the field by its path (for
// example `tokenizer.json: model.unk_token must be a string`) when the field
// has the wrong type, and the default when it is absent or null. Boost.JSON's
// throwing accessors are never used, so no exception leaves the loader.
// Thread-safe: stateless.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/json.hpp"
#include "common/strings.h"

namespace inferd::text {

class JsonFields {
 public:
  // `path` names the object in messages, e.g. "normalizer" or
  // "pre_tokenizer.pretokenizers[1]".
  JsonFields(const boost::json::object& object, std::string path)
      : object_(object), path_(std::move(path)) {}

  const boost::json::object& object() const { return object_; }
  const std::string& path() const { return path_; }

  // The member, or nullptr when absent or null.
  const boost::json::value* Find(std::string_view key) const {
    const boost::json::value* v = object_.if_contains(
        boost::json::string_view(key.data(), key.size()));
    return (v == nullptr || v->is_null()) ? nullptr : v;
  }

  absl::Status Error(std::string_view key, std::string_view what) const {
    return absl::InvalidArgumentError(
        StrCat("tokenizer.json: ", path_, ".", key, " ", what));
  }

  absl::StatusOr<std::string> String(std::string_view key,
                                     std::optional<std::string> fallback =
                                         std::nullopt) const {
    const boost::json::value* v = Find(key);
    if (v == nullptr) {
      if (fallback) return *fallback;
      return Error(key, "is required");
    }
    if (!v->is_string()) return Error(key, "must be a string");
    const boost::json::string& s = v->get_string();
    return std::string(s.data(), s.size());
  }

  absl::StatusOr<bool> Bool(std::string_view key, bool fallback) const {
    const boost::json::value* v = Find(key);
    if (v == nullptr) return fallback;
    if (!v->is_bool()) return Error(key, "must be a boolean");
    return v->get_bool();
  }

  absl::StatusOr<int64_t> Int(std::string_view key, int64_t fallback) const {
    const boost::json::value* v = Find(key);
    if (v == nullptr) return fallback;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64() && v->get_uint64() <= INT64_MAX) {
      return static_cast<int64_t>(v->get_uint64());
    }
    return Error(key, "must be an integer");
  }

  absl::StatusOr<const boost::json::array*> Array(std::string_view key,
                                                  bool required) const {
    const boost::json::value* v = Find(key);
    if (v == nullptr) {
      if (required) return Error(key, "is required");
      return nullptr;
    }
    if (!v->is_array()) return Error(key, "must be an array");
    return &v->get_array();
  }

  absl::StatusOr<const boost::json::object*> Object(std::string_view key,
                                                    bool required) const {
    const boost::json::value* v = Find(key);
    if (v == nullptr) {
      if (required) return Error(key, "is required");
      return nullptr;
    }
    if (!v->is_object()) return Error(key, "must be an object");
    return &v->get_object();
  }

  // The component's "type" field.
  absl::StatusOr<std::string> Type() const { return String("type"); }

 private:
  const boost::json::object& object_;
  std::string path_;
};

// The integer in `v`, or nullopt when `v` is not an integer in range (never
// throws, unlike boost::json::value::to_number).
inline std::optional<int64_t> AsInt(const boost::json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= INT64_MAX) {
    return static_cast<int64_t>(v.get_uint64());
  }
  return std::nullopt;
}

// A 32-bit id in `v`, or nullopt.
inline std::optional<int32_t> AsId(const boost::json::value& v) {
  std::optional<int64_t> i = AsInt(v);
  if (!i || *i < 0 || *i > INT32_MAX) return std::nullopt;
  return static_cast<int32_t>(*i);
}

inline std::string_view ToView(const boost::json::string& s) {
  return std::string_view(s.data(), s.size());
}

}  // namespace inferd::text
