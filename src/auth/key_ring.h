#pragma once

// The API keys the server accepts, loaded from a key file (api_key.h) and
// reloaded on demand (SIGHUP) without disturbing requests in flight.
//
// Authenticate() hashes the presented secret with SHA-256 and compares the
// digest with every key's in constant time (CRYPTO_memcmp, and no early
// exit), so neither the secrets nor which key matched leak through timing.
// A reload that fails (the file is missing or malformed) keeps the keys in
// use and returns the error.
//
// Thread-safe: Authenticate() may run on any thread while Reload() swaps
// the key set; a key returned stays valid as long as it is held.

#include <atomic>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "auth/api_key.h"

namespace inferd::auth {

class KeyRing {
 public:
  // Reads `path`; an error names the file and, for a bad line, the line.
  static absl::StatusOr<std::unique_ptr<KeyRing>> Load(std::string path);
  // A ring of `keys`, with no file to reload from (tests).
  static std::unique_ptr<KeyRing> FromKeys(std::vector<ApiKey> keys);

  // Reads the file again and swaps the keys in. Returns how many keys are
  // now in use; on error the previous keys stay.
  absl::StatusOr<size_t> Reload();

  // The key whose secret is `secret`; null when none is.
  std::shared_ptr<const ApiKey> Authenticate(std::string_view secret) const;

  size_t size() const;
  const std::string& path() const { return path_; }

 private:
  using Keys = std::vector<std::shared_ptr<const ApiKey>>;
  KeyRing(std::string path, Keys keys)
      : path_(std::move(path)), keys_(std::make_shared<const Keys>(std::move(keys))) {}
  static absl::StatusOr<Keys> ReadFile(const std::string& path);

  const std::string path_;
  // Read on every request: an atomic pointer rather than a mutex (Abseil's
  // Mutex, with deadlock detection on in Debian's build, costs a global lock
  // per acquisition).
  std::atomic<std::shared_ptr<const Keys>> keys_;
};

}  // namespace inferd::auth
