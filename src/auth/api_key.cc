#include "auth/api_key.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "boost/json.hpp"
#include "common/strings.h"
#include "openssl/evp.h"

namespace inferd::auth {
namespace {

namespace json = boost::json;

constexpr size_t kMinSecretLength = 16;
constexpr size_t kMaxNameLength = 64;

bool ValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' ||
           c == '-';
  });
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool ParseHexDigest(std::string_view hex, Sha256Digest& digest) {
  if (hex.size() != 2 * digest.size()) return false;
  for (size_t i = 0; i < digest.size(); ++i) {
    const int high = HexValue(hex[2 * i]);
    const int low = HexValue(hex[2 * i + 1]);
    if (high < 0 || low < 0) return false;
    digest[i] = static_cast<unsigned char>(high * 16 + low);
  }
  return true;
}

// A non-negative finite number field; `max` bounds it.
absl::StatusOr<double> Number(const json::value& value, std::string_view field, double max) {
  double number = 0;
  if (value.is_int64()) {
    number = static_cast<double>(value.as_int64());
  } else if (value.is_uint64()) {
    number = static_cast<double>(value.as_uint64());
  } else if (value.is_double()) {
    number = value.as_double();
  } else {
    return absl::InvalidArgumentError(StrCat("\"", field, "\" must be a number"));
  }
  if (!std::isfinite(number) || number < 0 || number > max) {
    return absl::InvalidArgumentError(
        StrCat("\"", field, "\" must be between 0 and ", static_cast<int64_t>(max)));
  }
  return number;
}

absl::StatusOr<ApiKey> ParseKey(const json::object& object) {
  ApiKey key;
  bool has_secret = false;
  for (const auto& [name, value] : object) {
    const std::string_view field(name.data(), name.size());
    if (field == "name") {
      if (!value.is_string() || !ValidName(value.as_string())) {
        return absl::InvalidArgumentError(
            "\"name\" must be 1..64 characters of letters, digits, '.', '_' and '-'");
      }
      key.name = std::string(value.as_string());
    } else if (field == "key" || field == "sha256") {
      if (has_secret) {
        return absl::InvalidArgumentError("give one of \"key\" and \"sha256\", not both");
      }
      has_secret = true;
      if (!value.is_string()) {
        return absl::InvalidArgumentError(StrCat("\"", field, "\" must be a string"));
      }
      const std::string_view text(value.as_string().data(), value.as_string().size());
      if (field == "key") {
        if (text.size() < kMinSecretLength) {
          return absl::InvalidArgumentError(
              StrCat("\"key\" must be at least ", kMinSecretLength, " characters"));
        }
        key.digest = Sha256(text);
      } else if (!ParseHexDigest(text, key.digest)) {
        return absl::InvalidArgumentError(
            "\"sha256\" must be 64 hex digits (the SHA-256 of the key, as sha256sum prints it)");
      }
    } else if (field == "scopes") {
      if (!value.is_array() || value.as_array().empty()) {
        return absl::InvalidArgumentError("\"scopes\" must be a non-empty array of strings");
      }
      for (const json::value& scope : value.as_array()) {
        if (!scope.is_string()) {
          return absl::InvalidArgumentError("\"scopes\" must be a non-empty array of strings");
        }
        const std::string_view text(scope.as_string().data(), scope.as_string().size());
        if (std::find(kScopes.begin(), kScopes.end(), text) == kScopes.end()) {
          return absl::InvalidArgumentError(StrCat(
              "\"scopes\": unknown scope \"", text, "\" (known: infer, jobs:read-all, admin)"));
        }
        if (key.HasScope(text)) {
          return absl::InvalidArgumentError(StrCat("\"scopes\": \"", text, "\" given twice"));
        }
        key.scopes.emplace_back(text);
      }
    } else if (field == "requests_per_second") {
      auto number = Number(value, field, 1e9);
      if (!number.ok()) return number.status();
      key.limits.requests_per_second = *number;
    } else if (field == "burst") {
      auto number = Number(value, field, 1e9);
      if (!number.ok()) return number.status();
      key.limits.burst = *number;
    } else if (field == "max_concurrent") {
      auto number = Number(value, field, 1e6);
      if (!number.ok()) return number.status();
      if (*number != std::floor(*number)) {
        return absl::InvalidArgumentError("\"max_concurrent\" must be a whole number");
      }
      key.limits.max_concurrent = static_cast<int>(*number);
    } else if (field == "tokens_per_minute") {
      auto number = Number(value, field, 1e12);
      if (!number.ok()) return number.status();
      key.limits.tokens_per_minute = *number;
    } else {
      return absl::InvalidArgumentError(StrCat(
          "unknown field \"", field,
          "\" (known: name, key, sha256, scopes, requests_per_second, burst, max_concurrent, "
          "tokens_per_minute)"));
    }
  }
  if (key.name.empty()) return absl::InvalidArgumentError("\"name\" is required");
  if (!has_secret) return absl::InvalidArgumentError("\"sha256\" (or \"key\") is required");
  if (key.scopes.empty()) return absl::InvalidArgumentError("\"scopes\" is required");
  if (key.limits.burst > 0 && key.limits.requests_per_second <= 0) {
    return absl::InvalidArgumentError("\"burst\" needs \"requests_per_second\"");
  }
  return key;
}

}  // namespace

