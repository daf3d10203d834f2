#include "cache/redis_response_cache.h"

#include <cstdio>
#include <utility>

namespace inferd::cache {
namespace {

constexpr char kFormat = 1;

// 32 lowercase hex digits, high word first: CacheKey::ToHex's format (that
// one lives with the key builder in api/, above this layer).
std::string KeyHex(const CacheKey& key) {
  char hex[33];
  std::snprintf(hex, sizeof(hex), "%016llx%016llx", static_cast<unsigned long long>(key.high),
                static_cast<unsigned long long>(key.low));
  return std::string(hex, 32);
}

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void PutStr(std::string& out, const std::string& s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out += s;
}

class Reader {
 public:
  explicit Reader(const std::string& in) : in_(in) {}
  bool U32(uint32_t& v) {
    if (in_.size() - pos_ < 4) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(static_cast<uint8_t>(in_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return true;
  }
  bool Str(std::string& s) {
    uint32_t n = 0;
    if (!U32(n) || in_.size() - pos_ < n) return false;
    s.assign(in_, pos_, n);
    pos_ += n;
    return true;
  }
  bool done() const { return pos_ == in_.size(); }
  size_t pos_ = 1;  // after the format byte

 private:
  const std::string& in_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<RedisResponseCache>> RedisResponseCache::Create(Options options) {
  if (options.client == nullptr) return absl::InvalidArgumentError("cache: no redis client");
  if (options.ttl <= absl::ZeroDuration() || options.ttl == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError("cache: the redis cache needs a finite ttl > 0");
  }
  if (options.max_entry_bytes == 0) return absl::InvalidArgumentError("cache: max_entry_bytes is 0");
  return std::unique_ptr<RedisResponseCache>(new RedisResponseCache(std::move(options)));
}

std::string RedisResponseCache::Encode(const CachedResponse& response) {
  std::string out(1, kFormat);
  PutU32(out, static_cast<uint32_t>(response.http_status));
  PutStr(out, response.content_type);
  PutU32(out, static_cast<uint32_t>(response.headers.size()));
  for (const auto& [name, value] : response.headers) {
    PutStr(out, name);
    PutStr(out, value);
  }
  PutStr(out, response.body);
  return out;
}

CachedResponsePtr RedisResponseCache::Decode(const std::string& bytes) {
  if (bytes.empty() || bytes[0] != kFormat) return nullptr;
  auto response = std::make_shared<CachedResponse>();
  Reader r(bytes);
  uint32_t status = 0, headers = 0;
  if (!r.U32(status) || !r.Str(response->content_type) || !r.U32(headers) ||
      headers > bytes.size()) {
    return nullptr;
  }
  response->http_status = static_cast<int>(status);
  for (uint32_t i = 0; i < headers; ++i) {
    std::string name, value;
    if (!r.Str(name) || !r.Str(value)) return nullptr;
    response->headers.emplace_back(std::move(name), std::move(value));
  }
  if (!r.Str(response->body) || !r.done()) return nullptr;
  return response;
}

CachedResponsePtr RedisResponseCache::Fetch(const CacheKey& key) {
  absl::StatusOr<redis::Reply> reply =
      options_.client->Command({"GET", options_.prefix + KeyHex(key)});
  if (!reply.ok() || reply->type != redis::Reply::Type::kString) return nullptr;
  return Decode(reply->str);
}

CachedResponsePtr RedisResponseCache::Lookup(const CacheKey& key) {
  CachedResponsePtr found = Fetch(key);
  absl::MutexLock lock(&mu_);
  ++(found != nullptr ? stats_.hits : stats_.misses);
  return found;
}

void RedisResponseCache::Insert(const CacheKey& key, CachedResponsePtr response) {
  if (response == nullptr) return;
  if (response->ChargedBytes() > options_.max_entry_bytes) {
    absl::MutexLock lock(&mu_);
    ++stats_.rejected_too_large;
    return;
  }
  absl::StatusOr<redis::Reply> set = options_.client->Command(
      {"SET", options_.prefix + KeyHex(key), Encode(*response), "PX",
       std::to_string(absl::ToInt64Milliseconds(options_.ttl))});
  if (set.ok()) {
    absl::MutexLock lock(&mu_);
    ++stats_.insertions;
  }
}

CacheLookup RedisResponseCache::StartOrJoin(const CacheKey& key, CacheWaiter on_ready) {
  CacheLookup result;
  {
    // A leader computing this key here: wait for it rather than ask Redis.
    absl::MutexLock lock(&mu_);
    auto it = flights_.find(key);
    if (it != flights_.end()) {
      ++stats_.coalesced;
      it->second.waiters.push_back(std::move(on_ready));
      result.kind = CacheLookup::Kind::kFollower;
      return result;
    }
  }
  CachedResponsePtr found = Fetch(key);
  absl::MutexLock lock(&mu_);
  if (found != nullptr) {
    ++stats_.hits;
    result.kind = CacheLookup::Kind::kHit;
    result.response = std::move(found);
    return result;
  }
  auto it = flights_.find(key);
  if (it != flights_.end()) {  // a leader started while we asked Redis
    ++stats_.coalesced;
    it->second.waiters.push_back(std::move(on_ready));
    result.kind = CacheLookup::Kind::kFollower;
    return result;
  }
  ++stats_.misses;
  const uint64_t id = next_flight_id_++;
  flights_.emplace(key, Flight{id, {}});
  result.kind = CacheLookup::Kind::kLeader;
  result.ticket = MakeTicket(id, key);
  return result;
}

void RedisResponseCache::FinishFlight(uint64_t flight_id, const CacheKey& key,
                                      absl::StatusOr<CachedResponsePtr> result, bool store) {
  std::vector<CacheWaiter> waiters;
  {
    absl::MutexLock lock(&mu_);
    auto it = flights_.find(key);
    if (it == flights_.end() || it->second.id != flight_id) return;
    waiters = std::move(it->second.waiters);
    flights_.erase(it);
  }
  if (store && result.ok() && *result != nullptr) Insert(key, *result);
  for (CacheWaiter& waiter : waiters) {
    if (waiter) waiter(result);
  }
}

void RedisResponseCache::Clear() {
  std::string cursor = "0";
  do {
    absl::StatusOr<redis::Reply> page = options_.client->Command(
        {"SCAN", cursor, "MATCH", options_.prefix + "*", "COUNT", "1000"});
    if (!page.ok() || page->elements.size() != 2) return;
    cursor = page->elements[0].str;
    std::vector<std::string> unlink = {"UNLINK"};
    for (const redis::Reply& key : page->elements[1].elements) unlink.push_back(key.str);
    if (unlink.size() > 1) options_.client->Command(unlink).IgnoreError();
  } while (cursor != "0");
}

CacheStats RedisResponseCache::stats() const {
  absl::MutexLock lock(&mu_);
  CacheStats stats = stats_;
  stats.in_flight = flights_.size();
  return stats;
}

}  // namespace inferd::cache
