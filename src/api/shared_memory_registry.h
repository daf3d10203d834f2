#pragma once

// Triton's system shared memory extension: POSIX shared memory objects
// (shm_open keys) a client registers under a region name, so that request
// inputs are read from them and outputs written to them instead of
// travelling in the HTTP body.
//
// Every access is bounds-checked against the registered window (`offset`,
// `byte_size` of the object): a request can never read or write outside it.
// A region's mapping lives until it is unregistered and no request still
// uses it; every region is unmapped when the registry is destroyed (server
// shutdown). The shared memory objects themselves belong to the client and
// are never unlinked. Thread-safe.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "tensor/inference_request.h"

namespace inferd {

class SharedMemoryRegistry {
 public:
  struct RegionStatus {
    std::string name;
    std::string key;
    uint64_t offset = 0;
    uint64_t byte_size = 0;
  };

  SharedMemoryRegistry() = default;
  SharedMemoryRegistry(const SharedMemoryRegistry&) = delete;
  SharedMemoryRegistry& operator=(const SharedMemoryRegistry&) = delete;

  // Maps `byte_size` bytes of the shared memory object `key` from `offset`.
  // InvalidArgument (with Triton's wording) when the name is taken, the key
  // cannot be opened, or the window passes the end of the object.
  absl::Status Register(const std::string& name, const std::string& key, uint64_t offset,
                        uint64_t byte_size);

  // Unmaps a region (all of them when `name` is empty). Unknown names are
  // not an error, as in Triton.
  void Unregister(const std::string& name);

  // The regions, sorted by name; only `name` when given (InvalidArgument
  // when it is not registered).
  absl::StatusOr<std::vector<RegionStatus>> Status(const std::string& name) const;

  // A copy of the `ref.byte_size` bytes at `ref.offset` of the region.
  // InvalidArgument naming `what` (an input) for an unknown region or a
  // slice that passes the end of the region.
  absl::StatusOr<std::string> Read(const SharedMemoryRef& ref, std::string_view what) const;

  // Writes `bytes` at `ref.offset` of the region; `bytes` must fit in
  // `ref.byte_size`, and the slice in the region. InvalidArgument naming
  // `what` (an output) otherwise.
  absl::Status Write(const SharedMemoryRef& ref, std::string_view bytes,
                     std::string_view what) const;

 private:
  struct Mapping;
  absl::StatusOr<std::shared_ptr<const Mapping>> Find(const SharedMemoryRef& ref,
                                                      std::string_view what) const;

  mutable absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<const Mapping>> regions_ ABSL_GUARDED_BY(mu_);
};

}  // namespace inferd
