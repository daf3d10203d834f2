#include "jobs/job_codec.h"

#include <cstdint>
#include <cstring>
#include <limits>
#include <utility>

namespace inferd::jobs {
namespace {

constexpr uint8_t kVersion = 1;

int64_t ToMicros(absl::Time t) {
  if (t == absl::InfinitePast()) return std::numeric_limits<int64_t>::min();
  if (t == absl::InfiniteFuture()) return std::numeric_limits<int64_t>::max();
  return absl::ToUnixMicros(t);
}

absl::Time FromMicros(int64_t us) {
  if (us == std::numeric_limits<int64_t>::min()) return absl::InfinitePast();
  if (us == std::numeric_limits<int64_t>::max()) return absl::InfiniteFuture();
  return absl::FromUnixMicros(us);
}

class Writer {
 public:
  void U64(uint64_t v) {
    char b[8];
    for (int i = 0; i < 8; ++i) b[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    out_.append(b, 8);
  }
  void I64(int64_t v) { U64(static_cast<uint64_t>(v)); }
  void Time(absl::Time t) { I64(ToMicros(t)); }
  void Str(std::string_view s) {
    U64(s.size());
    out_.append(s);
  }
  void Headers(const HeaderList& headers) {
    U64(headers.size());
    for (const auto& [name, value] : headers) {
      Str(name);
      Str(value);
    }
  }
  void Payload(const JobPayload& p, bool with_body) {
    I64(p.http_status);
    Str(p.content_type);
    Headers(p.headers);
    Str(with_body ? std::string_view(p.body) : std::string_view());
  }
  std::string Take() { return std::move(out_); }
  std::string out_;
};

class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool ok() const { return ok_; }
  uint64_t U64() {
    if (in_.size() < 8) return Fail();
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(in_[i])) << (8 * i);
    in_.remove_prefix(8);
    return v;
  }
  int64_t I64() { return static_cast<int64_t>(U64()); }
  int Int() { return static_cast<int>(I64()); }
  absl::Time Time() { return FromMicros(I64()); }
  std::string Str() {
    uint64_t n = U64();
    if (!ok_ || n > in_.size()) return Fail(), std::string();
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  HeaderList Headers() {
    HeaderList headers;
    uint64_t n = U64();
    if (n > in_.size()) return Fail(), headers;
    for (uint64_t i = 0; i < n && ok_; ++i) {
      std::string name = Str();
      headers.emplace_back(std::move(name), Str());
    }
    return headers;
  }
  JobPayload Payload() {
    JobPayload p;
    p.http_status = Int();
    p.content_type = Str();
    p.headers = Headers();
    p.body = Str();
    return p;
  }
  uint64_t Fail() {
    ok_ = false;
    in_ = {};
    return 0;
  }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

std::string EncodeJob(const Job& job) {
  Writer w;
  w.out_.push_back(static_cast<char>(kVersion));
  w.Str(job.id);
  w.I64(static_cast<int>(job.status));
  w.I64(static_cast<int>(job.priority));
  w.Str(job.request.model);
  w.Str(job.request.version);
  w.Str(job.request.route);
  w.Payload(job.request.input, /*with_body=*/false);
  w.Str(job.idempotency_key);
  w.Str(job.request_fingerprint);
  w.Str(job.webhook_url);
  w.I64(static_cast<int>(job.webhook.status));
  w.I64(job.webhook.attempts);
  w.Str(job.webhook.last_error);
  w.Time(job.webhook.next_attempt);
  w.Str(job.owner);
  w.I64(job.revision);
  w.Time(job.created);
  w.Time(job.started);
  w.Time(job.finished);
  w.Time(job.not_before);
  w.Time(job.lease_expires);
  w.I64(job.max_attempts);
  w.U64(job.attempts.size());
  for (const JobAttempt& a : job.attempts) {
    w.I64(a.number);
    w.Time(a.started);
    w.Time(a.finished);
    w.Str(a.error);
    w.U64(a.interrupted ? 1 : 0);
  }
  w.U64(job.cancel_requested ? 1 : 0);
  w.Str(job.worker);
  w.U64(job.result.has_value() ? 1 : 0);
  if (job.result.has_value()) w.Payload(*job.result, /*with_body=*/true);
  w.Str(job.error);
  return w.Take();
}

absl::StatusOr<Job> DecodeJob(std::string_view bytes) {
  if (bytes.empty() || static_cast<uint8_t>(bytes[0]) != kVersion) {
    return absl::DataLossError(
        "job document is empty or of an unknown format version (written by a newer inferd?)");
  }
  Reader r(bytes.substr(1));
  Job job;
  job.id = r.Str();
  int status = r.Int();
  int priority = r.Int();
  job.request.model = r.Str();
  job.request.version = r.Str();
  job.request.route = r.Str();
  job.request.input = r.Payload();
  job.idempotency_key = r.Str();
  job.request_fingerprint = r.Str();
  job.webhook_url = r.Str();
  int webhook_status = r.Int();
  job.webhook.attempts = r.Int();
  job.webhook.last_error = r.Str();
  job.webhook.next_attempt = r.Time();
  job.owner = r.Str();
  job.revision = r.I64();
  job.created = r.Time();
  job.started = r.Time();
  job.finished = r.Time();
  job.not_before = r.Time();
  job.lease_expires = r.Time();
  job.max_attempts = r.Int();
  uint64_t attempts = r.U64();
  if (attempts > bytes.size()) r.Fail();
  for (uint64_t i = 0; i < attempts && r.ok(); ++i) {
    JobAttempt a;
    a.number = r.Int();
    a.started = r.Time();
    a.finished = r.Time();
    a.error = r.Str();
    a.interrupted = r.U64() != 0;
    job.attempts.push_back(std::move(a));
  }
  job.cancel_requested = r.U64() != 0;
  job.worker = r.Str();
  if (r.U64() != 0) job.result = r.Payload();
  job.error = r.Str();
  if (!r.ok() || status < 0 || status >= kJobStatusCount || priority < 0 ||
      priority >= kJobPriorityCount || webhook_status < 0 ||
      webhook_status > static_cast<int>(WebhookStatus::kFailed)) {
    return absl::DataLossError("job document is truncated or damaged");
  }
  job.status = static_cast<JobStatus>(status);
  job.priority = static_cast<JobPriority>(priority);
  job.webhook.status = static_cast<WebhookStatus>(webhook_status);
  return job;
}

}  // namespace inferd::jobs
