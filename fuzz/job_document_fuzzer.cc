// Fuzzes the job document decoder: what the SQLite and Redis job stores
// read back for every job (a store written by another version, or a
// damaged one, must give DataLoss, never a crash). A document that decodes
// must encode back to bytes that decode to the same document.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "jobs/job_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<inferd::jobs::Job> job = inferd::jobs::DecodeJob(bytes);
  if (!job.ok()) return 0;
  const std::string encoded = inferd::jobs::EncodeJob(*job);
  absl::StatusOr<inferd::jobs::Job> again = inferd::jobs::DecodeJob(encoded);
  if (!again.ok() || inferd::jobs::EncodeJob(*again) != encoded) std::abort();
  return 0;
}
