#include "api/shared_memory_registry.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/strings.h"

namespace inferd {

// One mapped window of a shared memory object; unmapped when the last user
// (the registry or a request) lets go.
struct SharedMemoryRegistry::Mapping {
  RegionStatus status;
  void* address = nullptr;  // start of the mapping (page-aligned)
  size_t length = 0;        // mapped bytes
  char* window = nullptr;   // status.offset bytes into the object

  ~Mapping() {
    if (address != nullptr) munmap(address, length);
  }
};

absl::Status SharedMemoryRegistry::Register(const std::string& name, const std::string& key,
                                            uint64_t offset, uint64_t byte_size) {
  if (name.empty()) return absl::InvalidArgumentError("shared memory region name is empty");
  {
    absl::MutexLock lock(&mu_);
    if (regions_.count(name) > 0) {
      return absl::InvalidArgumentError(
          StrCat("shared memory region '", name, "' already in manager"));
    }
  }
  const int fd = shm_open(key.c_str(), O_RDWR, 0);
  if (fd < 0) {
    return absl::InvalidArgumentError(StrCat("Unable to open shared memory region: '", key,
                                             "': ", std::strerror(errno)));
  }
  struct stat info {};
  if (fstat(fd, &info) != 0 || offset > static_cast<uint64_t>(info.st_size) ||
      byte_size > static_cast<uint64_t>(info.st_size) - offset) {
    close(fd);
    return absl::InvalidArgumentError(
        StrCat("shared memory region '", name, "': offset ", offset, " + byte_size ", byte_size,
               " passes the end of '", key, "' (", static_cast<int64_t>(info.st_size),
               " bytes)"));
  }
  auto mapping = std::make_shared<Mapping>();
  mapping->status = RegionStatus{name, key, offset, byte_size};
  const uint64_t page = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  const uint64_t start = offset / page * page;
  mapping->length = static_cast<size_t>(offset - start + byte_size);
  if (mapping->length > 0) {
    void* address = mmap(nullptr, mapping->length, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
                         static_cast<off_t>(start));
    if (address == MAP_FAILED) {
      const int error = errno;
      close(fd);
      return absl::InvalidArgumentError(
          StrCat("Unable to map shared memory region: '", key, "': ", std::strerror(error)));
    }
    mapping->address = address;
    mapping->window = static_cast<char*>(address) + (offset - start);
  }
  close(fd);
  absl::MutexLock lock(&mu_);
  if (!regions_.emplace(name, std::move(mapping)).second) {
    return absl::InvalidArgumentError(
        StrCat("shared memory region '", name, "' already in manager"));
  }
  return absl::OkStatus();
}

void SharedMemoryRegistry::Unregister(const std::string& name) {
  absl::MutexLock lock(&mu_);
  if (name.empty()) {
    regions_.clear();
  } else {
    regions_.erase(name);
  }
}

absl::StatusOr<std::vector<SharedMemoryRegistry::RegionStatus>> SharedMemoryRegistry::Status(
    const std::string& name) const {
  absl::MutexLock lock(&mu_);
  std::vector<RegionStatus> out;
  if (!name.empty()) {
    auto it = regions_.find(name);
    if (it == regions_.end()) {
      return absl::InvalidArgumentError(
          StrCat("Unable to find system shared memory region: '", name, "'"));
    }
    out.push_back(it->second->status);
    return out;
  }
  for (const auto& [region, mapping] : regions_) out.push_back(mapping->status);
  return out;
}

absl::StatusOr<std::shared_ptr<const SharedMemoryRegistry::Mapping>> SharedMemoryRegistry::Find(
    const SharedMemoryRef& ref, std::string_view what) const {
  std::shared_ptr<const Mapping> mapping;
  {
    absl::MutexLock lock(&mu_);
    auto it = regions_.find(ref.region);
    if (it != regions_.end()) mapping = it->second;
  }
  if (!mapping) {
    return absl::InvalidArgumentError(StrCat(what, ": Unable to find shared memory region: '",
                                             ref.region, "'"));
  }
  const uint64_t size = mapping->status.byte_size;
  if (ref.offset > size || ref.byte_size > size - ref.offset) {
    return absl::InvalidArgumentError(
        StrCat(what, ": shared_memory_offset ", ref.offset, " + shared_memory_byte_size ",
               ref.byte_size, " is outside region '", ref.region, "' (", size, " bytes)"));
  }
  return mapping;
}

absl::StatusOr<std::string> SharedMemoryRegistry::Read(const SharedMemoryRef& ref,
                                                       std::string_view what) const {
  absl::StatusOr<std::shared_ptr<const Mapping>> mapping = Find(ref, what);
  if (!mapping.ok()) return mapping.status();
  if (ref.byte_size == 0) return std::string();
  return std::string((*mapping)->window + ref.offset, ref.byte_size);
}

absl::Status SharedMemoryRegistry::Write(const SharedMemoryRef& ref, std::string_view bytes,
                                         std::string_view what) const {
  absl::StatusOr<std::shared_ptr<const Mapping>> mapping = Find(ref, what);
  if (!mapping.ok()) return mapping.status();
  if (bytes.size() > ref.byte_size) {
    return absl::InvalidArgumentError(
        StrCat(what, ": needs ", bytes.size(), " bytes but shared_memory_byte_size is ",
               ref.byte_size));
  }
  if (!bytes.empty()) std::memcpy((*mapping)->window + ref.offset, bytes.data(), bytes.size());
  return absl::OkStatus();
}

}  // namespace inferd
