#include "jobs/job_fingerprint.h"

#include <cstdint>

#include "common/field_hasher.h"
#include "common/strings.h"

namespace inferd::jobs {

std::string JobFingerprint(const JobSpec& spec) {
  FieldHasher h;
  h.Field(kJobFingerprintTag);
  h.Field(spec.request.route);
  h.Field(spec.request.model);
  h.Field(spec.request.version);
  h.Field(spec.request.input.content_type);
  h.U64(spec.request.input.headers.size());
  for (const auto& [name, value] : spec.request.input.headers) {
    h.Field(name);
    h.Field(value);
  }
  h.Field(spec.request.input.body);
  h.U64(static_cast<uint64_t>(spec.priority));
  h.Field(spec.webhook_url);
  h.U64(static_cast<uint64_t>(spec.max_attempts));
  // Only when set, so jobs stored before owners existed keep their fingerprint.
  if (!spec.owner.empty()) h.Field(spec.owner);
  return h.Hex();
}

absl::Status CheckSameRequest(const Job& existing, const std::string& fingerprint) {
  if (existing.request_fingerprint.empty() || existing.request_fingerprint == fingerprint) {
    return absl::OkStatus();
  }
  return absl::AlreadyExistsError(ToAbsl(StrCat(
      "Idempotency-Key \"", existing.idempotency_key, "\" was already used for a different "
      "request (job ", existing.id, "); send the same request again to get that job, or use "
      "a new key for a new request")));
}

}  // namespace inferd::jobs
