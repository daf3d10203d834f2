#include "redis/redis_client.h"

#include <hiredis/hiredis.h>

#include <algorithm>
#include <charconv>
#include <utility>

#include "common/strings.h"

namespace inferd::redis {
namespace {

bool ParseInt(std::string_view text, int& out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// Error replies that mean "not now" rather than "wrong".
bool IsTransientError(std::string_view message) {
  for (std::string_view prefix : {"LOADING", "BUSY", "MASTERDOWN", "READONLY", "TRYAGAIN"}) {
    if (message.substr(0, prefix.size()) == prefix) return true;
  }
  return false;
}

std::string ContextError(const redisContext* c) {
  if (c == nullptr) return "cannot allocate a connection";
  return c->errstr[0] != '\0' ? std::string(c->errstr) : "connection error";
}

// Runs `argv` on `c` and returns the raw reply (nullptr on I/O error).
redisReply* RunArgv(redisContext* c, const std::vector<std::string>& args) {
  std::vector<const char*> argv;
  std::vector<size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return static_cast<redisReply*>(
      redisCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data()));
}

}  // namespace

absl::StatusOr<RedisUrl> RedisUrl::Parse(std::string_view url) {
  constexpr std::string_view kScheme = "redis://";
  if (url.substr(0, 9) == "rediss://") {
    return absl::InvalidArgumentError(
        "--redis: rediss:// (TLS) is not supported: Debian 12's libhiredis 0.14 has no TLS. "
        "Reach Redis over a private network, or through a TLS tunnel on loopback (stunnel)");
  }
  if (url.substr(0, kScheme.size()) != kScheme) {
    return absl::InvalidArgumentError(ToAbsl(StrCat(
        "--redis: expected redis://[user:password@]host:port/db, got \"", url, "\"")));
  }
  std::string_view rest = url.substr(kScheme.size());
  RedisUrl parsed;
  if (size_t at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view auth = rest.substr(0, at);
    rest = rest.substr(at + 1);
    if (size_t colon = auth.find(':'); colon != std::string_view::npos) {
      parsed.user = std::string(auth.substr(0, colon));
      parsed.password = std::string(auth.substr(colon + 1));
    } else {
      parsed.password = std::string(auth);
    }
  }
  std::string_view hostport = rest;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    hostport = rest.substr(0, slash);
    std::string_view db = rest.substr(slash + 1);
    if (!db.empty() && (!ParseInt(db, parsed.db) || parsed.db < 0)) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat("--redis: database \"", db, "\" is not a number >= 0")));
    }
  }
  std::string_view host = hostport;
  if (size_t colon = hostport.rfind(':');
      colon != std::string_view::npos && hostport.find(']') == std::string_view::npos) {
    host = hostport.substr(0, colon);
    std::string_view port = hostport.substr(colon + 1);
    if (!ParseInt(port, parsed.port) || parsed.port < 1 || parsed.port > 65535) {
      return absl::InvalidArgumentError(
          ToAbsl(StrCat("--redis: port \"", port, "\" is not 1..65535")));
    }
  }
  if (host.empty()) return absl::InvalidArgumentError("--redis: the host is missing");
  parsed.host = std::string(host);
  return parsed;
}

std::string RedisUrl::Describe() const { return StrCat(host, ":", port, "/", db); }

std::string Reply::text() const {
  if (type == Type::kInteger) return std::to_string(integer);
  if (type == Type::kString || type == Type::kStatus) return str;
  return "";
}

Reply ConvertReply(const void* raw) {
  const redisReply* r = static_cast<const redisReply*>(raw);
  Reply out;
  switch (r->type) {
    case REDIS_REPLY_INTEGER:
      out.type = Reply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_STRING:
      out.type = Reply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = Reply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = Reply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ARRAY:
      out.type = Reply::Type::kArray;
      out.elements.reserve(r->elements);
      for (size_t i = 0; i < r->elements; ++i) out.elements.push_back(ConvertReply(r->element[i]));
      break;
    default:
      out.type = Reply::Type::kNil;
  }
  return out;
}

absl::StatusOr<Reply> CheckReply(std::string_view command, Reply reply) {
  if (reply.type != Reply::Type::kError) return reply;
  std::string message = StrCat("redis ", command, ": ", reply.str);
  if (IsTransientError(reply.str)) return absl::UnavailableError(ToAbsl(message));
  return absl::InternalError(ToAbsl(message));
}

absl::StatusOr<std::unique_ptr<RedisClient>> RedisClient::Create(Options options) {
  if (options.url.host.empty()) return absl::InvalidArgumentError("redis: host is empty");
  if (options.pool_size < 1) return absl::InvalidArgumentError("redis: pool_size must be >= 1");
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff) {
    return absl::InvalidArgumentError("redis: backoff must be > 0 and max >= initial");
  }
  return std::unique_ptr<RedisClient>(new RedisClient(std::move(options)));
}

RedisClient::RedisClient(Options options)
    : options_(std::move(options)), backoff_(options_.initial_backoff) {}

RedisClient::~RedisClient() {
  absl::MutexLock lock(&mu_);
  for (redisContext* c : idle_) redisFree(c);
  idle_.clear();
}

