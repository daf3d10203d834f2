#pragma once

// What a repository's Index() says about one model, in the forms the
// repository tests compare: "version:STATE" strings and the reason of one
// version. Test-only.

#include <string>
#include <string_view>
#include <vector>

#include "repository/model_repository.h"

namespace inferd::testing {

// Versions of `name` in Index() as "version:STATE" strings.
inline std::vector<std::string> VersionStates(const ModelRepository& repository,
                                              std::string_view name) {
  std::vector<std::string> out;
  for (const ModelStatus& model : repository.Index()) {
    if (model.name != name) continue;
    for (const VersionStatus& v : model.versions) {
      out.push_back(v.version + ":" + std::string(ModelStateName(v.state)));
    }
  }
  return out;
}

// The reason Index() gives for `version` of `name`, or "<no such entry>".
inline std::string ReasonOf(const ModelRepository& repository, std::string_view name,
                            std::string_view version) {
  for (const ModelStatus& model : repository.Index()) {
    if (model.name != name) continue;
    for (const VersionStatus& v : model.versions) {
      if (v.version == version) return v.reason;
    }
  }
  return "<no such entry>";
}

}  // namespace inferd::testing
