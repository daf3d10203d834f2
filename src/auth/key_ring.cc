#include "auth/key_ring.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/strings.h"
#include "openssl/crypto.h"

namespace inferd::auth {

absl::StatusOr<KeyRing::Keys> KeyRing::ReadFile(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::NotFoundError(
        StrCat("API key file ", path, ": cannot open: ", std::strerror(errno)));
  }
  std::ostringstream text;
  text << file.rdbuf();
  if (file.bad()) return absl::DataLossError(StrCat("API key file ", path, ": read failed"));
  absl::StatusOr<std::vector<ApiKey>> parsed =
      ParseApiKeyFile(text.str(), StrCat("API key file ", path));
  if (!parsed.ok()) return parsed.status();
  Keys keys;
  for (ApiKey& key : *parsed) keys.push_back(std::make_shared<const ApiKey>(std::move(key)));
  return keys;
}

absl::StatusOr<std::unique_ptr<KeyRing>> KeyRing::Load(std::string path) {
  absl::StatusOr<Keys> keys = ReadFile(path);
  if (!keys.ok()) return keys.status();
  return std::unique_ptr<KeyRing>(new KeyRing(std::move(path), *std::move(keys)));
}

std::unique_ptr<KeyRing> KeyRing::FromKeys(std::vector<ApiKey> keys) {
  Keys shared;
  for (ApiKey& key : keys) shared.push_back(std::make_shared<const ApiKey>(std::move(key)));
  return std::unique_ptr<KeyRing>(new KeyRing("", std::move(shared)));
}

absl::StatusOr<size_t> KeyRing::Reload() {
  if (path_.empty()) return absl::FailedPreconditionError("these API keys have no file");
  absl::StatusOr<Keys> keys = ReadFile(path_);
  if (!keys.ok()) return keys.status();
  const size_t count = keys->size();
  keys_.store(std::make_shared<const Keys>(*std::move(keys)));
  return count;
}

std::shared_ptr<const ApiKey> KeyRing::Authenticate(std::string_view secret) const {
  const std::shared_ptr<const Keys> keys = keys_.load();
  const Sha256Digest digest = Sha256(secret);
  std::shared_ptr<const ApiKey> found;
  for (const std::shared_ptr<const ApiKey>& key : *keys) {
    // Every key is compared, whether or not one matched already.
    if (CRYPTO_memcmp(key->digest.data(), digest.data(), digest.size()) == 0) found = key;
  }
  return found;
}

size_t KeyRing::size() const { return keys_.load()->size(); }

}  // namespace inferd::auth
