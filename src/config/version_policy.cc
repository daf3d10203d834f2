#include "config/version_policy.h"

#include <algorithm>

namespace inferd {

std::vector<int64_t> SelectVersions(const config::ModelVersionPolicy& policy,
                                    std::vector<int64_t> available) {
  std::sort(available.begin(), available.end());
  available.erase(std::unique(available.begin(), available.end()),
                  available.end());
  if (policy.has_all()) return available;
  if (policy.has_specific()) {
    std::vector<int64_t> chosen;
    for (int64_t v : available) {
      const auto& wanted = policy.specific().versions();
      if (std::find(wanted.begin(), wanted.end(), v) != wanted.end()) {
        chosen.push_back(v);
      }
    }
    return chosen;
  }
  const size_t n = policy.has_latest()
                       ? std::max<uint32_t>(1, policy.latest().num_versions())
                       : 1;
  if (available.size() <= n) return available;
  return std::vector<int64_t>(available.end() - n, available.end());
}

}  // namespace inferd