absl::StatusOr<redisContext*> RedisClient::ConnectRaw(absl::Duration read_timeout) {
  const std::string where = options_.url.Describe();
  redisContext* c = redisConnectWithTimeout(options_.url.host.c_str(), options_.url.port,
                                            absl::ToTimeval(options_.connect_timeout));
  if (c == nullptr || c->err != 0) {
    std::string error = ContextError(c);
    if (c != nullptr) redisFree(c);
    return absl::UnavailableError(
        ToAbsl(StrCat("redis at ", where, " is unreachable: ", error)));
  }
  redisSetTimeout(c, absl::ToTimeval(read_timeout));
  redisEnableKeepAlive(c);
  auto setup = [&](const std::vector<std::string>& args) -> absl::Status {
    redisReply* r = RunArgv(c, args);
    if (r == nullptr) {
      return absl::UnavailableError(
          ToAbsl(StrCat("redis at ", where, " is unreachable: ", ContextError(c))));
    }
    absl::Status status;
    if (r->type == REDIS_REPLY_ERROR) {
      status = absl::FailedPreconditionError(ToAbsl(
          StrCat("redis at ", where, " refused ", args[0], ": ", std::string(r->str, r->len))));
    }
    freeReplyObject(r);
    return status;
  };
  absl::Status status;
  if (!options_.url.password.empty()) {
    status = options_.url.user.empty()
                 ? setup({"AUTH", options_.url.password})
                 : setup({"AUTH", options_.url.user, options_.url.password});
  }
  if (status.ok() && options_.url.db != 0) {
    status = setup({"SELECT", std::to_string(options_.url.db)});
  }
  if (!status.ok()) {
    redisFree(c);
    // A refused AUTH is not transient, but the operator may fix it while we
    // run: keep answering 503 and retrying.
    return absl::UnavailableError(status.message());
  }
  return c;
}

absl::StatusOr<redisContext*> RedisClient::Borrow() {
  {
    absl::MutexLock lock(&mu_);
    while (true) {
      if (!idle_.empty()) {
        redisContext* c = idle_.back();
        idle_.pop_back();
        return c;
      }
      if (!up_ && (connecting_ || absl::Now() < next_attempt_)) {
        return absl::UnavailableError(ToAbsl(
            stats_.last_error.empty()
                ? StrCat("redis at ", options_.url.Describe(), " is not connected")
                : stats_.last_error));
      }
      if (open_ < options_.pool_size) break;
      auto free = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
        return !idle_.empty() || open_ < options_.pool_size || !up_;
      };
      mu_.Await(absl::Condition(&free));
    }
    ++open_;
    if (!up_) connecting_ = true;
  }
  absl::StatusOr<redisContext*> c = ConnectRaw(options_.command_timeout);
  absl::MutexLock lock(&mu_);
  connecting_ = false;
  if (!c.ok()) {
    --open_;
    up_ = false;
    ++stats_.errors;
    stats_.last_error = std::string(c.status().message());
    next_attempt_ = absl::Now() + backoff_;
    backoff_ = std::min(backoff_ * 2, options_.max_backoff);
    return c.status();
  }
  if (!up_) {
    if (ever_connected_) ++stats_.reconnects;
    ever_connected_ = true;
    up_ = true;
    backoff_ = options_.initial_backoff;
  }
  return c;
}

void RedisClient::Return(redisContext* c, bool broken, const std::string& error) {
  absl::MutexLock lock(&mu_);
  if (!broken) {
    idle_.push_back(c);
    return;
  }
  redisFree(c);
  --open_;
  // The other idle connections most likely died with this one (a restart):
  // drop them so the next commands reconnect instead of failing one by one.
  for (redisContext* other : idle_) redisFree(other);
  open_ -= static_cast<int>(idle_.size());
  idle_.clear();
  up_ = false;
  ++stats_.errors;
  stats_.last_error = error;
  next_attempt_ = absl::Now();  // the first reconnect is immediate
}

void RedisClient::RecordRoundTrip(size_t commands, absl::Duration latency,
                                  size_t error_replies) {
  absl::MutexLock lock(&mu_);
  stats_.commands += commands;
  stats_.errors += error_replies;
  ++stats_.round_trips;
  stats_.latency_seconds += absl::ToDoubleSeconds(latency);
}

absl::StatusOr<Reply> RedisClient::Command(const std::vector<std::string>& args) {
  absl::StatusOr<std::vector<Reply>> replies = Pipeline({args});
  if (!replies.ok()) return replies.status();
  return CheckReply(args.empty() ? "" : args[0], std::move(replies->front()));
}

absl::StatusOr<std::vector<Reply>> RedisClient::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  absl::StatusOr<redisContext*> borrowed = Borrow();
  if (!borrowed.ok()) return borrowed.status();
  redisContext* c = *borrowed;
  const absl::Time start = absl::Now();
  for (const std::vector<std::string>& args : commands) {
    std::vector<const char*> argv;
    std::vector<size_t> lens;
    for (const std::string& a : args) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    redisAppendCommandArgv(c, static_cast<int>(args.size()), argv.data(), lens.data());
  }
  std::vector<Reply> replies;
  replies.reserve(commands.size());
  size_t error_replies = 0;
  for (size_t i = 0; i < commands.size(); ++i) {
    void* raw = nullptr;
    if (redisGetReply(c, &raw) != REDIS_OK || raw == nullptr) {
      std::string error = StrCat("redis at ", options_.url.Describe(),
                                 " is unreachable: ", ContextError(c));
      Return(c, /*broken=*/true, error);
      return absl::UnavailableError(ToAbsl(error));
    }
    replies.push_back(ConvertReply(raw));
    freeReplyObject(raw);
    if (replies.back().type == Reply::Type::kError) ++error_replies;
  }
  RecordRoundTrip(commands.size(), absl::Now() - start, error_replies);
  Return(c, /*broken=*/false, "");
  return replies;
}

RedisClient::Stats RedisClient::stats() const {
  absl::MutexLock lock(&mu_);
  Stats s = stats_;
  s.up = up_;
  return s;
}

bool RedisClient::up() const {
  absl::MutexLock lock(&mu_);
  return up_;
}

}  // namespace inferd::redis
