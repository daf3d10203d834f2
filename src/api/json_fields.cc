#include "api/json_fields.h"

#include "boost/json/parse.hpp"
#include "common/strings.h"
#include "text/unicode.h"

namespace inferd::json_fields {

namespace json = boost::json;

absl::Status Bad(std::string_view field, std::string_view rule) {
  return absl::InvalidArgumentError(StrCat(field, ": ", rule));
}

absl::StatusOr<json::value> ParseObject(std::string_view body) {
  json::parse_options options;
  options.allow_invalid_utf8 = true;
  std::error_code ec;
  json::value doc = json::parse(json::string_view(body.data(), body.size()), ec,
                                json::storage_ptr(), options);
  if (ec) return absl::InvalidArgumentError(StrCat("request body is not JSON: ", ec.message()));
  if (!doc.is_object()) return absl::InvalidArgumentError("request body must be a JSON object");
  return doc;
}

absl::StatusOr<double> Number(const json::value& v, std::string_view field) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return Bad(field, "must be a number");
}

absl::StatusOr<int64_t> Integer(const json::value& v, std::string_view field) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX)) {
    return static_cast<int64_t>(v.get_uint64());
  }
  if (v.is_double() && v.get_double() > -9.2e18 && v.get_double() < 9.2e18 &&
      v.get_double() == static_cast<double>(static_cast<int64_t>(v.get_double()))) {
    return static_cast<int64_t>(v.get_double());  // 16.0
  }
  return Bad(field, "must be an integer");
}

absl::StatusOr<bool> Bool(const json::value& v, std::string_view field) {
  if (!v.is_bool()) return Bad(field, "must be true or false");
  return v.get_bool();
}

absl::StatusOr<std::string> String(const json::value& v, std::string_view field) {
  if (!v.is_string()) return Bad(field, "must be a string");
  return std::string(v.get_string());
}

absl::StatusOr<std::vector<std::string>> StringOrList(const json::value& v,
                                                      std::string_view field) {
  std::vector<std::string> out;
  if (v.is_null()) return out;
  if (v.is_string()) {
    out.emplace_back(v.get_string());
    return out;
  }
  if (!v.is_array()) return Bad(field, "must be a string or an array of strings");
  for (const json::value& s : v.get_array()) {
    if (!s.is_string()) return Bad(field, "must be a string or an array of strings");
    out.emplace_back(s.get_string());
  }
  return out;
}

absl::Status Utf8Strings(const json::value& v, const std::string& field) {
  if (const json::string* text = v.if_string()) {
    if (!text::unicode::IsValidUtf8(*text)) return Bad(field, "not valid UTF-8");
  } else if (const json::array* list = v.if_array()) {
    for (size_t i = 0; i < list->size(); ++i) {
      if (absl::Status s = Utf8Strings((*list)[i], StrCat(field, "[", i, "]")); !s.ok()) return s;
    }
  } else if (const json::object* object = v.if_object()) {
    for (const auto& [key, value] : *object) {
      if (!text::unicode::IsValidUtf8(key)) return Bad(field, "has a key that is not valid UTF-8");
      if (absl::Status s = Utf8Strings(value, StrCat(field, ".", std::string_view(key))); !s.ok()) {
        return s;
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace inferd::json_fields
