#pragma once

// API keys: what one key is (a name, the SHA-256 digest of its secret, its
// scopes and rate limits) and the key file that lists them.
//
// The key file is JSON lines: one JSON object per line; blank lines and
// lines starting with '#' are ignored.
//
//   {"name": "alice", "sha256": "<64 hex digits>", "scopes": ["infer"],
//    "requests_per_second": 10, "burst": 20, "max_concurrent": 4,
//    "tokens_per_minute": 20000}
//   {"name": "ops", "key": "<the secret itself>", "scopes": ["admin", "jobs:read-all"]}
//
// "name" (1..64 of [A-Za-z0-9._-], unique) identifies the key in logs,
// metrics and job ownership. The secret is given either as "sha256", the
// hex SHA-256 of the secret (preferred: the file then holds no secret), or
// as "key", the secret itself (at least 16 characters), which is hashed on
// load and not kept. "scopes" lists at least one of kScopes. The limits are
// optional; 0 or absent means unlimited (see rate_limiter.h).
//
// Plain values; ParseApiKeyFile is thread-safe.

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/rate_limiter.h"

namespace inferd::auth {

// Every inference route, the model listing routes, and the caller's own jobs.
inline constexpr std::string_view kScopeInfer = "infer";
// Reading every key's jobs, not only the caller's.
inline constexpr std::string_view kScopeJobsReadAll = "jobs:read-all";
// The model repository routes (load, unload, index), /metrics when it is
// protected, and cancelling any key's job.
inline constexpr std::string_view kScopeAdmin = "admin";
inline constexpr std::array<std::string_view, 3> kScopes = {kScopeInfer, kScopeJobsReadAll,
                                                            kScopeAdmin};

using Sha256Digest = std::array<unsigned char, 32>;

// SHA-256 of `data` (OpenSSL libcrypto).
Sha256Digest Sha256(std::string_view data);

struct ApiKey {
  std::string name;
  Sha256Digest digest{};
  std::vector<std::string> scopes;  // each one of kScopes, no repeats
  RateLimits limits;

  bool HasScope(std::string_view scope) const;
};

// The keys of a key file's text. Errors name the line and the field:
// `line 3: "scopes": unknown scope "write"`. `source` (the file name)
// starts each message.
absl::StatusOr<std::vector<ApiKey>> ParseApiKeyFile(std::string_view text,
                                                    std::string_view source);

}  // namespace inferd::auth