Sha256Digest Sha256(std::string_view data) {
  // OpenSSL 3's one-shot SHA256() looks the algorithm up on every call,
  // which costs more than hashing a key: fetch it once, and keep one
  // context per thread.
  static EVP_MD* const kSha256 = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  thread_local std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                              &EVP_MD_CTX_free);
  Sha256Digest digest{};
  unsigned int length = 0;
  if (kSha256 == nullptr || context == nullptr ||
      EVP_DigestInit_ex(context.get(), kSha256, nullptr) != 1 ||
      EVP_DigestUpdate(context.get(), data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(context.get(), digest.data(), &length) != 1 ||
      length != digest.size()) {
    // Only a broken OpenSSL installation gets here; no key can match then.
    std::fprintf(stderr, "inferd: SHA-256 is not available from OpenSSL\n");
    std::abort();
  }
  return digest;
}

bool ApiKey::HasScope(std::string_view scope) const {
  return std::find(scopes.begin(), scopes.end(), scope) != scopes.end();
}

absl::StatusOr<std::vector<ApiKey>> ParseApiKeyFile(std::string_view text,
                                                    std::string_view source) {
  std::vector<ApiKey> keys;
  std::set<std::string> names;
  std::set<Sha256Digest> digests;
  int number = 0;
  for (absl::string_view raw_line : absl::StrSplit(ToAbsl(text), '\n')) {
    ++number;
    const absl::string_view line = absl::StripAsciiWhitespace(raw_line);
    if (line.empty() || line.front() == '#') continue;
    const auto fail = [&](std::string_view message) {
      return absl::InvalidArgumentError(StrCat(source, " line ", number, ": ", message));
    };
    boost::system::error_code ec;
    json::value value = json::parse(json::string_view(line.data(), line.size()), ec);
    if (ec) return fail(StrCat("not a JSON object: ", ec.message()));
    if (!value.is_object()) return fail("not a JSON object");
    absl::StatusOr<ApiKey> key = ParseKey(value.as_object());
    if (!key.ok()) return fail(ToStd(key.status().message()));
    if (!names.insert(key->name).second) {
      return fail(StrCat("\"name\": \"", key->name, "\" is already the name of another key"));
    }
    if (!digests.insert(key->digest).second) {
      return fail(StrCat("key \"", key->name, "\" has the same secret as another key"));
    }
    keys.push_back(*std::move(key));
  }
  return keys;
}

}  // namespace inferd::auth
