#include "api/cached_response.h"

#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/strings.h"

namespace inferd {
namespace {

HttpResponse FromCached(const cache::CachedResponse& cached) {
  HttpResponse response;
  response.status = cached.http_status;
  response.content_type = cached.content_type;
  response.headers = cached.headers;
  response.body = cached.body;
  TagCache(response, "hit");
  return response;
}

cache::CachedResponsePtr ToCached(const HttpResponse& response) {
  auto cached = std::make_shared<cache::CachedResponse>();
  cached->http_status = response.status;
  cached->content_type = response.content_type;
  cached->headers = response.headers;
  cached->body = response.body;
  return cached;
}

bool Storable(const HttpResponse& response) {
  return response.status == 200 && !response.stream;
}

}  // namespace

CacheDirectives ParseCacheDirectives(const HttpRequest& request) {
  CacheDirectives directives;
  for (const auto& [name, value] : request.headers) {
    if (name == "pragma" && absl::StrContains(absl::AsciiStrToLower(value), "no-cache")) {
      directives.no_cache = true;
    }
    if (name != "cache-control") continue;
    for (absl::string_view token : absl::StrSplit(value, ',')) {
      token = absl::StripAsciiWhitespace(token);
      if (absl::EqualsIgnoreCase(token, "no-cache")) directives.no_cache = true;
      if (absl::EqualsIgnoreCase(token, "no-store")) directives.no_store = true;
    }
  }
  return directives;
}

void TagCache(HttpResponse& response, std::string_view outcome) {
  response.headers.emplace_back("X-Cache", std::string(outcome));
}

void RespondThroughCache(cache::ResponseCache* cache, const CacheMetrics* metrics,
                         const cache::CacheKey& key, CacheDirectives directives,
                         absl::Time started, std::function<void(Responder)> compute,
                         Responder respond) {
  if (directives.no_cache) {
    return compute([cache, key, directives, respond = std::move(respond)](HttpResponse r) {
      if (!directives.no_store && Storable(r)) cache->Insert(key, ToCached(r));
      TagCache(r, "bypass");
      respond(std::move(r));
    });
  }
  auto shared_respond = std::make_shared<Responder>(std::move(respond));
  auto hit = [metrics, started, shared_respond](const cache::CachedResponse& cached) {
    (*shared_respond)(FromCached(cached));
    if (metrics) metrics->HitServed(absl::ToDoubleSeconds(absl::Now() - started));
  };
  cache::CacheLookup lookup = cache->StartOrJoin(
      key, [compute, shared_respond, hit](absl::StatusOr<cache::CachedResponsePtr> leader) {
        if (leader.ok()) return hit(**leader);
        compute([shared_respond](HttpResponse r) {
          TagCache(r, "miss");
          (*shared_respond)(std::move(r));
        });
      });
  switch (lookup.kind) {
    case cache::CacheLookup::Kind::kHit:
      return hit(*lookup.response);
    case cache::CacheLookup::Kind::kFollower:
      return;
    case cache::CacheLookup::Kind::kLeader:
      break;
  }
  auto ticket = std::make_shared<cache::FillTicket>(std::move(lookup.ticket));
  compute([ticket, directives, shared_respond](HttpResponse r) {
    if (Storable(r)) {
      ticket->Publish(ToCached(r), !directives.no_store);
    } else {
      ticket->Fail(absl::UnavailableError(StrCat("the first request got HTTP ", r.status)));
    }
    TagCache(r, "miss");
    (*shared_respond)(std::move(r));
  });
}

}  // namespace inferd
