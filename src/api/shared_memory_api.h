#pragma once

// Triton's shared memory extension routes:
//
//   GET  /v2/systemsharedmemory[/region/{region}]/status
//   POST /v2/systemsharedmemory/region/{region}/register
//        {"key": "/shm_key", "offset": 0, "byte_size": 64}
//   POST /v2/systemsharedmemory[/region/{region}]/unregister
//   ... and the same under /v2/cudasharedmemory, where registering is a 400
//   (inferd runs on the CPU), status lists nothing and unregister does
//   nothing.
//
// The regions live in the SharedMemoryRegistry of the ApiContext; the v2
// infer route reads inputs from and writes outputs to them. Thread-safe.

#include "api/api_context.h"
#include "http/http_message.h"

namespace inferd {

class SharedMemoryApi {
 public:
  explicit SharedMemoryApi(const ApiContext* context) : context_(context) {}

  void SystemStatus(const HttpRequest& request, Responder respond) const;
  void SystemRegister(const HttpRequest& request, Responder respond) const;
  void SystemUnregister(const HttpRequest& request, Responder respond) const;

  void CudaStatus(const HttpRequest& request, Responder respond) const;
  void CudaRegister(const HttpRequest& request, Responder respond) const;
  void CudaUnregister(const HttpRequest& request, Responder respond) const;

 private:
  const ApiContext* context_;
};

}  // namespace inferd
