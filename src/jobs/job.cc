#include "jobs/job.h"

#include <sys/random.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <cstdio>

namespace inferd::jobs {
namespace {

constexpr std::array<std::string_view, kJobStatusCount> kStatusNames = {
    "queued", "running", "succeeded", "failed", "cancelled"};
constexpr std::array<std::string_view, kJobPriorityCount> kPriorityNames = {
    "high", "normal", "low"};
constexpr char kBase64Url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr size_t kJobIdLength = 22;  // ceil(128 / 6)

}  // namespace

std::string_view JobStatusName(JobStatus status) {
  return kStatusNames[static_cast<int>(status)];
}

std::optional<JobStatus> JobStatusFromName(std::string_view name) {
  for (int i = 0; i < kJobStatusCount; ++i) {
    if (kStatusNames[i] == name) return static_cast<JobStatus>(i);
  }
  return std::nullopt;
}

bool IsFinal(JobStatus status) {
  return status == JobStatus::kSucceeded || status == JobStatus::kFailed ||
         status == JobStatus::kCancelled;
}

std::string_view JobPriorityName(JobPriority priority) {
  return kPriorityNames[static_cast<int>(priority)];
}

std::optional<JobPriority> JobPriorityFromName(std::string_view name) {
  for (int i = 0; i < kJobPriorityCount; ++i) {
    if (kPriorityNames[i] == name) return static_cast<JobPriority>(i);
  }
  return std::nullopt;
}

std::string_view WebhookStatusName(WebhookStatus status) {
  switch (status) {
    case WebhookStatus::kNone:
      return "none";
    case WebhookStatus::kWaiting:
      return "waiting";
    case WebhookStatus::kPending:
      return "pending";
    case WebhookStatus::kDelivered:
      return "delivered";
    case WebhookStatus::kFailed:
      return "failed";
  }
  return "none";
}

int Job::failed_attempt_count() const {
  int failed = 0;
  for (const JobAttempt& a : attempts) {
    if (!a.interrupted && !a.error.empty()) ++failed;
  }
  return failed;
}

std::string NewJobId() {
  unsigned char bytes[16];
  size_t got = 0;
  while (got < sizeof(bytes)) {
    ssize_t n = getrandom(bytes + got, sizeof(bytes) - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      // The kernel's CSPRNG failing is not something a request can cause.
      std::perror("inferd: getrandom for a job id");
      std::abort();
    }
    got += static_cast<size_t>(n);
  }
  std::string id;
  id.reserve(kJobIdLength);
  // 128 bits as 21 full 6-bit groups plus a final 2-bit group.
  unsigned bits = 0;
  int nbits = 0;
  for (unsigned char b : bytes) {
    bits = (bits << 8) | b;
    nbits += 8;
    while (nbits >= 6) {
      nbits -= 6;
      id.push_back(kBase64Url[(bits >> nbits) & 0x3f]);
    }
  }
  if (nbits > 0) id.push_back(kBase64Url[(bits << (6 - nbits)) & 0x3f]);
  return id;
}

bool IsValidJobId(std::string_view id) {
  if (id.size() != kJobIdLength) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_';
    if (!ok) return false;
  }
  return true;
}

}  // namespace inferd::jobs
