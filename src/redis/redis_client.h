#pragma once

// RedisClient: a small, blocking client for one Redis server over Debian's
// libhiredis, shared by the Redis job store and the Redis response cache
// (`--redis URL`).
//
// - A pool of connections: each command borrows one, so concurrent callers
//   do not serialize behind one socket (at most `pool_size` at once; more
//   callers wait for a free connection).
// - Connection loss: a command whose connection fails answers Unavailable
//   ("redis at HOST:PORT is unreachable: ...") and the client goes "down".
//   While down, commands fail at once with Unavailable (callers answer 503
//   with Retry-After) until the next reconnect attempt is due; attempts back
//   off from `initial_backoff` doubling to `max_backoff`, and the first one
//   that connects brings the client "up" again. Nothing is retried
//   implicitly: a command may or may not have run when its connection broke,
//   and only the caller knows whether repeating it is safe.
// - Stats for metrics and /health: commands, errors, reconnects, the summed
//   latency, the state and the last error.
//
// hiredis in Debian 12 is 0.14, which has no TLS: `rediss://` URLs are
// refused with a message that says so (put Redis on a private network, or
// behind a TLS tunnel such as stunnel on loopback).
//
// Thread-safe: every method may be called from any thread.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

struct redisContext;

namespace inferd::redis {

// redis://[[user]:password@]host[:port][/db]
struct RedisUrl {
  std::string host;
  int port = 6379;
  std::string user;      // empty: the default user (AUTH password)
  std::string password;  // empty: no AUTH
  int db = 0;

  // InvalidArgument naming what is wrong (and saying that rediss:// needs a
  // hiredis with TLS, which Debian 12 does not have).
  static absl::StatusOr<RedisUrl> Parse(std::string_view url);
  // "host:port/db", without credentials (logs, /health, errors).
  std::string Describe() const;
};

// One reply, owned. Error replies are turned into Status by Command(); in a
// Pipeline() they stay replies of type kError so the caller sees which one
// failed.
struct Reply {
  enum class Type { kNil, kInteger, kString, kStatus, kArray, kError };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;  // kString, kStatus, kError
  std::vector<Reply> elements;

  bool is_nil() const { return type == Type::kNil; }
  bool is_array() const { return type == Type::kArray; }
  // kString/kStatus as text; an integer as its decimal text; else "".
  std::string text() const;
};

class RedisClient {
 public:
  struct Options {
    RedisUrl url;
    int pool_size = 16;
    absl::Duration connect_timeout = absl::Seconds(1);
    absl::Duration command_timeout = absl::Seconds(5);
    absl::Duration initial_backoff = absl::Milliseconds(100);
    absl::Duration max_backoff = absl::Seconds(5);
  };

  // Does not need the server to be up: the first commands connect (and an
  // unreachable server leaves the client down, retrying with backoff).
  static absl::StatusOr<std::unique_ptr<RedisClient>> Create(Options options);
  ~RedisClient();

  // Runs one command (binary-safe arguments). Unavailable when the server
  // cannot be reached; Internal (naming the command) for an error reply,
  // Unavailable for LOADING/BUSY/MASTERDOWN/READONLY error replies, which
  // pass.
  absl::StatusOr<Reply> Command(const std::vector<std::string>& args);

  // Sends every command in one round trip and returns their replies in
  // order (error replies included as kError). Unavailable when the
  // connection fails.
  absl::StatusOr<std::vector<Reply>> Pipeline(
      const std::vector<std::vector<std::string>>& commands);

  struct Stats {
    uint64_t commands = 0;       // commands sent (each of a pipeline)
    uint64_t errors = 0;         // connection failures and error replies
    uint64_t reconnects = 0;     // successful connects after the first
    double latency_seconds = 0;  // summed round-trip time of Command/Pipeline
    uint64_t round_trips = 0;
    bool up = false;
    std::string last_error;
  };
  Stats stats() const;
  bool up() const;

  const Options& options() const { return options_; }

  // Opens a new connection outside the pool (AUTH and SELECT done), for
  // subscribers. Unavailable when it cannot.
  absl::StatusOr<redisContext*> ConnectRaw(absl::Duration read_timeout);

 private:
  explicit RedisClient(Options options);

  // A pooled connection, or Unavailable while down and no attempt is due.
  absl::StatusOr<redisContext*> Borrow();
  void Return(redisContext* context, bool broken, const std::string& error);
  void RecordRoundTrip(size_t commands, absl::Duration latency,
                       size_t error_replies);

  const Options options_;

  mutable absl::Mutex mu_;
  std::vector<redisContext*> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // borrowed + idle
  bool up_ ABSL_GUARDED_BY(mu_) = false;
  bool ever_connected_ ABSL_GUARDED_BY(mu_) = false;
  bool connecting_ ABSL_GUARDED_BY(mu_) = false;
  absl::Time next_attempt_ ABSL_GUARDED_BY(mu_) = absl::InfinitePast();
  absl::Duration backoff_ ABSL_GUARDED_BY(mu_);
  Stats stats_ ABSL_GUARDED_BY(mu_);
};

// Converts an owned hiredis reply (internal; for the subscriber).
Reply ConvertReply(const void* hiredis_reply);

// `reply` to `command`, or its error reply as Command() answers it:
// Internal naming the command, Unavailable for LOADING/BUSY/MASTERDOWN/
// READONLY/TRYAGAIN.
absl::StatusOr<Reply> CheckReply(std::string_view command, Reply reply);

}  // namespace inferd::redis
