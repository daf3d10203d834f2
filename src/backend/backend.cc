#include "backend/backend.h"

#include "common/strings.h"

namespace inferd {

void BackendRegistry::Register(std::vector<std::string> names,
                               std::shared_ptr<Backend> backend) {
  for (auto& name : names) backends_.emplace_back(std::move(name), backend);
}

absl::StatusOr<std::shared_ptr<Backend>> BackendRegistry::Find(
    const config::ModelConfig& config) const {
  for (const auto& [name, backend] : backends_) {
    if (name == config.platform() || name == config.backend()) return backend;
  }
  return absl::NotFoundError(StrCat(
      "no backend for platform \"", config.platform(), "\" / backend \"",
      config.backend(), "\" (supported: platform \"pytorch_libtorch\", "
      "backend \"pytorch\")"));
}

}  // namespace inferd
