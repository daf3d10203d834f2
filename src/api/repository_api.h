#pragma once

// Triton's model repository extension:
//
//   POST /v2/repository/index                 -> [{name, version, state, reason}]
//   POST /v2/repository/models/{model}/load
//   POST /v2/repository/models/{model}/unload
//
// Loads and unloads block, so they run on the control pool.

#include "api/api_context.h"
#include "http/route_table.h"

namespace inferd {

class RepositoryApi {
 public:
  explicit RepositoryApi(const ApiContext* context) : context_(context) {}

  void Index(const HttpRequest& request, Responder respond) const;
  void Load(const HttpRequest& request, Responder respond) const;
  void Unload(const HttpRequest& request, Responder respond) const;

 private:
  const ApiContext* context_;
};

}  // namespace inferd
